"""The template layers a project is rendered from, in order (later layers win)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archgen.render.flavour import Flavour
from archgen.resources import templates_dir


@dataclass(frozen=True, slots=True)
class Layer:
    name: str  # path under templates/, recorded in the manifest
    path: Path
    # Core code is written async once; the synchronous flavour derives from it.
    async_source: bool


# Feature layers: rendered only when the spec uses the feature, after the base layers
# (so they may replace the base's small, empty extension points such as
# app/models/features.py). Each has a shared part and one web part per framework.
KNOWLEDGE_WEB_LAYERS = {"fastapi-saas": "knowledge-fastapi", "flask-saas": "knowledge-flask"}


def layers_for(flavour: Flavour, *, knowledge: bool = False) -> list[Layer]:
    """Core, docs, the flavour's web layer, then the feature layers the spec turns on."""
    root = templates_dir()
    layers = [
        Layer("shared/core", root / "shared" / "core", async_source=True),
        Layer("shared/docs", root / "shared" / "docs", async_source=False),
        Layer(flavour.web_layer, root / flavour.web_layer, async_source=False),
    ]
    if knowledge:
        web = KNOWLEDGE_WEB_LAYERS[flavour.web_layer]
        layers += [
            Layer("shared/knowledge", root / "shared" / "knowledge", async_source=True),
            Layer(web, root / web, async_source=False),
        ]
    return layers
