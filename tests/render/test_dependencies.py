"""archgen's own test environment carries every dependency a generated project declares.

Otherwise `archgen new` would fall back to building a project venv (network, minutes)
during the end-to-end tests and `make demo`, and a green run here would prove less.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from archgen.render import dependencies
from archgen.spec.models import Framework

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def lower_bound(requirement: Requirement) -> Version | None:
    bounds = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    return max(bounds, default=None)


def archgen_environment() -> dict[str, Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    return {canonicalize_name(r.name): r for r in map(Requirement, declared)}


@pytest.mark.parametrize("framework", list(Framework), ids=str)
def test_every_generated_dependency_is_in_archgens_test_extra(framework: Framework) -> None:
    ours = archgen_environment()
    missing, older = [], []
    for line in dependencies.runtime_dependencies(
        framework, knowledge=True
    ) + dependencies.test_dependencies(framework):
        generated = Requirement(line)
        name = canonicalize_name(generated.name)
        if name == "greenlet":  # comes with sqlalchemy[asyncio]
            continue
        if name not in ours:
            missing.append(line)
            continue
        needed, have = lower_bound(generated), lower_bound(ours[name])
        if needed is not None and (have is None or have < needed):
            older.append(f"{line} (archgen's test extra: {ours[name]})")
    assert missing == [], "add these to [project.optional-dependencies].test"
    assert older == [], "raise these lower bounds in archgen's test extra"
