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


def layers_for(flavour: Flavour) -> list[Layer]:
    """Core, docs, then the flavour's web layer."""
    root = templates_dir()
    return [
        Layer("shared/core", root / "shared" / "core", async_source=True),
        Layer("shared/docs", root / "shared" / "docs", async_source=False),
        Layer(flavour.web_layer, root / flavour.web_layer, async_source=False),
    ]
