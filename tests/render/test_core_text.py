"""The core modules as FastAPI and Flask users receive them, as reviewable text.

The hash snapshot in ``test_render`` says *that* a file changed; this one shows *how*,
in both flavours, for the services and the catalog of one blueprint: a pull request
touching the async core or a sync rule shows the Flask code it produces.
Refresh after an intended change with ``pytest tests/render --snapshot-update``.
"""

from __future__ import annotations

import pytest

from .projects import rendered

BLUEPRINT = "ai-saas"


def _core_modules(framework: str) -> list[str]:
    files = rendered(BLUEPRINT, framework).files
    return [
        path
        for path in files
        if path == "app/core/catalog.py"
        or (path.startswith("app/services/") and path.endswith(".py"))
    ]


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_core_module_text(framework: str, snapshot) -> None:
    files = rendered(BLUEPRINT, framework).files
    modules = _core_modules(framework)

    assert "app/core/catalog.py" in modules
    assert {path: files[path].decode("utf-8") for path in modules} == snapshot
