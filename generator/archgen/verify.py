"""Prove a generated project works: its own ruff checks, mypy when its pyproject
configures it, then its own test suite.

The tests run with the current interpreter when it already has every dependency
the project declares (fast, and what CI and archgen's own suite do); otherwise in
a ``.venv`` created inside the project (``uv`` when present, else ``venv``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from archgen.errors import UsageError, VerifyFailed

Log = Callable[[str], object]


@dataclass
class VerifyResult:
    python: str
    tests: int = 0
    failures: list[str] = field(default_factory=list)
    mypy: bool = False  # the project configures mypy and it passed

    @property
    def summary(self) -> str:
        typed = "mypy clean, " if self.mypy else ""
        return f"ruff clean, {typed}{self.tests} tests passed ({self.python})"

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": not self.failures,
            "python": self.python,
            "tests": self.tests,
            "mypy": self.mypy,
        }


def _requirements(project: Path) -> list[Requirement]:
    try:
        data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {project / 'pyproject.toml'}: {exc}") from exc
    declared = list(data.get("project", {}).get("dependencies", []))
    declared += data.get("project", {}).get("optional-dependencies", {}).get("test", [])
    requirements = []
    for line in declared:
        try:
            requirements.append(Requirement(line))
        except InvalidRequirement as exc:
            raise UsageError(f"bad requirement {line!r} in {project}/pyproject.toml") from exc
    return requirements


def missing_requirements(project: Path) -> list[str]:
    """Requirements of ``project`` the current interpreter does not satisfy."""
    missing = []
    for req in _requirements(project):
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            missing.append(str(req))
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            missing.append(f"{req} (have {version})")
    return missing


def _project_python(project: Path, log: Log) -> str:
    missing = missing_requirements(project)
    if not missing:
        return sys.executable
    venv = project / ".venv"
    python = venv / "bin" / "python"
    log(f"installing the project into {venv} (this interpreter lacks {', '.join(missing[:3])}…)")
    uv = shutil.which("uv")
    commands = (
        [
            [uv, "venv", "--quiet", str(venv)],
            [uv, "pip", "install", "--quiet", "--python", str(python), "-e", ".[test]"],
        ]
        if uv
        else [
            [sys.executable, "-m", "venv", str(venv)],
            [str(python), "-m", "pip", "install", "--quiet", "-e", ".[test]"],
        ]
    )
    for command in commands:
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise VerifyFailed(
                "could not install the generated project",
                [(done.stderr or done.stdout).strip()[-2000:]],
            )
    return str(python)


def _run(command: list[str], project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=project, capture_output=True, text=True, check=False, env=_env()
    )


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def _junit_failures(report: Path) -> tuple[int, list[str]]:
    """(tests run, names of failed or errored tests) from a JUnit XML report."""
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError):
        return 0, []
    run, failed = 0, []
    for case in root.iter("testcase"):
        run += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname', '')}::{case.get('name', '')}")
    return run, failed


def _mypy_config(project: Path) -> dict[str, object] | None:
    """The project's ``[tool.mypy]`` table, or None when it does not configure mypy."""
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    config = data.get("tool", {}).get("mypy")
    return config if isinstance(config, dict) else None


def _ruff(python: str, project: Path, log: Log) -> None:
    log("ruff check and ruff format --check")
    for args in (["check", "."], ["format", "--check", "."]):
        done = _run([python, "-m", "ruff", *args], project)
        if done.returncode != 0:
            raise VerifyFailed(
                f"ruff {args[0]} failed", (done.stdout or done.stderr).strip().splitlines()
            )


def _mypy(python: str, project: Path, log: Log) -> bool:
    """mypy as the project configures it (its ``files``, else ``app`` and ``tests``);
    False when the project does not configure mypy."""
    config = _mypy_config(project)
    if config is None:
        return False
    log("mypy")
    targets = [] if config.get("files") else ["app", "tests"]
    done = _run([python, "-m", "mypy", *targets], project)
    if done.returncode != 0:
        findings = [line for line in done.stdout.splitlines() if ": error:" in line]
        raise VerifyFailed(
            f"mypy found {len(findings)} type error{'' if len(findings) == 1 else 's'}"
            if findings
            else "mypy failed",
            findings or (done.stdout + done.stderr).strip().splitlines()[-20:],
        )
    return True


_COUNT = re.compile(r"\[\s*(\d+)/(\d+)\]\s*$")


def _pytest(python: str, project: Path, report: Path, log: Log) -> tuple[int, list[str]]:
    """Run the suite, reporting ``pytest 120/296`` as it goes; (exit code, output tail)."""
    log("pytest: collecting")
    command = [
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "console_output_style=count",
        f"--junitxml={report}",
    ]
    tail: deque[str] = deque(maxlen=40)
    with subprocess.Popen(
        command,
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            tail.append(line.rstrip("\n"))
            if match := _COUNT.search(line):
                log(f"pytest {match.group(1)}/{match.group(2)} tests")
    return process.returncode, list(tail)


def verify_project(project: Path, *, log: Log = print) -> VerifyResult:
    """Run ruff, mypy (when configured) and pytest in ``project``; raise VerifyFailed
    naming what failed. ``log`` receives a short message at each step."""
    project = project.resolve()
    python = _project_python(project, log)
    result = VerifyResult(python=python)
    _ruff(python, project, log)
    result.mypy = _mypy(python, project, log)
    with tempfile.TemporaryDirectory(prefix="archgen-verify-") as tmp:
        report = Path(tmp) / "junit.xml"
        returncode, tail = _pytest(python, project, report, log)
        result.tests, result.failures = _junit_failures(report)
    if returncode != 0:
        failures = result.failures or tail[-20:]
        raise VerifyFailed(
            f"the generated project's tests failed (pytest exit {returncode})", failures
        )
    if result.tests == 0:
        raise VerifyFailed("the generated project ran no tests")
    return result
