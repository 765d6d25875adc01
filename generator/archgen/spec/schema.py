"""The spec's JSON Schema, for editors (YAML language servers) and other tools."""

from __future__ import annotations

from typing import Any

from archgen.spec.models import SCHEMA_VERSION, ProductSpec

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_DECIMAL_TEXT = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def _tighten(node: Any) -> None:
    """Money may be written as a quoted number; say so instead of allowing any string."""
    if isinstance(node, dict):
        options = node.get("anyOf")
        if isinstance(options, list) and any(o.get("type") == "number" for o in options):
            for option in options:
                if option == {"type": "string"}:
                    option["pattern"] = _DECIMAL_TEXT
        for value in node.values():
            _tighten(value)
    elif isinstance(node, list):
        for value in node:
            _tighten(value)


def spec_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a spec file, as pydantic describes ``ProductSpec``.

    It checks shapes and field-level bounds; cross-tree rules (a tier naming an
    unknown model...) need ``archgen validate``.
    """
    schema = ProductSpec.model_json_schema(mode="validation")
    _tighten(schema)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        **schema,
        "title": "archgen product spec",
        "description": (
            f"An archgen product spec (schema_version {SCHEMA_VERSION}): the product, its "
            "providers, models, tiers and workflows. Cross-tree rules are checked by "
            "`archgen validate`."
        ),
    }
