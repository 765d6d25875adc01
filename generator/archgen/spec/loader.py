"""Read a spec file into a validated, price-resolved ``ProductSpec`` (and write one back).

Every problem becomes a located ``Problem`` and all of them are raised together
as one ``SpecError``: YAML that cannot be read, field-level errors (rewritten by
``messages``), cross-tree rules (``rules``) and models without a price.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from archgen.errors import Problem, SpecError
from archgen.spec import migrations, prices, rules
from archgen.spec.messages import describe, got, visible
from archgen.spec.models import SCHEMA_VERSION, Product, ProductSpec
from archgen.spec.yamlio import Loaded, Path_, dump_yaml, format_path, load_yaml

MAX_SPEC_BYTES = 2_000_000  # a spec is a few KB; anything this big is a wrong file

_HEADER = "# archgen product spec. Every key is described by `archgen schema` (JSON Schema).\n"


def load_spec(path: Path) -> ProductSpec:
    """Read, validate and price the spec at ``path``.

    Raises ``SpecError`` listing every problem (and never any other exception),
    each with the file, line, column and field path it concerns.
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SpecError(
            problems=[Problem(source, None, None, "", f"cannot read the spec file: {reason}")]
        ) from None
    except (ValueError, TypeError) as exc:  # e.g. a NUL in the path name
        raise SpecError(
            problems=[Problem(source, None, None, "", f"cannot read the spec file: {exc}")]
        ) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(
            problems=[
                Problem(
                    source,
                    None,
                    None,
                    "",
                    f"the file is {len(raw)} bytes; a spec is at most {MAX_SPEC_BYTES}",
                )
            ]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SpecError(
            problems=[
                Problem(
                    source,
                    line,
                    column,
                    "",
                    f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                    f"{exc.start}); save it as UTF-8",
                )
            ]
        ) from None
    return parse_spec(text, source)


def parse_spec(text: str, source: str) -> ProductSpec:
    """Validate and price a spec given as YAML ``text``; ``source`` names it in problems.

    Raises ``SpecError`` listing every problem, and never any other exception.
    """
    try:
        spec, problems = _parse(text, source)
    except Exception as exc:
        # A bug of ours must still reach the user as a clean, reportable error.
        problems = [
            Problem(
                source,
                1,
                1,
                "",
                f"internal error while checking the spec ({type(exc).__name__}: {exc}); "
                "please report this archgen bug",
            )
        ]
        spec = None
    if problems or spec is None:
        # Messages quote the spec's text: never send its control characters to a terminal.
        raise SpecError(
            problems=[
                replace(p, path=visible(p.path), message=visible(p.message)) for p in problems
            ]
        )
    return spec


def _parse(text: str, source: str) -> tuple[ProductSpec | None, list[Problem]]:
    if text.startswith("\ufeff"):
        text = text[1:]
    loaded = load_yaml(text, source)
    problems = list(loaded.problems)
    data = loaded.data
    if data is None and problems:
        return None, problems
    if not isinstance(data, dict):
        line, column = loaded.locate(())
        problems.append(
            Problem(
                source,
                line or 1,
                column or 1,
                "",
                "the spec must be a mapping of keys (schema_version:, product:, providers:, "
                f"models:, ...), got {got(data, loaded.raw(()))}",
            )
        )
        return None, problems

    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        # A newer spec's other "errors" are likely just keys this archgen predates.
        problems.append(
            _problem(
                loaded,
                ("schema_version",),
                f"schema_version {version} is newer than this archgen supports "
                f"({SCHEMA_VERSION}): upgrade archgen (pip install -U archgen)",
            )
        )
        return None, problems
    try:
        # An older spec is upgraded step by step, never read with today's meanings.
        migrations.upgrade(data)
    except migrations.MigrationError as exc:
        problems.append(_problem(loaded, ("schema_version",), str(exc)))
        return None, problems

    spec: ProductSpec | None = None
    try:
        spec = ProductSpec.model_validate(data)
    except ValidationError as exc:
        problems += _field_problems(exc, loaded)

    view = rules.SpecView.from_spec(spec) if spec is not None else rules.SpecView.from_data(data)
    for finding in rules.check(view):
        problems.append(_problem(loaded, finding.path, finding.message, at_key=finding.at_key))

    for entry in view.models:
        model = entry.item
        if model is not None and prices.resolve_price(model, view.enabled) is None:
            problems.append(
                _problem(
                    loaded,
                    ("models", entry.index),
                    prices.missing_price_message(model, view.enabled),
                )
            )

    problems = _tidy(problems)
    if problems or spec is None:
        return None, problems
    return prices.with_prices(spec), []


def _problem(loaded: Loaded, path: Path_, message: str, *, at_key: bool = False) -> Problem:
    line, column = loaded.locate(path, key=at_key)
    return Problem(loaded.source, line, column, format_path(path), message)


def _field_problems(exc: ValidationError, loaded: Loaded) -> list[Problem]:
    described = [describe(error, loaded) for error in exc.errors(include_url=False)]
    # "unknown key 'alowed_models' (did you mean 'allowed_models'?)" already says
    # the real key is missing; a second "missing required key" would be noise.
    suggested = {(d.path[:-1], d.suggested) for d in described if d.suggested}
    out = []
    for d in described:
        if loaded.is_bad(d.path):
            continue  # the YAML value itself was unreadable, and said so
        if d.missing:
            if (d.path[:-1], d.path[-1]) in suggested:
                continue
            line, column = loaded.locate(d.path[:-1], key=True)
            out.append(Problem(loaded.source, line, column, format_path(d.path), d.message))
        else:
            out.append(_problem(loaded, d.path, d.message, at_key=d.at_key))
    return out


def _tidy(problems: list[Problem]) -> list[Problem]:
    """Drop exact repeats and order by position (problems without one last)."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line is None, p.line or 0, p.column or 0))


# --------------------------------------------------------------------------- dumping


def _plain(value: Any) -> Any:
    """Model data as plain YAML-able values; optional fields left unset are omitted."""
    if isinstance(value, BaseModel):
        out = {}
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            if item is None and info.default is None:
                continue
            out[name] = _plain(item)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dump_spec(spec: ProductSpec) -> str:
    """The spec as YAML that ``parse_spec`` reads back to an equal spec (deterministic).

    Prices that the bundled price table would give anyway and a slug derived from
    the name are left out, so the file says only what its author chose.
    """
    data = _plain(spec)
    if Product(name=spec.product.name).slug == spec.product.slug:
        data["product"].pop("slug", None)
    for model, model_data in zip(spec.models, data["models"], strict=True):
        if model.price is not None:
            unpriced = model.model_copy(update={"price": None})
            if prices.resolve_price(unpriced, spec.providers) == model.price:
                model_data.pop("price", None)
    return dump_yaml(data, header=_HEADER)
