"""`archgen verify` runs mypy when the project's pyproject configures it, like ruff."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PYPROJECT = """\
[project]
name = "tiny"
version = "0"
dependencies = []

[tool.ruff]
line-length = 100
{mypy}"""
MYPY = """
[tool.mypy]
python_version = "3.11"
strict = true
files = ["app", "tests"]
"""


def _project(root: Path, *, mypy: bool, code: str) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(mypy=MYPY if mypy else ""))
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "price.py").write_text(code)
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / "test_price.py").write_text(
        "from app.price import cents\n\n\ndef test_cents() -> None:\n    assert cents(2) == 200\n"
    )
    return root


def _verify(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archgen", "verify", str(project), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


WRONG = 'def cents(dollars: int) -> int:\n    return dollars * 100\n\n\nBAD: int = cents("2")\n'
RIGHT = "def cents(dollars: int) -> int:\n    return dollars * 100\n"


def test_a_type_error_fails_verify_with_the_finding(tmp_path: Path) -> None:
    done = _verify(_project(tmp_path / "p", mypy=True, code=WRONG))

    assert done.returncode == 1, done.stderr
    assert "mypy found 1 type error\n" in done.stderr
    assert 'app/price.py:5: error: Argument 1 to "cents" has incompatible type' in done.stderr


def test_a_typed_project_reports_mypy_clean(tmp_path: Path) -> None:
    done = _verify(_project(tmp_path / "p", mypy=True, code=RIGHT))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mypy"] is True
    assert "mypy clean, 1 tests passed" in done.stderr


def test_without_a_mypy_section_mypy_is_not_run(tmp_path: Path) -> None:
    done = _verify(_project(tmp_path / "p", mypy=False, code=WRONG))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mypy"] is False
