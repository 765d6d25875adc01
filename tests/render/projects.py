"""Rendered blueprints, each rendered once per test session."""

from __future__ import annotations

from functools import cache

from archgen import generate
from archgen.render import RenderedProject
from archgen.resources import blueprints_dir
from archgen.spec.models import Framework

BLUEPRINTS = sorted(p.stem for p in blueprints_dir().glob("*.yaml"))
FRAMEWORKS = [f.value for f in Framework]


@cache
def rendered(blueprint: str, framework: str) -> RenderedProject:
    return generate(blueprints_dir() / f"{blueprint}.yaml", framework=framework).project
