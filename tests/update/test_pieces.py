"""Pure pieces of update: the prompt lock merge, the manifest reader."""

from __future__ import annotations

import json

import pytest

from archgen.render.manifest import parse_manifest
from archgen.update.plan import merge_lock


def _lock(prompts: dict[str, dict[str, str]]) -> bytes:
    return (json.dumps({"about": "x", "prompts": prompts}, indent=2) + "\n").encode()


def test_published_versions_stay_and_new_prompts_are_added() -> None:
    ours = _lock({"summarize": {"v1": "a" * 64, "v2": "b" * 64}})
    theirs = _lock({"summarize": {"v1": "c" * 64}, "translate": {"v1": "d" * 64}})

    merged = json.loads(merge_lock(ours, theirs))

    assert merged["prompts"] == {
        "summarize": {"v1": "a" * 64, "v2": "b" * 64},
        "translate": {"v1": "d" * 64},
    }


def test_nothing_new_gives_the_same_bytes() -> None:
    ours = _lock({"summarize": {"v1": "a" * 64}})
    assert merge_lock(ours, _lock({"summarize": {"v1": "c" * 64}})) == ours


def test_a_manifest_cannot_point_outside_the_project() -> None:
    digest = "0" * 64
    for files in ({"../outside.py": digest}, {"/etc/passwd": digest}, {"a.py": "../../x"}):
        with pytest.raises(ValueError):
            parse_manifest(json.dumps({"files": files}).encode())
    assert parse_manifest(json.dumps({"files": {"app/a.py": digest}}).encode()).files
