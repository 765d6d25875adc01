"""Long steps show progress on a terminal (a real pseudo-terminal) and stay quiet on a pipe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pexpect

NEW = ["-m", "archgen", "new", "--blueprint", "ai-saas", "--no-verify", "--framework", "flask"]


def _tiny_project(root: Path) -> Path:
    """A project with three tests and nothing to install, for `archgen verify`."""
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "tiny"\nversion = "0"\ndependencies = []\n\n'
        "[tool.ruff]\nline-length = 100\n"
    )
    (root / "tests").mkdir()
    (root / "tests" / "test_tiny.py").write_text(
        "import pytest\n\n\n"
        '@pytest.mark.parametrize("n", [1, 2, 3])\n'
        "def test_n(n: int) -> None:\n"
        "    assert n > 0\n"
    )
    return root


def test_render_steps_show_on_a_terminal(tmp_path: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        [*NEW, "--out", str(tmp_path / "out")],
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 200),
    )
    child.expect("copying layer shared/core")
    child.expect("rendering the templated files")
    child.expect("deriving the synchronous code")
    child.expect("ruff")
    child.expect("wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_render_is_quiet_on_a_pipe(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, *NEW, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    # Only results: what was written, and the repository made for `archgen update`.
    lines = done.stderr.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["wrote", "initialised"], lines


def test_verify_counts_tests_on_a_terminal_and_not_on_a_pipe(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path / "tiny")
    command = ["-m", "archgen", "verify", str(project)]
    child = pexpect.spawn(
        sys.executable, command, encoding="utf-8", timeout=120, dimensions=(40, 200)
    )
    child.expect("ruff check")
    child.expect("pytest 3/3 tests")
    child.expect("3 tests passed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    done = subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, check=True, timeout=120
    )
    assert "pytest 3/3" not in done.stderr
    assert "3 tests passed" in done.stderr
