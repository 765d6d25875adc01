"""The template layers a project is rendered from, in order (later layers win)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archgen.resources import templates_dir
from archgen.spec.models import Framework


@dataclass(frozen=True, slots=True)
class Layer:
    name: str  # path under templates/, recorded in the manifest
    path: Path
    # Core code is written async once; the synchronous flavour derives from it.
    async_source: bool


def layers_for(framework: Framework) -> list[Layer]:
    """Core, docs, then the framework's web layer."""
    root = templates_dir()
    web = "fastapi-saas" if framework is Framework.fastapi else "flask-saas"
    return [
        Layer("shared/core", root / "shared" / "core", async_source=True),
        Layer("shared/docs", root / "shared" / "docs", async_source=False),
        Layer(web, root / web, async_source=False),
    ]
