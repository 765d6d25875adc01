"""Derive the synchronous flavour of the core layer from its async source.

The core is written once, async (FastAPI runs it as is). For Flask, each Python
file is converted by the rules in ``RULES``, the one table of what changes:

- ``import``: ``from sqlalchemy.ext.asyncio import AsyncSession`` becomes
  ``from sqlalchemy.orm import Session``, name by name (the sync names of a library
  often live in other modules than the async ones);
- ``call``: calls whose sync form is another expression, not just other names
  (``await it.__anext__()`` is ``next(it)``; ``await shield(partial(f, x))`` is
  ``f(x)``, since a thread is never cancelled midway and needs no shield);
- ``name``: identifiers renamed wherever they appear in code, in a string literal
  that is exactly the name (how the SQLite driver name follows the flavour), and
  in comments and docstrings (so the docs name what the sync code calls).

Then ``async`` and ``await`` are dropped. The conversion uses only the standard
library (``ast`` to find imports and calls, ``tokenize`` for names and keywords)
and edits the source text in place, so layout and comments survive.

The table stays small and honest: archgen's tests fail when a rule is never used
by the core layer, and when the sync output of any core file fails to compile.
Only libraries whose sync and async APIs mirror each other belong on this path;
anything else (an HTTP client) gets a small per-flavour module in the web layers.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

RuleKind = Literal["import", "call", "name"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One async -> sync rewrite. ``source`` and ``target`` depend on ``kind``:

    import: ``module:Name`` -> ``module:Name``; name: ``name`` -> ``name``;
    call: the callee's name (``shield``) or method (``.__anext__``) -> a description.
    """

    kind: RuleKind
    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.kind} {self.source} -> {self.target}"


RULES: tuple[Rule, ...] = (
    Rule("import", "sqlalchemy.ext.asyncio:AsyncEngine", "sqlalchemy:Engine"),
    Rule("import", "sqlalchemy.ext.asyncio:AsyncSession", "sqlalchemy.orm:Session"),
    Rule("import", "sqlalchemy.ext.asyncio:async_sessionmaker", "sqlalchemy.orm:sessionmaker"),
    Rule("import", "sqlalchemy.ext.asyncio:create_async_engine", "sqlalchemy:create_engine"),
    Rule("import", "redis.asyncio:Redis", "redis:Redis"),
    Rule("import", "redis.asyncio.retry:Retry", "redis.retry:Retry"),
    Rule("call", ".__anext__", "next(obj)"),
    Rule("call", "shield", "the shielded call itself"),
    Rule("name", "AsyncEngine", "Engine"),
    Rule("name", "AsyncSession", "Session"),
    Rule("name", "async_sessionmaker", "sessionmaker"),
    Rule("name", "create_async_engine", "create_engine"),
    Rule("name", "AsyncIterator", "Iterator"),
    Rule("name", "AsyncGenerator", "Generator"),
    Rule("name", "asynccontextmanager", "contextmanager"),
    Rule("name", "__aenter__", "__enter__"),
    Rule("name", "__aexit__", "__exit__"),
    Rule("name", "__aiter__", "__iter__"),
    Rule("name", "__anext__", "__next__"),
    Rule("name", "StopAsyncIteration", "StopIteration"),
    Rule("name", "aclose", "close"),  # redis.asyncio clients and async generators
    Rule("name", "aiosqlite", "pysqlite"),  # the SQLite driver in a database URL
    # The Stripe SDK's async methods are its sync ones with an ``_async`` suffix.
    Rule("name", "create_async", "create"),
    Rule("name", "list_async", "list"),
    Rule("name", "retrieve_async", "retrieve"),
)

_IMPORTS = {
    tuple(r.source.split(":")): tuple(r.target.split(":")) for r in RULES if r.kind == "import"
}
_IMPORT_MODULES = {module for (module, _) in _IMPORTS}
_NAMES = {r.source: r.target for r in RULES if r.kind == "name"}
_CALLS = {r.source for r in RULES if r.kind == "call"}


@dataclass
class RuleUsage:
    """Which rules a set of conversions used (to keep the table minimal)."""

    used: set[Rule] = field(default_factory=set)

    def use(self, kind: RuleKind, source: str) -> None:
        self.used.update(r for r in RULES if r.kind == kind and r.source == source)

    def unused(self) -> list[str]:
        return [str(rule) for rule in RULES if rule not in self.used]


# Any text a rule could touch. A file without any of it is already its own sync form,
# and skipping the parser there (most tests, models, schemas) halves the render time.
_TRIGGERS = re.compile(
    "|".join(
        re.escape(word)
        for word in sorted(
            {"async", "await", *_NAMES, *_IMPORT_MODULES, *(c.lstrip(".") for c in _CALLS)}
        )
    )
)
# What an import or call rule could match: a file without it skips the parser entirely.
_STRUCTURE = re.compile(
    "|".join(
        re.escape(word) for word in sorted({*_IMPORT_MODULES, *(c.lstrip(".") for c in _CALLS)})
    )
)
_WORDS = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(_NAMES)) + r")\b")
_CODE_SPAN = re.compile(r"``(.+?)``")
_KEYWORD_PREFIX = re.compile(r"\b(?:async|await) ")


# -- text edits -------------------------------------------------------------------------


@dataclass(frozen=True, order=True, slots=True)
class _Edit:
    start: int  # character offsets into the source
    end: int
    text: str


def _apply(source: str, edits: Iterable[_Edit]) -> str:
    """Apply non-overlapping edits; of overlapping ones the outermost wins this round."""
    kept: list[_Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, -e.end)):
        if kept and edit.start < kept[-1].end:
            continue
        kept.append(edit)
    for edit in reversed(kept):
        source = source[: edit.start] + edit.text + source[edit.end :]
    return source


class _Offsets:
    """(line, column) -> character offset, for ``ast`` (UTF-8 byte columns) and tokens."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def chars(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column

    def node(self, line: int, byte_column: int) -> int:
        text = self.lines[line - 1].encode("utf-8")[:byte_column].decode("utf-8")
        return self.starts[line - 1] + len(text)

    def span(self, node: ast.expr | ast.stmt) -> tuple[int, int]:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return (
            self.node(node.lineno, node.col_offset),
            self.node(node.end_lineno, node.end_col_offset),
        )


# -- imports and calls (ast) ------------------------------------------------------------


def _sync_import(node: ast.ImportFrom, usage: RuleUsage) -> list[str]:
    grouped: dict[str, list[str]] = defaultdict(list)
    assert node.module is not None
    for alias in node.names:
        module, name = _IMPORTS.get((node.module, alias.name), (node.module, alias.name))
        if (node.module, alias.name) in _IMPORTS:
            usage.use("import", f"{node.module}:{alias.name}")
        grouped[module].append(name + (f" as {alias.asname}" if alias.asname else ""))
    return [f"from {module} import {', '.join(names)}" for module, names in grouped.items()]


def _import_edit(node: ast.ImportFrom, where: _Offsets, usage: RuleUsage) -> _Edit:
    start, end = where.span(node)
    indent = where.lines[node.lineno - 1][: node.col_offset]
    return _Edit(start, end, f"\n{indent}".join(_sync_import(node, usage)))


def _call_edit(node: ast.Call, source: str, where: _Offsets, usage: RuleUsage) -> _Edit | None:
    def text(part: ast.expr | ast.keyword) -> str:
        if isinstance(part, ast.keyword):
            value = text(part.value)
            return f"{part.arg}={value}" if part.arg else f"**{value}"
        start, end = where.span(part)
        return source[start:end]

    func = node.func
    start, end = where.span(node)
    if isinstance(func, ast.Attribute) and func.attr == "__anext__" and not node.args:
        usage.use("call", ".__anext__")
        return _Edit(start, end, f"next({text(func.value)})")
    if isinstance(func, ast.Name) and func.id == "shield" and len(node.args) == 1:
        usage.use("call", "shield")
        (call,) = node.args
        partial = (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "partial"
            and call.args
        )
        if isinstance(call, ast.Call) and partial:
            target, *args = call.args
            arguments = ", ".join([*map(text, args), *map(text, call.keywords)])
            return _Edit(start, end, f"{text(target)}({arguments})")
        return _Edit(start, end, f"{text(call)}()")
    return None


def _structural_edits(source: str, usage: RuleUsage) -> list[_Edit]:
    if not _STRUCTURE.search(source):
        return []
    where = _Offsets(source)
    edits: list[_Edit] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in _IMPORT_MODULES and not node.level:
            edits.append(_import_edit(node, where, usage))
        elif isinstance(node, ast.Call):
            edit = _call_edit(node, source, where, usage)
            if edit is not None:
                edits.append(edit)
    return edits


def _rewrite_structure(source: str, usage: RuleUsage) -> str:
    # Nested matches (a shielded call of an __anext__) are rewritten over a few rounds.
    for _ in range(10):
        edits = _structural_edits(source, usage)
        if not edits:
            return source
        source = _apply(source, edits)
    raise AssertionError("the async -> sync rewrite does not settle")


# -- names and keywords (tokens) --------------------------------------------------------


def _in_prose(text: str, usage: RuleUsage) -> str:
    """Comments and docstrings: rename code names; in ``code spans`` drop the keywords."""

    def rename(match: re.Match[str]) -> str:
        usage.use("name", match.group(1))
        return _NAMES[match.group(1)]

    text = _CODE_SPAN.sub(lambda m: "``" + _KEYWORD_PREFIX.sub("", m.group(1)) + "``", text)
    return _WORDS.sub(rename, text)


def _string(src: str, usage: RuleUsage) -> str:
    match = re.fullmatch(r"([rRbBuU]*)(['\"])(\w+)\2", src)
    if match and match.group(3) in _NAMES:
        usage.use("name", match.group(3))
        return match.group(1) + match.group(2) + _NAMES[match.group(3)] + match.group(2)
    if src.endswith(('"""', "'''")):
        return _in_prose(src, usage)
    return src


def _token_edit(token: tokenize.TokenInfo, where: _Offsets, usage: RuleUsage) -> _Edit | None:
    start = where.chars(*token.start)
    end = where.chars(*token.end)
    if token.type == tokenize.NAME and token.string in ("async", "await"):
        # Drop the keyword and the spaces after it: `print(await x)` -> `print(x)`.
        line = where.lines[token.end[0] - 1]
        spaces = len(line[token.end[1] :]) - len(line[token.end[1] :].lstrip(" "))
        return _Edit(start, end + spaces, "")
    if token.type == tokenize.NAME and token.string in _NAMES:
        usage.use("name", token.string)
        return _Edit(start, end, _NAMES[token.string])
    rewrite = _PROSE.get(token.type)
    if rewrite is not None:
        new = rewrite(token.string, usage)
        if new != token.string:
            return _Edit(start, end, new)
    return None


_PROSE: dict[int, Callable[[str, RuleUsage], str]] = {
    tokenize.STRING: _string,
    tokenize.COMMENT: _in_prose,
}
_REWRITTEN_NAMES = frozenset({"async", "await", *_NAMES})


def _rewritable(token: tokenize.TokenInfo) -> bool:
    """Whether ``_token_edit`` could change the token (most tokens it could not)."""
    if token.type == tokenize.NAME:
        return token.string in _REWRITTEN_NAMES
    return token.type in _PROSE


def _rewrite_tokens(source: str, usage: RuleUsage) -> str:
    where = _Offsets(source)
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    edits = [
        e for t in tokens if _rewritable(t) and (e := _token_edit(t, where, usage)) is not None
    ]
    return _apply(source, edits)


def to_sync(source: str, usage: RuleUsage | None = None) -> str:
    """The synchronous version of one async Python source file."""
    if not _TRIGGERS.search(source):
        return source
    usage = usage if usage is not None else RuleUsage()
    return _rewrite_tokens(_rewrite_structure(source, usage), usage)
