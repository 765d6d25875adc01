"""Derive the synchronous flavour of the core layer from its async source.

The core is written once, async (FastAPI runs it as is). For Flask, each Python
file goes through two passes, the way httpcore produces its sync package:

1. imports: ``from sqlalchemy.ext.asyncio import AsyncSession`` becomes
   ``from sqlalchemy.orm import Session``, name by name, from the table below
   (the sync names of a library often live in other modules than the async ones);
2. tokens: the ``unasync`` package drops ``async``/``await`` and renames
   ``AsyncIterator``, ``__aenter__``, ``asynccontextmanager`` and friends, plus the
   extra names below.

The tables stay small and honest: archgen's tests fail when a rule is never used
by the core layer, and when the sync output of any core file fails to compile.
Only libraries whose sync and async APIs mirror each other belong on this path;
anything else (an HTTP client) gets a small per-flavour module in the web layers.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field

import tokenize_rt
import unasync

# (async module, async name) -> (sync module, sync name)
IMPORT_RULES: dict[tuple[str, str], tuple[str, str]] = {
    ("sqlalchemy.ext.asyncio", "AsyncEngine"): ("sqlalchemy", "Engine"),
    ("sqlalchemy.ext.asyncio", "AsyncSession"): ("sqlalchemy.orm", "Session"),
    ("sqlalchemy.ext.asyncio", "async_sessionmaker"): ("sqlalchemy.orm", "sessionmaker"),
    ("sqlalchemy.ext.asyncio", "create_async_engine"): ("sqlalchemy", "create_engine"),
    ("redis.asyncio", "Redis"): ("redis", "Redis"),
    ("redis.asyncio.retry", "Retry"): ("redis.retry", "Retry"),
}

# Whole-module renames, for `import a.b as c` and names without an IMPORT_RULES entry.
MODULE_RULES: dict[str, str] = {}

# Extra token renames on top of unasync's own table. A string literal whose whole
# content is a key is renamed too (unasync's behaviour), which is how the SQLite
# driver name follows the flavour.
NAME_RULES: dict[str, str] = {
    "AsyncEngine": "Engine",
    "AsyncSession": "Session",
    "async_sessionmaker": "sessionmaker",
    "create_async_engine": "create_engine",
    "aiosqlite": "pysqlite",
    "aclose": "close",  # redis.asyncio clients and async generators
}


@dataclass
class RuleUsage:
    """Which rules a set of conversions used (to keep the tables minimal)."""

    imports: set[tuple[str, str]] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    def unused(self) -> list[str]:
        unused = [f"import {m}.{n}" for (m, n) in IMPORT_RULES if (m, n) not in self.imports]
        unused += [f"module {m}" for m in MODULE_RULES if m not in self.modules]
        unused += [f"name {n}" for n in NAME_RULES if n not in self.names]
        return unused


_TOKEN_RULE = unasync.Rule("/_async/", "/_sync/", additional_replacements=NAME_RULES)
_RULE_MODULES = {m for (m, _) in IMPORT_RULES} | set(MODULE_RULES)


def _rewrite_import(node: ast.ImportFrom | ast.Import, usage: RuleUsage) -> list[str] | None:
    """The sync import lines for ``node``, or None when no rule applies."""
    if isinstance(node, ast.Import):
        if not any(alias.name in MODULE_RULES for alias in node.names):
            return None
        lines = []
        for alias in node.names:
            module = MODULE_RULES.get(alias.name, alias.name)
            if alias.name in MODULE_RULES:
                usage.modules.add(alias.name)
            lines.append(f"import {module}" + (f" as {alias.asname}" if alias.asname else ""))
        return lines

    if node.module not in _RULE_MODULES or node.level:
        return None
    grouped: dict[str, list[str]] = defaultdict(list)
    for alias in node.names:
        key = (node.module, alias.name)
        if key in IMPORT_RULES:
            usage.imports.add(key)
            module, name = IMPORT_RULES[key]
        elif node.module in MODULE_RULES:
            usage.modules.add(node.module)
            module, name = MODULE_RULES[node.module], alias.name
        else:
            module, name = node.module, alias.name
        grouped[module].append(name + (f" as {alias.asname}" if alias.asname else ""))
    return [f"from {module} import {', '.join(names)}" for module, names in grouped.items()]


def _rewrite_imports(source: str, usage: RuleUsage) -> str:
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, list[str]]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            replacement = _rewrite_import(node, usage)
            if replacement is not None:
                assert node.end_lineno is not None
                indent = lines[node.lineno - 1][: node.col_offset]
                edits.append(
                    (node.lineno - 1, node.end_lineno, replacement_lines(indent, replacement))
                )
    for start, end, new in sorted(edits, reverse=True):
        lines[start:end] = new
    return "".join(lines)


def replacement_lines(indent: str, statements: list[str]) -> list[str]:
    return [f"{indent}{statement}\n" for statement in statements]


def _record_names(tokens: list[tokenize_rt.Token], usage: RuleUsage) -> None:
    for token in tokens:
        value = (
            token.src
            if token.name == "NAME"
            else token.src[1:-1]
            if token.name == "STRING"
            else None
        )
        if value in NAME_RULES:
            usage.names.add(value)


# Any text a rule could touch. A file without any of it is already its own sync form,
# and skipping the tokenizer there (most tests, models, schemas) halves the render time.
_TRIGGERS = re.compile(
    "|".join(
        re.escape(word)
        for word in sorted(
            {"async", "await", "Async", *unasync._ASYNC_TO_SYNC, *NAME_RULES, *_RULE_MODULES}
        )
    )
)


def to_sync(source: str, usage: RuleUsage | None = None) -> str:
    """The synchronous version of one async Python source file."""
    if not _TRIGGERS.search(source):
        return source
    usage = usage if usage is not None else RuleUsage()
    if any(module in source for module in _RULE_MODULES):
        source = _rewrite_imports(source, usage)
    tokens = tokenize_rt.src_to_tokens(source)
    _record_names(tokens, usage)
    return tokenize_rt.tokens_to_src(list(_TOKEN_RULE._unasync_tokens(tokens)))
