"""The async -> sync derivation of the core layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from archgen.render.unasync import RuleUsage, to_sync
from archgen.resources import templates_dir

CORE = templates_dir() / "shared"
# The core layer and the feature layers written async once (shared/knowledge).
CORE_PY = sorted(
    p
    for layer in ("core", "knowledge")
    for p in (CORE / layer).rglob("*.py")
    if "__pycache__" not in p.parts
)


def test_drops_async_await_and_renames_library_names() -> None:
    source = (
        "from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker\n"
        "from collections.abc import AsyncIterator\n\n"
        "async def rows(engine: AsyncEngine) -> AsyncIterator[int]:\n"
        "    async with engine.connect() as conn:\n"
        "        yield await conn.scalar(1)\n"
    )

    result = to_sync(source)

    assert "async" not in result.replace("sqlalchemy.ext.asyncio", "")
    assert "await" not in result
    assert "from sqlalchemy import Engine" in result
    assert "from sqlalchemy.orm import sessionmaker" in result
    assert "def rows(engine: Engine) -> Iterator[int]:" in result
    assert "with engine.connect() as conn:" in result
    assert "yield conn.scalar(1)" in result


def test_multiline_import_is_split_by_sync_module() -> None:
    source = (
        "from sqlalchemy.ext.asyncio import (\n"
        "    AsyncSession,\n"
        "    create_async_engine,\n"
        ")\n"
        "x = 1\n"
    )

    result = to_sync(source)

    assert result == (
        "from sqlalchemy.orm import Session\nfrom sqlalchemy import create_engine\nx = 1\n"
    )


def test_driver_name_strings_follow_the_flavour() -> None:
    assert to_sync('SQLITE_DRIVER = "aiosqlite"\n') == 'SQLITE_DRIVER = "pysqlite"\n'


def test_anext_calls_become_next_and_stop_async_iteration_stop_iteration() -> None:
    source = (
        "async def first(events: AsyncIterator[int]) -> int | None:\n"
        "    try:\n"
        "        return await events.__anext__()\n"
        "    except StopAsyncIteration:\n"
        "        return None\n"
    )

    result = to_sync(source)

    assert "return next(events)" in result
    assert "except StopIteration:" in result
    assert "__next__" not in result


def test_a_shielded_call_is_the_call_itself_in_sync_code() -> None:
    source = (
        "async def settle(self, admission: int, exc: Exception | None) -> int:\n"
        "    await shield(partial(self._settle_failure, admission, exc=exc))\n"
        "    return await shield(self._flush)\n"
    )

    result = to_sync(source)

    assert "    self._settle_failure(admission, exc=exc)\n" in result
    assert "    return self._flush()\n" in result
    assert "shield" not in result.replace("shield(", "")


def test_docstrings_and_comments_name_the_sync_api() -> None:
    source = (
        "async def stop(stream: AsyncIterator[int]) -> None:\n"
        '    """Close it early (``aclose``; ``async with stream:`` does it too)."""\n'
        "    # aclose() frees the upstream request\n"
        "    await stream.aclose()\n"
    )

    result = to_sync(source)

    assert '"""Close it early (``close``; ``with stream:`` does it too)."""' in result
    assert "# close() frees the upstream request" in result
    assert "aclose" not in result


def test_multibyte_text_before_a_rewrite_keeps_the_offsets_right() -> None:
    source = 'NOTE = "Zürich — ü"; first = await it.__anext__()  # ünïcode\n'

    assert to_sync(source) == 'NOTE = "Zürich — ü"; first = next(it)  # ünïcode\n'


def test_code_without_async_is_unchanged() -> None:
    source = "import json\n\n\ndef f(x: int) -> str:\n    return json.dumps(x)\n"
    assert to_sync(source) == source


@pytest.mark.parametrize("path", CORE_PY, ids=lambda p: str(p.relative_to(CORE)))
def test_every_core_file_has_a_valid_sync_form(path: Path) -> None:
    result = to_sync(path.read_text(encoding="utf-8"))

    tree = ast.parse(result)  # compiles
    leftovers = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.AsyncFunctionDef | ast.AsyncWith | ast.AsyncFor | ast.Await)
    ]
    assert not leftovers, f"async constructs left at lines {leftovers}"
    imports = [
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    ]
    assert "sqlalchemy.ext.asyncio" not in imports
    assert "redis.asyncio" not in imports


def test_every_rule_is_used_by_the_core_layer() -> None:
    # Keeps the tables honest and small, as httpcore's unasync script does.
    usage = RuleUsage()
    for path in CORE_PY:
        to_sync(path.read_text(encoding="utf-8"), usage)

    assert usage.unused() == []
