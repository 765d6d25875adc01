"""Several instances, one truth: two app processes (the production server command, on
two ports) share one PostgreSQL and one Redis, with every provider pointed at the fake
upstreams. Calls split across them never overshoot a cap, a rate limit admits exactly
its bucket, a prompt published on one is served by the other, a revoked key is refused
by both.

Runs when TEST_DATABASE_URL is PostgreSQL and TEST_REDIS_URL is set: that is where
instances share state (SQLite is one machine's file; without Redis each process
keeps its own rate-limit buckets, see docs/operations.md).
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from app.core.catalog import BILLING_MODE, DEFAULT_WORKFLOW, PROVIDERS, WORKFLOWS
from app.core.catalog_types import TierInfo
from app.core.db import create_engine_for
from app.core.flavour import run
from app.services.accounts import Accounts, Role
from app.services.usage.tenancy import TenantDatabase
from tests.contract.helpers import assert_error, chat_body
from tests.contract.world import (
    BROKE,
    MAIN_TIER,
    ROOMY,
    fake_providers,
    migrated_database,
    pinned_model,
    wire_of,
)
from tests.core.usage.conftest import postgres_url
from tests.fakes.upstream import FakeUpstream
from tests.web.server import entrypoint_command

pytestmark = pytest.mark.skipif(
    postgres_url() is None or not os.environ.get("TEST_REDIS_URL"),
    reason="instances share state through PostgreSQL and Redis: "
    "set TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL",
)

PROJECT = Path(__file__).absolute().parents[2]
INSTANCES = 2
PROMPT = WORKFLOWS[DEFAULT_WORKFLOW].prompt
# How often each instance looks for prompt versions published elsewhere.
REFRESH_SECONDS = 0.5
# Five requests a minute: no token comes back during the test (one per 12 s).
LIMITED = dataclasses.replace(ROOMY, requests_per_minute=5)
# Output per call stays small, so the cap is reached by admitted calls, not estimates.
MAX_OUTPUT_TOKENS = 32


@dataclass(frozen=True, slots=True)
class Member:
    token: str
    workspace_id: uuid.UUID
    key_id: uuid.UUID

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True, slots=True)
class Cluster:
    urls: list[str]
    database_url: str
    operator: Member  # the founder's key: grants credits, publishes prompts

    def url(self, n: int) -> str:
        """Instance ``n`` (round robin): what a load balancer would pick."""
        return self.urls[n % len(self.urls)]


async def add_workspace(
    database_url: str, name: str, tier: TierInfo, role: Role = "owner"
) -> Member:
    """A workspace on ``tier`` with a key of ``role`` (an owner's by default)."""
    engine = create_engine_for(database_url)
    try:
        accounts = Accounts(TenantDatabase(engine))
        workspace = await accounts.create_workspace(name, tier)
        user = await accounts.add_user(workspace.id, email=f"owner@{name}.test")
        issued = await accounts.issue_api_key(
            workspace.id, name=name, user_id=user.id, role=role
        )
        return Member(issued.plaintext, workspace.id, issued.id)
    finally:
        await engine.dispose()


def instance_env(database_url: str, upstreams: dict[str, FakeUpstream]) -> dict[str, str]:
    """The instances' environment: shared database and Redis, providers on the fakes."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_API_KEYS", "_BASE_URL"))
    }
    for provider in PROVIDERS:
        prefix = provider.upper().replace("-", "_")
        env[f"{prefix}_API_KEYS"] = f"sk-fake-{provider}"
        env[f"{prefix}_BASE_URL"] = upstreams[wire_of(provider)].base_url
    return {
        **env,
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
        "PROMPT_REFRESH_SECONDS": str(REFRESH_SECONDS),
        "ENVIRONMENT": "test",
        "PYTHONPATH": str(PROJECT),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, "an instance exited"
        assert time.monotonic() < deadline, "an instance did not start"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("instances")
    with migrated_database(tmp) as database_url, fake_providers() as upstreams:
        env = instance_env(database_url, upstreams)
        servers: list[subprocess.Popen[bytes]] = []
        urls = []
        try:
            for _ in range(INSTANCES):
                port = free_port()
                # From an empty directory: no developer's .env is read.
                servers.append(subprocess.Popen(entrypoint_command(port), cwd=tmp, env=env))
                urls.append(f"http://127.0.0.1:{port}")
            for url, server in zip(urls, servers, strict=True):
                wait_until_up(url, server)
            operator = run(lambda: add_workspace(database_url, "founder", ROOMY, "operator"))
            yield Cluster(urls, database_url, operator)
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=15)


def fund(cluster: Cluster, url: str, member: Member) -> None:
    # Prepaid products refuse calls without credits, so an operator grants some. Only
    # there: in a hybrid product credits pay for calls past the cap, which this test
    # must reach.
    if BILLING_MODE != "prepaid_credits":
        return
    grant = {"amount_usd": "100", "reason": "instances test", "workspace": str(member.workspace_id)}
    response = httpx.post(
        f"{url}/v1/credits",
        json=grant,
        headers=cluster.operator.headers(),
        timeout=20,
    )
    assert response.status_code == 201, response.text


def call(url: str, member: Member, n: int) -> httpx.Response:
    body = chat_body(f"Summarise call {n}: the quick brown fox.", model=pinned_model())
    body["max_output_tokens"] = MAX_OUTPUT_TOKENS
    return httpx.post(
        f"{url}/v1/chat?cache=off", json=body, headers=member.headers(), timeout=60
    )


def burst(cluster: Cluster, member: Member, count: int) -> list[httpx.Response]:
    """``count`` concurrent calls, alternating between the instances."""
    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(lambda n: call(cluster.url(n), member, n), range(count)))


def test_concurrent_calls_across_instances_never_overshoot_a_cap(cluster: Cluster) -> None:
    # What one call costs, and what admitting one holds (its worst case), learnt first.
    probe = run(lambda: add_workspace(cluster.database_url, "probe", ROOMY))
    fund(cluster, cluster.url(0), probe)
    first = call(cluster.url(0), probe, 0)
    assert first.status_code == 200, first.text
    cost = Decimal(first.json()["usage"]["cost_usd"])
    broke = run(lambda: add_workspace(cluster.database_url, "broke", BROKE))
    fund(cluster, cluster.url(0), broke)
    hold = assert_error(call(cluster.url(0), broke, 0), 402)
    worst = Decimal(str(hold["details"]["required_usd"]))
    assert 0 < cost <= worst
    # Room for about ten calls after the first hold; a hundred race for it.
    cap = worst + 10 * cost
    capped_tier = dataclasses.replace(MAIN_TIER, monthly_cost_cap=cap, requests_per_minute=100_000)
    capped = run(lambda: add_workspace(cluster.database_url, "capped", capped_tier))
    fund(cluster, cluster.url(1), capped)

    answers = burst(cluster, capped, 100)

    admitted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    assert admitted, [a.text for a in answers[:3]]
    assert refused, "the cap was never reached"
    for answer in refused:
        assert_error(answer, 402)
    spent = sum(Decimal(a.json()["usage"]["cost_usd"]) for a in admitted)
    assert spent <= cap, f"admitted {len(admitted)} calls costing {spent} over a cap of {cap}"
    # The workspace's own account of it agrees, on either instance.
    for url in cluster.urls:
        report = httpx.get(f"{url}/v1/usage", headers=capped.headers(), timeout=20).json()
        assert Decimal(report["cap"]["used_usd"]) <= cap


def test_a_rate_limit_admits_exactly_its_bucket_across_instances(cluster: Cluster) -> None:
    limited = run(lambda: add_workspace(cluster.database_url, "limited", LIMITED))
    fund(cluster, cluster.url(0), limited)

    answers = burst(cluster, limited, 20)

    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == LIMITED.requests_per_minute, statuses
    for answer in answers:
        if answer.status_code != 200:
            assert_error(answer, 429, "rate_limited")


def test_a_prompt_published_on_one_instance_is_served_by_the_other(cluster: Cluster) -> None:
    owner = cluster.operator
    published = httpx.post(
        f"{cluster.url(0)}/v1/prompts",
        json={"name": PROMPT, "text": "Answer in exactly one sentence.\n"},
        headers=owner.headers(),
        timeout=20,
    )
    assert published.status_code == 201, published.text
    version = published.json()["version"]

    deadline = time.monotonic() + 10 * REFRESH_SECONDS + 5
    while True:
        listing = httpx.get(f"{cluster.url(1)}/v1/prompts", headers=owner.headers(), timeout=20)
        assert listing.status_code == 200, listing.text
        prompts = {p["name"]: p for p in listing.json()["data"]}
        if version in prompts[PROMPT]["versions"]:
            break
        assert time.monotonic() < deadline, "the other instance never served the new version"
        time.sleep(0.2)
    assert prompts[PROMPT]["latest"] == version


def test_a_key_revoked_on_one_instance_is_refused_by_the_other(cluster: Cluster) -> None:
    member = run(lambda: add_workspace(cluster.database_url, "revoked", ROOMY))
    for url in cluster.urls:
        assert httpx.get(f"{url}/v1/usage", headers=member.headers(), timeout=20).is_success

    # The owner revokes its own key through the first instance.
    revoked = httpx.delete(
        f"{cluster.url(0)}/v1/keys/{member.key_id}", headers=member.headers(), timeout=20
    )
    assert revoked.status_code == 200, revoked.text

    for url in cluster.urls:
        refused = httpx.get(f"{url}/v1/usage", headers=member.headers(), timeout=20)
        assert_error(refused, 401, "invalid_api_key")
