"""Prove a generated project works: its own ruff checks, then its own test suite.

The tests run with the current interpreter when it already has every dependency
the project declares (fast, and what CI and archgen's own suite do); otherwise in
a ``.venv`` created inside the project (``uv`` when present, else ``venv``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
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

    @property
    def summary(self) -> str:
        return f"ruff clean, {self.tests} tests passed ({self.python})"

    def to_dict(self) -> dict[str, object]:
        return {"ok": not self.failures, "python": self.python, "tests": self.tests}


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
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        command, cwd=project, capture_output=True, text=True, check=False, env=env
    )


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


def verify_project(project: Path, *, log: Log = print) -> VerifyResult:
    """Run ruff and pytest in ``project``; raise VerifyFailed naming what failed."""
    project = project.resolve()
    python = _project_python(project, log)
    result = VerifyResult(python=python)

    log("ruff check and ruff format --check")
    for args in (["check", "."], ["format", "--check", "."]):
        done = _run([python, "-m", "ruff", *args], project)
        if done.returncode != 0:
            raise VerifyFailed(
                f"ruff {args[0]} failed", (done.stdout or done.stderr).strip().splitlines()
            )

    log("pytest")
    with tempfile.TemporaryDirectory(prefix="archgen-verify-") as tmp:
        report = Path(tmp) / "junit.xml"
        done = _run(
            [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
            project,
        )
        result.tests, result.failures = _junit_failures(report)
    if done.returncode != 0:
        failures = result.failures or (done.stdout + done.stderr).strip().splitlines()[-20:]
        raise VerifyFailed(
            f"the generated project's tests failed (pytest exit {done.returncode})", failures
        )
    if result.tests == 0:
        raise VerifyFailed("the generated project ran no tests")
    return result
