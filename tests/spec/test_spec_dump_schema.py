"""dump_spec round trips, and the JSON Schema is sound and accepts every blueprint."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

import pytest
from spec_helpers import BASE, SOURCE, edit

from archgen.spec import dump_spec, list_blueprints, load_spec, parse_spec, spec_json_schema
from archgen.spec.yamlio import load_yaml

BLUEPRINTS = [b.name for b in list_blueprints()]


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_dump_parse_round_trip(name: str) -> None:
    spec = load_spec(next(b.path for b in list_blueprints() if b.name == name))
    text = dump_spec(spec)
    again = parse_spec(text, "dumped.yaml")
    assert again == spec
    assert dump_spec(again) == text  # a fixed point
    assert dump_spec(spec) == text  # deterministic


def test_dump_keeps_only_what_the_author_chose() -> None:
    spec = parse_spec(
        edit(
            "    latency_ms: 500\n",
            "    latency_ms: 500\n    price: {input_per_mtok: 0.11, output_per_mtok: 0.44}\n",
        ),
        SOURCE,
    )
    text = dump_spec(spec)
    assert "genai-prices@" not in text  # snapshot prices are looked up again on load
    assert "id: spec:small" in text  # the spec's own price stays
    assert "slug:" not in text  # derived from the name
    assert parse_spec(text, SOURCE) == spec


def test_dump_keeps_an_explicit_slug_and_tricky_strings() -> None:
    text = edit("  name: Test App\n", "  name: 'yes: 123'\n  slug: custom-slug\n")
    text = edit("unit: message", "unit: 'null'", text)
    text = edit("prompt: chat", "prompt: chat\n    soft_daily_cost: 0.10", text)
    spec = parse_spec(text, SOURCE)
    dumped = dump_spec(spec)
    assert "slug: custom-slug" in dumped
    again = parse_spec(dumped, SOURCE)
    assert again == spec
    assert again.workflows[0].unit == "null"
    assert again.workflows[0].soft_daily_cost == Decimal("0.10")


# --------------------------------------------------------------------------- JSON Schema

_KNOWN_KEYWORDS = {
    "$schema", "$defs", "$ref", "title", "description", "default", "type", "properties",
    "required", "additionalProperties", "items", "enum", "const", "anyOf", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems",
    "maxItems", "propertyNames",
}  # fmt: skip


def _check_keywords(node: Any, root: dict[str, Any]) -> None:
    """Every keyword is one this validator knows and every $ref resolves."""
    if isinstance(node, dict):
        assert set(node) <= _KNOWN_KEYWORDS | {"$defs"}, set(node) - _KNOWN_KEYWORDS
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for sub in value.values():
                    _check_keywords(sub, root)
            elif key == "$ref":
                assert value.startswith("#/$defs/") and value[8:] in root["$defs"], value
            elif key in ("items", "additionalProperties", "propertyNames") and isinstance(
                value, dict
            ):
                _check_keywords(value, root)
            elif key == "anyOf":
                for sub in value:
                    _check_keywords(sub, root)
            elif key == "pattern":
                re.compile(value)


def _errors(
    instance: Any, schema: dict[str, Any], root: dict[str, Any], path: str = ""
) -> list[str]:
    """A small JSON Schema validator for the keywords pydantic emits (no jsonschema here)."""
    if "$ref" in schema:
        return _errors(instance, root["$defs"][schema["$ref"][8:]], root, path)
    if "anyOf" in schema:
        if all(_errors(instance, s, root, path) for s in schema["anyOf"]):
            return [f"{path}: matches no anyOf option"]
        return []
    out: list[str] = []
    kind = schema.get("type")
    types = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kind is not None and not types[kind](instance):
        return [f"{path}: not {kind}"]
    if "enum" in schema and instance not in schema["enum"]:
        out.append(f"{path}: not in enum")
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        for key, ok in (
            ("minimum", lambda b: instance >= b),
            ("maximum", lambda b: instance <= b),
            ("exclusiveMinimum", lambda b: instance > b),
            ("exclusiveMaximum", lambda b: instance < b),
        ):
            if key in schema and not ok(schema[key]):
                out.append(f"{path}: {key}")
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0):
            out.append(f"{path}: minLength")
        if len(instance) > schema.get("maxLength", math.inf):
            out.append(f"{path}: maxLength")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            out.append(f"{path}: pattern")
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            out.append(f"{path}: minItems")
        for i, item in enumerate(instance):
            if "items" in schema:
                out += _errors(item, schema["items"], root, f"{path}[{i}]")
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        out += [f"{path}.{k}: required" for k in schema.get("required", []) if k not in instance]
        for key, value in instance.items():
            if "propertyNames" in schema:
                out += _errors(key, schema["propertyNames"], root, f"{path}[{key}]")
            if key in props:
                out += _errors(value, props[key], root, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}.{key}: not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                out += _errors(value, schema["additionalProperties"], root, f"{path}.{key}")
    return out


def _jsonable(value: Any) -> Any:
    # What an editor's YAML plugin sees: numbers are JSON numbers.
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and "." not in str(value)
            else float(value)
        )
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def test_schema_is_well_formed_json_schema() -> None:
    schema = spec_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["description"]
    assert schema["type"] == "object"
    assert {"product", "providers", "models", "tiers", "workflows"} <= set(schema["required"])
    json.loads(json.dumps(schema))  # plain JSON
    _check_keywords(schema, schema)


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_every_blueprint_validates_against_the_schema(name: str) -> None:
    schema = spec_json_schema()
    path = next(b.path for b in list_blueprints() if b.name == name)
    data = _jsonable(load_yaml(path.read_text(encoding="utf-8"), name).data)
    assert _errors(data, schema, schema) == []


def test_the_schema_validator_can_fail() -> None:
    schema = spec_json_schema()
    data = _jsonable(load_yaml(BASE, SOURCE).data)
    assert _errors(data, schema, schema) == []
    data["tiers"][0]["monthly_cost_cap"] = -1
    data["providers"].append("gogle")
    data["models"][0]["colour"] = "red"
    del data["workflows"][0]["prompt"]
    errors = _errors(data, schema, schema)
    assert len(errors) == 4, errors
