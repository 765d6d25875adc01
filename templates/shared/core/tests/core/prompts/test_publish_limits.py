"""Publishing is bounded: version size, versions per prompt, publishes per minute, file modes."""

from __future__ import annotations

import io
import os
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.core.config import get_settings
from app.services.prompts import (
    PromptStore,
    PromptTooLargeError,
    PromptVersionLimitError,
    PublishLimits,
)
from app.services.prompts.catalog import PromptCatalog
from app.services.prompts.publishing import publish_rate_limited
from app.services.usage.errors import RateLimited
from app.services.usage.ratelimit import MemoryRateLimiter


def version_text(number: int, size: int = 0) -> str:
    """A valid prompt file, distinct per ``number``, padded to about ``size`` bytes."""
    body = f"Answer plainly. Revision {number}."
    return body + " " + "x" * max(size - len(body) - 2, 0) + "\n"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings read again from the environment the test sets up."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_version_over_the_size_limit_is_refused_and_nothing_is_written(
    prompts_dir: Path, prompt_name: str
) -> None:
    store = PromptStore(prompts_dir, limits=PublishLimits(max_bytes=1_000))
    before = store.versions(prompt_name)
    lock = store.lock_path.read_bytes()

    with pytest.raises(PromptTooLargeError, match="at most 1000 bytes") as caught:
        store.publish(prompt_name, version_text(1, 1_001))

    assert caught.value.max_bytes == 1_000
    assert store.versions(prompt_name) == before
    assert store.lock_path.read_bytes() == lock
    assert not (prompts_dir / prompt_name / f"v{before[-1] + 1}.md").exists()
    # Bytes, not characters: 400 three-byte characters are 1,200 bytes.
    with pytest.raises(PromptTooLargeError):
        store.publish(prompt_name, "\u4e2d" * 400 + "\n")
    assert store.publish(prompt_name, version_text(2, 1_000)).version == before[-1] + 1


def test_a_prompt_cannot_grow_past_its_version_limit(prompts_dir: Path, prompt_name: str) -> None:
    existing = len(PromptStore(prompts_dir).versions(prompt_name))
    store = PromptStore(prompts_dir, limits=PublishLimits(max_versions=existing + 2))
    store.publish(prompt_name, version_text(1))
    store.publish(prompt_name, version_text(2))

    with pytest.raises(PromptVersionLimitError, match="PROMPT_MAX_VERSIONS") as caught:
        store.publish(prompt_name, version_text(3))

    assert caught.value.max_versions == existing + 2
    assert len(store.versions(prompt_name)) == existing + 2
    assert store.check() == []


def test_publishing_keeps_the_lock_files_mode(prompts_dir: Path, prompt_name: str) -> None:
    store = PromptStore(prompts_dir)
    for number, mode in enumerate((0o644, 0o640, 0o664), start=1):
        store.lock_path.chmod(mode)
        store.publish(prompt_name, version_text(number))
        assert mode_of(store.lock_path) == mode
    assert not [p.name for p in prompts_dir.iterdir() if p.name.startswith(".")]


def test_a_new_lock_file_gets_the_umask_mode(tmp_path: Path, prompts_dir: Path) -> None:
    store = PromptStore(prompts_dir)
    store.lock_path.unlink()
    previous = os.umask(0o022)
    try:
        store.publish("fresh", version_text(1))
    finally:
        os.umask(previous)
    assert mode_of(store.lock_path) == 0o644


async def test_publishes_are_rate_limited_per_workspace(
    catalog: PromptCatalog, prompt_name: str
) -> None:
    limiter = MemoryRateLimiter()
    busy, quiet = uuid.uuid4(), uuid.uuid4()
    for number in range(3):
        await publish_rate_limited(
            catalog,
            limiter,
            workspace_id=busy,
            name=prompt_name,
            text=version_text(number),
            per_minute=3,
        )
    versions = catalog.versions(prompt_name)

    with pytest.raises(RateLimited) as caught:
        await publish_rate_limited(
            catalog,
            limiter,
            workspace_id=busy,
            name=prompt_name,
            text=version_text(9),
            per_minute=3,
        )

    assert 0 < caught.value.retry_after <= 20
    assert catalog.versions(prompt_name) == versions
    # Another workspace has a bucket of its own.
    await publish_rate_limited(
        catalog, limiter, workspace_id=quiet, name=prompt_name, text=version_text(9), per_minute=3
    )


def test_the_publish_command_applies_the_limits_from_the_environment(
    prompts_dir: Path,
    prompt_name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fresh_settings: None,
) -> None:
    monkeypatch.setenv("PROMPT_MAX_BYTES", "2000")
    # Ten megabytes on stdin: read only as far as the limit, refused at once.
    monkeypatch.setattr("sys.stdin", io.StringIO("y" * 10_000_000))
    started = time.perf_counter()

    assert main(["prompts", "publish", prompt_name, "--dir", str(prompts_dir)]) == 1

    assert time.perf_counter() - started < 2
    err = capsys.readouterr().err
    assert "at most 2000 bytes" in err and "PROMPT_MAX_BYTES" in err
    assert len(err) < 300

    existing = len(PromptStore(prompts_dir).versions(prompt_name))
    monkeypatch.setenv("PROMPT_MAX_VERSIONS", str(existing))
    get_settings.cache_clear()
    source = prompts_dir.parent / "next.md"
    source.write_text(version_text(1), encoding="utf-8")
    assert main(["prompts", "publish", prompt_name, str(source), "--dir", str(prompts_dir)]) == 1
    assert "PROMPT_MAX_VERSIONS" in capsys.readouterr().err
