"""Format and lint the rendered tree with ruff, the way the project itself will."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ruff.__main__ import find_ruff_bin

from archgen.errors import RenderError


def _ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(find_ruff_bin()), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        # The project's own pyproject holds the config; ignore any user-level one.
        env={"PATH": "", "RUFF_NO_CACHE": "true"},
    )


def format_and_lint(root: Path) -> None:
    """Apply safe fixes and formatting; fail if any lint finding remains.

    A remaining finding is a template bug, so it is reported as a RenderError
    naming the files, never written out silently.
    """
    _ruff(
        "check",
        "--fix",
        "--quiet",
        "--no-cache",
        # `async for x in xs: yield x` has no `yield from` form, but its sync derivation
        # does; ruff's fix for that (UP028) is marked unsafe only because `yield from` also
        # forwards close() to the inner generator, which is what a stream that stops early
        # needs. So it is applied here as a safe fix, in the same run as the others.
        "--config",
        "lint.extend-safe-fixes = ['UP028']",
        ".",
        cwd=root,
    )
    formatted = _ruff("format", "--quiet", "--no-cache", ".", cwd=root)
    if formatted.returncode != 0:
        raise RenderError(f"ruff format failed on the rendered project:\n{formatted.stderr}")
    checked = _ruff("check", "--no-cache", "--output-format", "concise", ".", cwd=root)
    if checked.returncode != 0:
        raise RenderError(
            "the rendered project does not pass ruff check (a template bug):\n"
            + (checked.stdout or checked.stderr).strip()
        )
