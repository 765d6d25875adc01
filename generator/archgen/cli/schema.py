"""``archgen schema``: the JSON Schema of the spec, for editors."""

from __future__ import annotations

from archgen.cli._io import emit_json
from archgen.spec import spec_json_schema


def schema() -> None:
    """Print the spec's JSON Schema on stdout (point your editor's YAML plugin at it)."""
    emit_json(spec_json_schema())
