"""Rendered blueprints, each rendered once per test session."""

from __future__ import annotations

from functools import cache

from archgen.render import RenderedProject, render_project
from archgen.resources import blueprints_dir
from archgen.spec import load_spec
from archgen.spec.models import Framework

BLUEPRINTS = sorted(p.stem for p in blueprints_dir().glob("*.yaml"))
FRAMEWORKS = [f.value for f in Framework]


@cache
def rendered(blueprint: str, framework: str) -> RenderedProject:
    path = blueprints_dir() / f"{blueprint}.yaml"
    return render_project(
        load_spec(path), spec_text=path.read_text(encoding="utf-8"), framework=Framework(framework)
    )
