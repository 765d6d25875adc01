"""Published versions are immutable; changes are new versions (on a copy of app/prompts)."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.cli import main
from app.services.prompts import (
    PromptError,
    PromptFormatError,
    PromptIntegrityError,
    PromptNotFoundError,
    PromptStore,
)

NEW_BODY = """---
description: Shorter.
temperature: 0.1
variables: {style: plain}
---
Answer in a ${style} style, in at most three sentences.
"""


def test_an_edited_published_version_is_caught_and_named(
    store: PromptStore, prompts_dir: Path, prompt_name: str
) -> None:
    path = prompts_dir / prompt_name / "v1.md"
    path.write_text(path.read_text(encoding="utf-8") + "One more rule.\n", encoding="utf-8")

    problems = store.check()

    assert [problem.path for problem in problems] == [path]
    assert "v1.md" in str(problems[0])
    assert "was edited" in problems[0].message
    with pytest.raises(PromptIntegrityError, match=r"v1\.md"):
        store.get(prompt_name, 1)


def test_check_command_exits_non_zero_naming_the_changed_file(
    prompts_dir: Path, prompt_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompts", "check", "--dir", str(prompts_dir)]) == 0

    path = prompts_dir / prompt_name / "v1.md"
    path.write_text(path.read_text(encoding="utf-8").replace("You", "Thou", 1), encoding="utf-8")
    capsys.readouterr()

    assert main(["prompts", "check", "--dir", str(prompts_dir)]) == 1
    assert f"{prompt_name}/v1.md" in capsys.readouterr().out


def test_line_ending_conversion_is_not_an_edit(
    store: PromptStore, prompts_dir: Path, prompt_name: str
) -> None:
    path = prompts_dir / prompt_name / "v1.md"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))

    assert store.check() == []
    assert store.get(prompt_name, 1).version == 1


def test_a_deleted_published_version_is_caught(
    store: PromptStore, prompts_dir: Path, prompt_name: str
) -> None:
    (prompts_dir / prompt_name / "v1.md").unlink()

    messages = [str(problem) for problem in store.check()]

    assert any("v1.md" in m and "missing" in m for m in messages)


def test_publish_writes_the_next_version_and_locks_it(
    store: PromptStore, prompts_dir: Path, prompt_name: str
) -> None:
    v1_before = (prompts_dir / prompt_name / "v1.md").read_bytes()

    prompt = store.publish(prompt_name, NEW_BODY)

    assert prompt.ref == f"{prompt_name}@v2"
    assert (prompts_dir / prompt_name / "v2.md").read_text(encoding="utf-8") == NEW_BODY
    lock = json.loads((prompts_dir / "prompts.lock").read_text(encoding="utf-8"))
    assert lock["prompts"][prompt_name]["v2"] == prompt.sha256
    assert (prompts_dir / prompt_name / "v1.md").read_bytes() == v1_before
    assert store.check() == []
    assert PromptStore(prompts_dir).versions(prompt_name) == (1, 2)
    assert prompt.render() == "Answer in a plain style, in at most three sentences."


def test_publish_refuses_identical_invalid_and_unsafe_input(
    store: PromptStore, prompts_dir: Path, prompt_name: str
) -> None:
    store.publish(prompt_name, NEW_BODY)
    with pytest.raises(PromptError, match="identical"):
        store.publish(prompt_name, NEW_BODY)
    with pytest.raises(PromptFormatError, match="undeclared"):
        store.publish(prompt_name, "Hello ${who}.\n")
    with pytest.raises(PromptFormatError, match="not in the catalog"):
        store.publish(prompt_name, "---\nmodel: no-such-model\n---\nHello.\n")
    with pytest.raises(PromptNotFoundError):
        store.publish("../escape", NEW_BODY)

    assert not (prompts_dir / prompt_name / "v3.md").exists()
    assert store.check() == []


def test_an_unpublished_version_file_is_reported_then_published_in_place(
    store: PromptStore, prompts_dir: Path, prompt_name: str
) -> None:
    draft = prompts_dir / prompt_name / "v2.md"
    draft.write_text(NEW_BODY, encoding="utf-8")

    problems = store.check()
    assert [problem.path for problem in problems] == [draft]
    assert "not published" in problems[0].message
    with pytest.raises(PromptNotFoundError):
        store.get(prompt_name, 2)

    assert store.publish(prompt_name, NEW_BODY).version == 2
    assert store.check() == []


def test_publish_and_list_commands(
    prompts_dir: Path, prompt_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "new.md"
    source.write_text(NEW_BODY, encoding="utf-8")

    assert main(["prompts", "publish", "--dir", str(prompts_dir), prompt_name, str(source)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"{prompt_name}@v2"
    assert "no traffic" in err  # the generated experiments file pins v1

    assert main(["prompts", "list", "--dir", str(prompts_dir), "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows[prompt_name]["versions"] == ["v1", "v2"]
    assert rows[prompt_name]["serving"] == {"v1": 1.0}

    assert main(["prompts", "publish", "--dir", str(prompts_dir), prompt_name, str(source)]) == 1
    assert "identical" in capsys.readouterr().err


def test_unknown_prompts_and_versions_are_not_found(store: PromptStore, prompt_name: str) -> None:
    for name, version in (("no_such_prompt", None), ("no_such_prompt", 1), (prompt_name, 99)):
        with pytest.raises(PromptNotFoundError):
            store.get(name, version)
    with pytest.raises(PromptNotFoundError):
        store.get("../escape", 1)
    with pytest.raises(PromptNotFoundError):
        store.resolve("no_such_prompt", "user-1")


def test_publish_reads_stdin(
    prompts_dir: Path,
    prompt_name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_BODY))

    assert main(["prompts", "publish", "--dir", str(prompts_dir), prompt_name]) == 0
    assert capsys.readouterr().out.strip() == f"{prompt_name}@v2"


def test_concurrent_publishes_lose_nothing(store: PromptStore, prompts_dir: Path) -> None:
    def publish(i: int) -> str:
        # Half go to one prompt (racing for version numbers), half to new prompts.
        name = "raced" if i % 2 else f"fresh_{i}"
        return PromptStore(prompts_dir).publish(name, f"Version from writer {i}.\n").ref

    with ThreadPoolExecutor(max_workers=8) as pool:
        refs = list(pool.map(publish, range(16)))

    assert len(set(refs)) == 16
    store.reload()
    assert store.versions("raced") == tuple(range(1, 9))
    assert all(store.versions(f"fresh_{i}") == (1,) for i in range(0, 16, 2))
    assert store.check() == []
