"""Fuzzing: whatever the input, the loader returns a spec or raises SpecError, never else."""

from __future__ import annotations

import copy
import os
import tempfile
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from spec_helpers import BASE

from archgen.errors import SpecError
from archgen.spec import list_blueprints, load_spec, parse_spec
from archgen.spec.models import ProductSpec
from archgen.spec.yamlio import load_yaml

# ARCHGEN_FUZZ_EXAMPLES=5000 for a longer hunt; no example database in the tree.
FUZZ = settings(
    max_examples=int(os.environ.get("ARCHGEN_FUZZ_EXAMPLES", "200")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BLUEPRINT_TEXTS = [b.path.read_text(encoding="utf-8") for b in list_blueprints()] + [BASE]
BLUEPRINT_DATA = [load_yaml(text, "bp").data for text in BLUEPRINT_TEXTS]

# Names the spec uses, so generated mappings sometimes reach deep into validation.
SPEC_KEYS = sorted(
    {name for cls in (ProductSpec,) for name in cls.model_fields}
    | {"name", "id", "price", "quality", "allowed_models", "soft_warnings", "input_per_mtok"}
    | {"openai", "anthropic", "google", "free", "pro", "mode", "tier_mix", "unit", "prompt"}
)


def _check(text: str) -> None:
    """parse_spec(text) is a spec or a SpecError whose problems are all located."""
    try:
        spec = parse_spec(text, "fuzz.yaml")
    except SpecError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == "fuzz.yaml"
            assert problem.path or problem.line is not None, problem
            assert problem.line is None or problem.line >= 1
            assert problem.column is None or problem.column >= 1
            assert "internal error" not in problem.message, problem
            assert problem.message.strip()
        str(exc)  # renders
    else:
        assert isinstance(spec, ProductSpec)


def _dump(data: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.representer.add_representer(
        Decimal, lambda r, d: r.represent_scalar("tag:yaml.org,2002:float", f"{d:f}")
    )
    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


# --------------------------------------------------------------------------- (a) raw input


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{},&*!|>'\"#%@`\t\n ?~.01")), max_size=200))
def test_yaml_punctuation_soup(text: str) -> None:
    _check(text)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_from_a_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        path.write_bytes(data)
        try:
            load_spec(path)
        except SpecError as exc:
            assert all(p.file == str(path) for p in exc.problems)
            assert all("internal error" not in p.message for p in exc.problems)


@FUZZ
@given(st.data())
def test_blueprint_text_with_random_edits(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(BLUEPRINT_TEXTS))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 8))
        insert = data.draw(st.text(max_size=6))
        text = text[:at] + insert + text[at + cut :]
    _check(text)


# --------------------------------------------------------------------------- (b) YAML values

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(SPEC_KEYS)
)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(SPEC_KEYS) | st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=40,
)


@FUZZ
@given(_values)
def test_arbitrary_yaml_values(value: Any) -> None:
    _check(_dump(value))


@FUZZ
@given(st.dictionaries(st.sampled_from(SPEC_KEYS), _values, max_size=12))
def test_arbitrary_top_level_mappings(value: dict[str, Any]) -> None:
    _check(_dump(value))


# --------------------------------------------------------------------------- (c) mutations


def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every dict and list in ``node``."""
    out = []
    if isinstance(node, dict):
        out.append(path)
        for key, value in node.items():
            out += _containers(value, (*path, key))
    elif isinstance(node, list):
        out.append(path)
        for i, value in enumerate(node):
            out += _containers(value, (*path, i))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


_replacement = _scalars | st.just([]) | st.just({}) | st.lists(_scalars, max_size=3)


def _mutate(data: st.DataObject, tree: Any) -> None:
    target = _get(tree, data.draw(st.sampled_from(_containers(tree))))
    kind = data.draw(st.sampled_from(["delete", "retype", "rename", "duplicate", "swap"]))
    if not target:
        return
    if isinstance(target, dict):
        key = data.draw(st.sampled_from(list(target)))
        if kind == "delete":
            del target[key]
        elif kind == "rename":
            new = data.draw(
                st.sampled_from([key[:-1], key + "s", key.upper(), key[1:] or "x"])
                | st.text(max_size=8)
            )
            target[new] = target.pop(key)
        elif kind == "duplicate":
            target[key + "_copy"] = copy.deepcopy(target[key])
        else:
            target[key] = data.draw(_replacement)
    else:
        index = data.draw(st.integers(0, len(target) - 1))
        if kind == "delete":
            del target[index]
        elif kind in ("duplicate", "rename"):
            target.insert(index, copy.deepcopy(target[index]))
        else:
            target[index] = data.draw(_replacement)


@FUZZ
@given(st.data())
def test_blueprint_mutations(data: st.DataObject) -> None:
    tree = copy.deepcopy(data.draw(st.sampled_from(BLUEPRINT_DATA)))
    for _ in range(data.draw(st.integers(1, 4))):
        _mutate(data, tree)
    _check(_dump(tree))


def test_mutation_baseline_is_valid() -> None:
    # The unmutated dumps parse, so mutation failures are the mutations' doing.
    for tree in BLUEPRINT_DATA:
        parse_spec(_dump(tree), "fuzz.yaml")
