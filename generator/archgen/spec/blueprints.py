"""The shipped blueprints: ready specs to start a product from."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from archgen.errors import UsageError
from archgen.resources import blueprints_dir
from archgen.spec.yamlio import load_yaml


@dataclass(frozen=True)
class Blueprint:
    """A shipped spec: its name (file stem), path, and one-line summary."""

    name: str
    path: Path
    summary: str


def _summary(path: Path) -> str:
    # Only the description is needed: read the YAML, skip validation and pricing.
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path)).data
    except (OSError, UnicodeDecodeError):
        return ""
    product = data.get("product") if isinstance(data, dict) else None
    description = product.get("description") if isinstance(product, dict) else None
    return " ".join(description.split()) if isinstance(description, str) else ""


def list_blueprints() -> list[Blueprint]:
    """Every shipped blueprint, sorted by name; the summary is its product.description."""
    return [
        Blueprint(path.stem, path, _summary(path))
        for path in sorted(blueprints_dir().glob("*.yaml"), key=lambda p: p.stem)
    ]


def blueprint_path(name: str) -> Path:
    """The file of blueprint ``name`` (``.yaml`` optional).

    Raises ``UsageError`` naming the available blueprints (with a did-you-mean).
    """
    names = [b.name for b in list_blueprints()]
    stem = name.removesuffix(".yaml")
    if stem in names:
        return blueprints_dir() / f"{stem}.yaml"
    close = difflib.get_close_matches(stem, names, n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise UsageError(f"unknown blueprint '{name}'{hint}; available: {', '.join(names) or 'none'}")
