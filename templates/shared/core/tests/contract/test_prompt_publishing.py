"""``POST /v1/prompts`` is for operators only (403 for owners and members) and bounded:
413 over the size limit, 409 past the version limit, 429 past the publish rate, 422
(short) for hostile front matter; nothing lands on disk.

A server of its own, with small limits, so the shared contract server's tests are not
affected by the publishes made here.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.core.catalog import DEFAULT_WORKFLOW, WORKFLOWS
from app.core.config import Settings
from app.core.flavour import run
from app.services.api.runtime import RuntimeOptions
from app.services.prompts import PROMPTS_DIR, PromptStore
from tests.contract.helpers import assert_error
from tests.contract.world import Key, fake_providers, gateway_settings, migrated_database, seed
from tests.web.server import serve

MAX_BYTES = 4_096
PER_MINUTE = 4
EXTRA_VERSIONS = 2  # how many more versions the prompt may get
PROMPT = WORKFLOWS[DEFAULT_WORKFLOW].prompt


@dataclass(frozen=True)
class Publisher:
    base_url: str
    keys: dict[str, Key]
    prompts: Path
    max_versions: int

    def publish(self, key: str, text: str, name: str = PROMPT) -> httpx.Response:
        return httpx.post(
            f"{self.base_url}/v1/prompts",
            json={"name": name, "text": text},
            headers=self.keys[key].headers(),
            timeout=20,
        )

    def versions(self, key: str, name: str = PROMPT) -> list[int]:
        """The published versions of ``name``, as the API lists them."""
        answer = httpx.get(f"{self.base_url}/v1/prompts", headers=self.keys[key].headers())
        answer.raise_for_status()
        return next(p["versions"] for p in answer.json()["data"] if p["name"] == name)


@pytest.fixture(scope="module")
def publisher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Publisher]:
    tmp = tmp_path_factory.mktemp("publishing")
    prompts = tmp / "prompts"
    shutil.copytree(PROMPTS_DIR, prompts)
    existing = len(PromptStore(prompts).versions(PROMPT))
    with migrated_database(tmp) as database_url, fake_providers() as upstreams:
        keys = run(lambda: seed(database_url))
        settings = Settings(
            database_url=database_url,
            redis_url=os.environ.get("TEST_REDIS_URL") or None,
            environment="test",
            prompt_max_bytes=MAX_BYTES,
            prompt_max_versions=existing + EXTRA_VERSIONS,
            prompt_publishes_per_minute=PER_MINUTE,
        )
        options = RuntimeOptions(gateway_settings=gateway_settings(upstreams), prompts_root=prompts)
        with serve(settings, options) as base_url:
            yield Publisher(base_url, keys, prompts, existing + EXTRA_VERSIONS)


def version(number: int, size: int = 0) -> str:
    body = f"Answer plainly, revision {number}."
    return body + "x" * max(size - len(body) - 1, 0) + "\n"


def test_a_version_over_the_size_limit_is_413(publisher: Publisher) -> None:
    started = time.perf_counter()
    error = assert_error(
        publisher.publish("operator", version(1, 100_000)), 413, "prompt_too_large"
    )
    assert time.perf_counter() - started < 5
    assert error["param"] == "text"
    assert error["details"] == {"max_bytes": MAX_BYTES}
    assert "PROMPT_MAX_BYTES" in error["message"]


def test_yaml_aliases_in_front_matter_are_a_short_422(publisher: Publisher) -> None:
    laughs = "---\na: &a [x, x, x, x, x, x, x, x, x]\n"
    laughs += "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(6)
    )
    laughs += "variables: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n---\nHi.\n"
    assert len(laughs) < 450
    response = publisher.publish("operator", laughs)
    error = assert_error(response, 422, "invalid_prompt")
    assert "aliases" in error["message"]
    assert len(response.content) < 1_000


def test_a_prompt_stops_growing_at_its_version_limit(publisher: Publisher) -> None:
    statuses = [publisher.publish("operator_b", version(10 + n)).status_code for n in range(3)]
    # Whatever the other tests published first, the limit is reached and then held.
    assert statuses[-1] == 409 and set(statuses) <= {201, 409}
    error = assert_error(publisher.publish("operator_b", version(20)), 409, "prompt_version_limit")
    assert error["details"]["max_versions"] == publisher.max_versions
    assert "PROMPT_MAX_VERSIONS" in error["message"]
    # The versions are rows in the database: the serving instance's files are untouched.
    assert PromptStore(publisher.prompts).check() == []
    assert sorted(p.name for p in (publisher.prompts / PROMPT).iterdir()) == ["v1.md"]


def test_publishing_is_rate_limited_per_workspace(publisher: Publisher) -> None:
    answers = [publisher.publish("operator_c", version(30 + n)) for n in range(PER_MINUTE + 1)]

    assert all(a.status_code != 429 for a in answers[:PER_MINUTE]), [a.text for a in answers]
    error = assert_error(answers[-1], 429, "rate_limited")
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert error["message"]
    # Another workspace's operator is not held back by this one's publishes.
    assert publisher.publish("operator", version(40)).status_code != 429


def test_only_operators_publish(publisher: Publisher) -> None:
    before = publisher.versions("operator")
    for key in ("owner", "member"):
        assert_error(publisher.publish(key, version(50)), 403, "operator_only")
    # A refused publish writes nothing: a customer's owner cannot change what every
    # customer is served.
    assert publisher.versions("operator") == before
