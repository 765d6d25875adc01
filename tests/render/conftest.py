"""The `project` fixture: every blueprint x framework, rendered once per session."""

from __future__ import annotations

import pytest

from archgen.render import RenderedProject

from .projects import BLUEPRINTS, FRAMEWORKS, rendered


@pytest.fixture(params=[(b, f) for b in BLUEPRINTS for f in FRAMEWORKS], ids="-".join)
def project(request: pytest.FixtureRequest) -> RenderedProject:
    blueprint, framework = request.param
    return rendered(blueprint, framework)
