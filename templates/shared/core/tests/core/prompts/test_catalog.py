"""Published versions live in the database: the files are loaded into it, API publishes
are immutable rows, and every instance serves them after its next refresh."""

from __future__ import annotations

import json
from functools import partial
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.cli import main
from app.core.config import get_settings
from app.core.db import create_engine_for
from app.core.flavour import gather, run
from app.models.prompts import PromptVersionRow
from app.services.prompts import (
    PromptError,
    PromptStore,
    PromptTooLargeError,
    PromptVersionLimitError,
    PublishLimits,
    content_sha256,
)
from app.services.prompts.catalog import PromptCatalog
from app.services.usage.tenancy import TenantDatabase
from tests.core.usage.conftest import postgres_url

NEW_BODY = "Answer in one short paragraph.\n"


def other_instance(engine: AsyncEngine, prompts_dir: Path, refresh: float = 0) -> PromptCatalog:
    """A second process's view of the same database and files."""
    return PromptCatalog(TenantDatabase(engine), PromptStore(prompts_dir), refresh_seconds=refresh)


async def stored(engine: AsyncEngine) -> list[tuple[str, int, str]]:
    async with TenantDatabase(engine).system() as session:
        rows = await session.execute(
            select(PromptVersionRow.name, PromptVersionRow.version, PromptVersionRow.source)
        )
        return sorted((name, version, source) for name, version, source in rows)


async def test_the_files_are_loaded_into_the_store_once(
    catalog: PromptCatalog, prompts_engine: AsyncEngine, prompt_name: str
) -> None:
    files = catalog.files.published()

    first = await catalog.sync_files()
    second = await catalog.sync_files()

    assert sorted(first.stored) == sorted(f"{n}@v{v}" for n, vs in files.items() for v in vs)
    assert second.stored == () and second.problems == ()
    assert {(n, v) for n, v, _ in await stored(prompts_engine)} == {
        (n, v) for n, vs in files.items() for v in vs
    }
    await catalog.refresh(force=True)
    assert catalog.get(prompt_name, 1).sha256 == catalog.files.get(prompt_name, 1).sha256


async def test_a_version_published_on_one_instance_is_served_by_another(
    catalog: PromptCatalog, prompts_engine: AsyncEngine, prompts_dir: Path, prompt_name: str
) -> None:
    slow = other_instance(prompts_engine, prompts_dir, refresh=3600)
    await slow.refresh()  # its first look; the next is an hour away

    published = await catalog.publish(prompt_name, NEW_BODY)

    assert published.ref == f"{prompt_name}@v2"
    assert catalog.versions(prompt_name) == (1, 2)  # the publisher serves it at once
    # Nothing was written to the instance's disk.
    assert not (prompts_dir / prompt_name / "v2.md").exists()
    assert PromptStore(prompts_dir).versions(prompt_name) == (1,)
    # Between refreshes an instance makes no query and serves what it has...
    await slow.refresh()
    assert slow.versions(prompt_name) == (1,)
    # ...and its next refresh loads the new row.
    await slow.refresh(force=True)
    assert slow.versions(prompt_name) == (1, 2)
    assert slow.get(prompt_name).render() == "Answer in one short paragraph."
    fresh = other_instance(prompts_engine, prompts_dir)
    await fresh.refresh()
    assert fresh.resolve(prompt_name, "anyone").version == 1  # experiments.toml pins v1
    assert fresh.published()[prompt_name] == (1, 2)


def rewrite_first_version(prompts_dir: Path, name: str) -> Path:
    """A branch rewrote v1 and its lock entry: the files agree, the store does not."""
    path = prompts_dir / name / "v1.md"
    path.write_text("A different first version.\n", encoding="utf-8")
    lock = json.loads((prompts_dir / "prompts.lock").read_text(encoding="utf-8"))
    lock["prompts"][name]["v1"] = content_sha256("A different first version.\n")
    (prompts_dir / "prompts.lock").write_text(json.dumps(lock), encoding="utf-8")
    assert PromptStore(prompts_dir).check() == []
    return path


async def test_a_file_that_differs_from_its_stored_version_is_reported(
    catalog: PromptCatalog, prompts_dir: Path, prompt_name: str
) -> None:
    await catalog.sync_files()
    original = catalog.files.get(prompt_name, 1).body
    path = rewrite_first_version(prompts_dir, prompt_name)

    report = await other_instance(catalog.db.engine, prompts_dir).sync_files()

    assert report.stored == ()
    assert [problem.path for problem in report.problems] == [path]
    assert "stored immutable version" in report.problems[0].message
    # Every instance keeps serving the stored version, not the file.
    served = other_instance(catalog.db.engine, prompts_dir)
    await served.refresh()
    assert served.get(prompt_name, 1).body == original


@pytest.fixture
def database_env(prompts_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL for the commands: the test's database."""
    monkeypatch.setenv("DATABASE_URL", prompts_database_url)
    get_settings.cache_clear()
    yield prompts_database_url
    get_settings.cache_clear()


def test_the_sync_and_check_commands_compare_files_with_the_store(
    database_env: str, prompts_dir: Path, prompt_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompts", "sync", "--dir", str(prompts_dir)]) == 0
    assert f"stored {prompt_name}@v1" in capsys.readouterr().out
    assert main(["prompts", "sync", "--dir", str(prompts_dir)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["prompts", "check", "--dir", str(prompts_dir), "--database"]) == 0

    rewrite_first_version(prompts_dir, prompt_name)
    capsys.readouterr()

    # Without --database only the files are checked, and they agree with their lock.
    assert main(["prompts", "check", "--dir", str(prompts_dir)]) == 0
    assert main(["prompts", "check", "--dir", str(prompts_dir), "--database"]) == 1
    assert f"{prompt_name}/v1.md" in capsys.readouterr().out
    assert main(["prompts", "sync", "--dir", str(prompts_dir)]) == 1
    out, err = capsys.readouterr()
    assert f"{prompt_name}/v1.md" in out and "differ" in err


def test_the_list_command_shows_versions_published_through_the_api(
    database_env: str, prompts_dir: Path, prompt_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def publish() -> None:
        engine = create_engine_for(database_env)
        try:
            await other_instance(engine, prompts_dir).publish(prompt_name, NEW_BODY)
        finally:
            await engine.dispose()

    run(publish)
    capsys.readouterr()

    assert main(["prompts", "list", "--dir", str(prompts_dir), "--json"]) == 0
    files_only = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert main(["prompts", "list", "--dir", str(prompts_dir), "--json", "--database"]) == 0
    served = {row["name"]: row for row in json.loads(capsys.readouterr().out)}

    assert files_only[prompt_name]["versions"] == ["v1"]
    assert served[prompt_name]["versions"] == ["v1", "v2"]
    assert served[prompt_name]["serving"] == {"v1": 1.0}  # experiments.toml pins v1


async def test_publishing_keeps_its_limits(
    prompts_engine: AsyncEngine, prompts_dir: Path, prompt_name: str
) -> None:
    catalog = PromptCatalog(
        TenantDatabase(prompts_engine),
        PromptStore(prompts_dir, limits=PublishLimits(max_bytes=1_000, max_versions=2)),
    )
    with pytest.raises(PromptTooLargeError):
        await catalog.publish(prompt_name, "x" * 1_001)
    with pytest.raises(PromptError, match="identical"):
        await catalog.publish(prompt_name, catalog.files.get(prompt_name, 1).path.read_text())
    await catalog.publish(prompt_name, NEW_BODY)
    with pytest.raises(PromptVersionLimitError, match="PROMPT_MAX_VERSIONS"):
        await catalog.publish(prompt_name, "A third version.\n")

    assert [v for n, v, _ in await stored(prompts_engine) if n == prompt_name] == [1, 2]


async def test_concurrent_publishes_on_two_instances_lose_nothing(
    catalog: PromptCatalog, prompts_database_url: str, prompts_dir: Path, prompt_name: str
) -> None:
    engine = create_engine_for(prompts_database_url)
    try:
        other = other_instance(engine, prompts_dir)

        async def publish(i: int) -> str:
            instance = catalog if i % 2 else other
            return (await instance.publish(prompt_name, f"Version from writer {i}.\n")).ref

        refs = await gather(*(partial(publish, i) for i in range(6)))
    finally:
        await engine.dispose()

    assert sorted(refs) == [f"{prompt_name}@v{n}" for n in range(2, 8)]
    await catalog.refresh(force=True)
    assert catalog.versions(prompt_name) == tuple(range(1, 8))


@pytest.mark.skipif(postgres_url() is None, reason="grants exist on PostgreSQL only")
async def test_the_app_role_cannot_change_a_stored_version(
    catalog: PromptCatalog, prompts_engine: AsyncEngine, prompt_name: str
) -> None:
    await catalog.sync_files()
    for statement in (
        update(PromptVersionRow).values(text="changed"),
        text("DELETE FROM prompt_versions"),
    ):
        with pytest.raises(DBAPIError, match="permission denied"):  # noqa: SIM117 (the inner block must raise)
            async with catalog.db.system() as session:
                await session.execute(statement)
    assert len(await stored(prompts_engine)) >= 1
