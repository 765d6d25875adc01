"""Pydantic validation errors, rewritten for people and pinned to the YAML.

pydantic reports ``loc`` tuples and terse messages ("Input should be a valid
number"); this module turns each into a field path that exists in the file, the
line and column to point at, and a message that says what was expected and what
was found, with a did-you-mean where a name was mistyped.
"""

from __future__ import annotations

import difflib
import types
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from archgen.spec.models import (
    _MODEL_NAME_PATTERN,
    _NAME_RE,
    _SLUG_RE,
    _STRIPE_PRICE_PATTERN,
    _UNIT_PATTERN,
    BillingMode,
    Database,
    Framework,
    Model,
    ProductSpec,
    Provider,
    RoutingStrategy,
)
from archgen.spec.rules import suggest
from archgen.spec.yamlio import Loaded

Path_ = tuple[str | int, ...]

_ENUM_NOUNS: dict[type[Enum], str] = {
    Provider: "provider",
    Framework: "framework",
    BillingMode: "billing mode",
    RoutingStrategy: "routing strategy",
    Database: "database",
}


def _pattern_of(model: type[BaseModel], name: str) -> str:
    metadata = model.model_fields[name].metadata
    return next((str(m.pattern) for m in metadata if getattr(m, "pattern", None)), "")


_PATTERNS = {
    _NAME_RE.pattern: "a lowercase name of letters, digits and '_', starting with a letter",
    _SLUG_RE.pattern: "a lowercase slug of letters, digits and '-' (like 'acme-ai')",
    _pattern_of(Model, "id"): (
        "ASCII letters, digits and . _ : / -, starting with a letter or digit"
    ),
    _MODEL_NAME_PATTERN: "ASCII letters, digits and . _ : / @ + -, starting with a letter or digit",
    _STRIPE_PRICE_PATTERN: "a Stripe price id of ASCII letters, digits and '_' (like 'price_pro')",
    _UNIT_PATTERN: "a unit in words: ASCII letters, digits, spaces, '_' and '-', starting "
    "with a letter (like 'report')",
}


@dataclass(frozen=True)
class Described:
    """A validation error as the loader reports it."""

    path: Path_
    message: str
    at_key: bool = False
    missing: bool = False
    suggested: str | None = None  # for an unknown key: the field it probably meant


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional wrappers down to the type that matters."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def type_at(loc: Path_) -> Any:
    """The spec type at a pydantic ``loc`` (``"[key]"`` selects a dict's key type)."""
    tp: Any = ProductSpec
    i = 0
    while i < len(loc):
        tp = _unwrap(tp)
        part = loc[i]
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            key_type, value_type = get_args(tp)
            if i + 1 < len(loc) and loc[i + 1] == "[key]":
                tp = key_type
                i += 1
            else:
                tp = value_type
        else:
            return None
        i += 1
    return _unwrap(tp)


def data_path(loc: tuple[Any, ...], data: Any) -> tuple[Path_, bool]:
    """The part of ``loc`` that names real places in ``data``, and whether it ends at a key."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if part == "[key]":
            return tuple(path), True
        if (isinstance(current, dict) and isinstance(part, str) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str):
            path.append(part)  # a missing key: the path names it, the position is the parent's
            current = None
        # anything else is pydantic's own bookkeeping (union member tags): skip it
    return tuple(path), False


def visible(text: str) -> str:
    """``text`` safe to print on a terminal: controls and invisible characters as escapes."""
    return "".join(
        c if c == " " or unicodedata.category(c)[0] not in "CZ" else repr(c)[1:-1] for c in text
    )


def got(value: Any, raw: str | None) -> str:
    """How a found value reads in a message: as written in the file when we know it.

    Control and invisible characters are shown escaped (``\\n``, ``\\u202e``), never
    sent raw to the terminal.
    """
    if isinstance(value, str):
        return "'" + visible(value if len(value) <= 60 else value[:57] + "...") + "'"
    if raw is not None:
        return visible(raw if len(raw) <= 60 else raw[:57] + "...")
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe(error: dict[str, Any], loaded: Loaded) -> Described:
    """One pydantic error dict as a located, human message."""
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    path, at_key = data_path(loc, loaded.data)
    found = got(value, None if at_key else loaded.raw(path))
    field_name = next((p for p in reversed(path) if isinstance(p, str)), "")

    if kind == "missing":
        return Described(path, f"missing required key '{loc[-1]}'", missing=True)
    if kind == "extra_forbidden":
        parent = type_at(loc[:-1])
        fields = list(parent.model_fields) if isinstance(parent, type) else []
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else f"; valid keys: {', '.join(fields)}"
        return Described(
            path,
            f"unknown key '{loc[-1]}'{hint}",
            at_key=True,
            suggested=close[0] if close else None,
        )
    if kind == "enum":
        enum_type = type_at(loc)
        if isinstance(enum_type, type) and issubclass(enum_type, Enum):
            noun = _ENUM_NOUNS.get(enum_type, "value")
            known = [str(m.value) for m in enum_type]
        else:
            noun, known = "value", []
        text = str(value)
        hint = suggest(text.lower(), known)
        return Described(
            path, f"unknown {noun} {found}{hint}; known: {', '.join(known)}", at_key=at_key
        )
    if len(path) >= 2 and path[-2] == "soft_warnings" and kind in ("greater_than", "less_than"):
        return Described(
            path,
            "each soft warning is a fraction of monthly_cost_cap strictly between 0 and 1, "
            f"got {found}",
        )
    if field_name == "soft_warnings" and kind == "value_error":
        return _soft_warnings(path, loaded)
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return Described(path, f"expected a whole number, got {found}")
    if kind in ("float_type", "float_parsing", "decimal_type", "decimal_parsing"):
        return Described(path, f"expected a number, got {found}")
    if kind == "finite_number":
        return Described(path, f"expected a finite number, got {found}")
    if kind == "decimal_max_places":
        places = ctx.get("decimal_places")
        return Described(path, f"at most {places} decimal places allowed, got {found}")
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return Described(path, f"number too large or too precise, got {found}")
    if kind in ("bool_type", "bool_parsing"):
        return Described(path, f"expected true or false, got {found}")
    if kind == "string_type":
        quote = " (put it in quotes if it is meant as text)" if loaded.raw(path) else ""
        return Described(path, f"expected text, got {found}{quote}", at_key=at_key)
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return Described(path, f"{field_name or 'value'} must not be empty")
        return Described(path, f"must be at least {ctx.get('min_length')} characters")
    if kind == "string_too_long":
        return Described(
            path, f"must be at most {ctx.get('max_length')} characters, got {len(str(value))}"
        )
    if kind == "string_pattern_mismatch":
        shape = _PATTERNS.get(str(ctx.get("pattern")), f"text matching {ctx.get('pattern')}")
        return Described(path, f"must be {shape}, got {found}", at_key=at_key)
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return Described(path, _bound_message(kind, ctx, field_name, found))
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return Described(path, f"{field_name or 'this'} needs at least {n} item{'s' * (n != 1)}")
    if kind == "too_long":
        return Described(path, f"{field_name or 'this'} allows at most {ctx.get('max_length')}")
    if kind == "list_type":
        return Described(path, f"expected a list, got {found}")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return Described(path, f"expected a mapping (key: value lines), got {found}")
    if kind == "value_error":
        return Described(path, str(ctx.get("error", error.get("msg", ""))))
    return Described(path, f"{error.get('msg', 'invalid value')}, got {found}")


def _bound_message(kind: str, ctx: dict[str, Any], field_name: str, found: str) -> str:
    if field_name == "schema_version" and kind == "less_than_equal":
        return (
            f"schema_version {found} is newer than this archgen supports "
            f"({ctx.get('le')}): upgrade archgen (pip install -U archgen)"
        )
    bound = ctx.get(
        {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt"}.get(kind, "le")
    )
    if kind == "greater_than" and bound == 0:
        what = "a positive rate" if field_name == "requests_per_minute" else "positive"
        return f"{field_name or 'value'} must be {what} (greater than 0), got {found}"
    if kind == "greater_than_equal" and bound == 0:
        return f"{field_name or 'value'} must not be negative, got {found}"
    words = {
        "greater_than": "greater than",
        "greater_than_equal": "at least",
        "less_than": "less than",
        "less_than_equal": "at most",
    }[kind]
    return f"{field_name or 'value'} must be {words} {_number(bound)}, got {found}"


def _soft_warnings(path: Path_, loaded: Loaded) -> Described:
    """Point at the first soft warning that does not rise above the one before it."""
    values: Any = loaded.data
    for part in path:
        values = values[part] if isinstance(values, dict | list) else None
    if isinstance(values, list):
        for k in range(1, len(values)):
            try:
                falls = values[k] <= values[k - 1]
            except TypeError:
                continue
            if falls:
                here = (*path, k)
                return Described(
                    here,
                    "soft_warnings must be strictly ascending: "
                    f"{got(values[k], loaded.raw(here))} is not greater than "
                    f"{got(values[k - 1], loaded.raw((*path, k - 1)))} before it",
                )
    return Described(path, "soft_warnings must be strictly ascending, each in (0, 1)")
