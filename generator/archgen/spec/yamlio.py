"""YAML in and out, with source positions and without surprises.

The loader composes the YAML node graph with ruamel.yaml and builds plain Python
data itself, so it decides every detail: only the core YAML tags are accepted
(never a Python object), duplicate keys are reported, aliases are expanded under
a budget (no "billion laughs"), numbers become ``int`` or exact ``Decimal``, and
every key and value remembers its line and column for error messages.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import StringIO
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from archgen.errors import Problem

Path_ = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
# Aliases may share subtrees; expansion beyond this many values is an alias bomb.
MAX_VALUES = 50_000
MAX_DEPTH = 64
# Longer numbers are surely typos, and int() refuses ~4300+ digits anyway.
MAX_NUMBER_CHARS = 64
_TRUE = {"true", "yes", "on", "y"}  # YAML 1.1 words too, for `%YAML 1.1` documents
_FALSE = {"false", "no", "off", "n"}


@dataclass(frozen=True)
class Pos:
    """Where a value (and, for mapping entries, its key) starts; 1-based."""

    line: int
    column: int
    key_line: int | None = None
    key_column: int | None = None
    raw: str | None = None  # the scalar as written, for "got ..." in messages


@dataclass
class Loaded:
    """Plain data read from YAML, plus where each part of it came from."""

    data: Any
    positions: dict[Path_, Pos] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Paths whose value could not be read; validation errors under them are noise.
    bad_paths: set[Path_] = field(default_factory=set)
    source: str = ""

    def locate(self, path: Path_, *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of ``path`` (its key if ``key``), else of its nearest ancestor."""
        for n in range(len(path), -1, -1):
            pos = self.positions.get(path[:n])
            if pos is None:
                continue
            if key and n == len(path) and pos.key_line is not None:
                return pos.key_line, pos.key_column
            return pos.line, pos.column
        return None, None

    def raw(self, path: Path_) -> str | None:
        pos = self.positions.get(path)
        return None if pos is None else pos.raw

    def is_bad(self, path: Path_) -> bool:
        return any(path[:n] in self.bad_paths for n in range(len(path) + 1))


class _Abort(Exception):
    """Stop building: the document is too big or too deep to read safely."""


def format_path(path: Path_) -> str:
    """``("tiers", 1, "allowed_models", 2)`` -> ``tiers[1].allowed_models[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}" if out else part
        else:
            out += "[" + _quote(part) + "]"
    return out


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1


def _yaml_error_problem(source: str, text: str, exc: Exception) -> Problem:
    """A ruamel error as one located Problem with a readable message."""
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 1 if mark is not None else 1
        parts = [p for p in (exc.context, exc.problem) if p]
        message = "YAML syntax error: " + ", ".join(parts) if parts else "YAML syntax error"
        if "'\\t'" in message or "\t" in message:
            message += " (tabs are not allowed for indentation in YAML; use spaces)"
        return Problem(source, line, column, "", message)
    if isinstance(exc, ReaderError):
        line, column = _line_col(text, exc.position)
        char = exc.character
        shown = f"#x{ord(char):04x}" if isinstance(char, str) else repr(char)
        return Problem(
            source, line, column, "", f"the file contains a character YAML does not allow ({shown})"
        )
    if isinstance(exc, RecursionError):
        return Problem(source, 1, 1, "", "the YAML is nested too deeply to read")
    return Problem(source, 1, 1, "", f"could not read the YAML: {exc}")


def load_yaml(text: str, source: str) -> Loaded:
    """Parse ``text`` into plain data with positions; problems are collected, never raised."""
    yaml = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            # ruamel warns on reused anchors; that is legal YAML.
            warnings.simplefilter("ignore")
            node = yaml.compose(text)
    except (YAMLError, RecursionError, ValueError) as exc:
        return Loaded(None, problems=[_yaml_error_problem(source, text, exc)], source=source)
    except Exception as exc:  # ruamel is third-party: any failure of it is a bad file
        return Loaded(None, problems=[_yaml_error_problem(source, text, exc)], source=source)
    if node is None:
        return Loaded(
            None, problems=[Problem(source, 1, 1, "", "the spec is empty")], source=source
        )
    builder = _Builder(source)
    try:
        data = builder.build(node, (), 0)
    except _Abort as exc:
        line, column = (1, 1) if not builder.last_mark else builder.last_mark
        builder.problems.append(Problem(source, line, column, "", str(exc)))
        return Loaded(None, builder.positions, builder.problems, builder.bad_paths, source)
    return Loaded(data, builder.positions, builder.problems, builder.bad_paths, source)


class _Builder:
    """Turn a composed node graph into dicts, lists and scalars (safe, bounded)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.positions: dict[Path_, Pos] = {}
        self.problems: list[Problem] = []
        self.bad_paths: set[Path_] = set()
        self.count = 0
        self.stack: list[int] = []  # ids of nodes being built, to catch recursive aliases
        self.last_mark: tuple[int, int] | None = None

    def _problem(self, node: Node, path: Path_, message: str, *, bad: bool = True) -> None:
        line, column = _mark(node)
        self.problems.append(Problem(self.source, line, column, format_path(path), message))
        if bad:
            self.bad_paths.add(path)

    def build(self, node: Node, path: Path_, depth: int, key_node: Node | None = None) -> Any:
        self.count += 1
        self.last_mark = _mark(node)
        if self.count > MAX_VALUES:
            raise _Abort(
                f"the document expands to more than {MAX_VALUES} values "
                "(too many aliases, or far too big for a spec)"
            )
        if depth > MAX_DEPTH:
            raise _Abort(f"the YAML is nested more than {MAX_DEPTH} levels deep")
        line, column = _mark(node)
        key_line, key_column = _mark(key_node) if key_node is not None else (None, None)
        raw = node.value if isinstance(node, ScalarNode) else None
        self.positions[path] = Pos(line, column, key_line, key_column, raw)
        if id(node) in self.stack:
            self._problem(node, path, "recursive alias: a value cannot contain itself")
            return None
        self.stack.append(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path, depth)
            if isinstance(node, SequenceNode):
                if _tag(node) not in ("seq",):
                    self._problem(node, path, f"unsupported YAML tag '{node.tag}'")
                    return None
                return [
                    self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            return self._scalar(cast(ScalarNode, node), path)
        finally:
            self.stack.pop()

    def _mapping(self, node: MappingNode, path: Path_, depth: int) -> dict[str, Any] | None:
        if _tag(node) not in ("map",):
            self._problem(node, path, f"unsupported YAML tag '{node.tag}'")
            return None
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and _tag(key_node) == "merge":
                merges.append(value_node)
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in out:
                self._problem(
                    key_node,
                    (*path, key),
                    f"duplicate key '{key}' (first set on line {first_line[key]})",
                    bad=False,
                )
                continue
            first_line[key] = _mark(key_node)[0]
            out[key] = self.build(value_node, (*path, key), depth + 1, key_node)
        # `<<: *defaults` merges keys the mapping does not set itself.
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            if not all(isinstance(s, MappingNode) and id(s) not in self.stack for s in sources):
                self._problem(
                    merge, path, "'<<' (merge) needs a mapping or a list of them", bad=False
                )
                continue
            for source in sources:
                self.stack.append(id(source))
                try:
                    for key_node, value_node in source.value:
                        key = self._key(key_node, path)
                        if key is not None and key not in out:
                            out[key] = self.build(value_node, (*path, key), depth + 1, key_node)
                finally:
                    self.stack.pop()
        return out

    def _key(self, key_node: Node, path: Path_) -> str | None:
        # Every key in a spec is a name; the text as written is the most useful reading.
        if not isinstance(key_node, ScalarNode):
            self._problem(
                key_node,
                path,
                "a mapping key must be a plain name, not a list or mapping",
                bad=False,  # the key is skipped; the rest of the mapping still counts
            )
            return None
        if _tag(key_node) is None:
            self._problem(key_node, path, f"unsupported YAML tag '{key_node.tag}'", bad=False)
            return None
        return str(key_node.value)

    def _scalar(self, node: ScalarNode, path: Path_) -> Any:
        tag = _tag(node)
        text = str(node.value)
        if tag in ("str", "timestamp"):  # dates stay text: no spec field is a date
            return text
        if tag == "null":
            return None
        if tag == "bool":
            low = text.lower()
            if low in _TRUE or low in _FALSE:
                return low in _TRUE
            self._problem(node, path, f"'{text}' is not true or false")
            return None
        if tag in ("int", "float"):
            number = _number(text, tag)
            if isinstance(number, str):
                self._problem(node, path, number)
                return None
            return number
        self._problem(node, path, f"unsupported YAML tag '{node.tag}'")
        return None


def _tag(node: Node) -> str | None:
    """The core tag's short name (``int``, ``map``...) or None for any other tag."""
    tag = str(node.tag)
    if tag.startswith(_CORE):
        short = tag[len(_CORE) :]
        if short in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge"):
            return short
    return None


def _mark(node: Node | None) -> tuple[int, int]:
    mark = getattr(node, "start_mark", None)
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


def _number(text: str, tag: str) -> int | float | Decimal | str:
    """Read a YAML int or float; a ``str`` return is the problem to report."""
    clean = text.replace("_", "").strip()
    if len(clean) > MAX_NUMBER_CHARS:
        return f"number too long ({len(clean)} characters): '{text[:20]}...'"
    sign = -1 if clean.startswith("-") else 1
    body = clean.lstrip("+-")
    low = body.lower()
    try:
        if tag == "int":
            for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
                if low.startswith(prefix):
                    return sign * int(body[2:], base)
            return sign * int(body, 10)
        if low in (".inf", "inf"):
            return sign * float("inf")
        if low in (".nan", "nan"):
            return float("nan")
        # Exact decimals: money must never pass through binary floats.
        value = Decimal(clean)
    except (ValueError, InvalidOperation):
        return f"'{text}' is not a valid {'integer' if tag == 'int' else 'number'}"
    exponent = value.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int) or abs(exponent) > 100:
        return f"number out of range: '{text}'"
    return value


# --------------------------------------------------------------------------- dumping


def _represent_decimal(representer: Any, value: Decimal) -> Any:
    text = f"{value:f}"
    if "." not in text:
        return representer.represent_scalar("tag:yaml.org,2002:int", text)
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


def _represent_none(representer: Any, value: None) -> Any:
    # The round-trip dumper writes None as nothing; `null` reads better in flow maps.
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _styled(value: Any, parent: str = "") -> Any:
    """Nested data as ruamel containers; short leaf lists and mappings in flow style."""
    if isinstance(value, dict):
        out: Any = CommentedMap((k, _styled(v, "map")) for k, v in value.items())
        leaves = [*value.keys(), *value.values()]
        limit = 0 if parent in ("", "seq") else 60  # list items read best as blocks
    elif isinstance(value, list):
        out = CommentedSeq(_styled(v, "seq") for v in value)
        leaves = list(value)
        limit = 90
    else:
        return value
    leaf = all(not isinstance(v, dict | list) for v in leaves)
    if leaf and sum(len(str(v)) + 2 for v in leaves) <= limit:
        out.fa.set_flow_style()
    else:
        out.fa.set_block_style()
    return out


def dump_yaml(data: dict[str, Any], header: str = "") -> str:
    """Block YAML, leaf lists and mappings in flow style, one blank line between sections.

    Each top-level key is dumped on its own so the blank lines can never land inside
    a multi-line value.
    """
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(Decimal, _represent_decimal)
    yaml.representer.add_representer(type(None), _represent_none)
    chunks = []
    for key, value in data.items():
        buffer = StringIO()
        yaml.dump(_styled({key: value}), buffer)
        chunks.append(buffer.getvalue())
    return header + "\n".join(chunks)
