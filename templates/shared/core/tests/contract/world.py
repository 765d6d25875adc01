"""The contract suite's world: a migrated database, seeded workspaces and keys, and
fake providers (real HTTP on 127.0.0.1) behind every provider the catalog uses.

Plain data and one async seeding function (run once per session through
``app.core.flavour.run``); the tests themselves are synchronous HTTP clients.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.core.catalog import DEFAULT_WORKFLOW, MODELS, PROVIDERS, TIERS, WORKFLOWS
from app.core.catalog_types import TierInfo
from app.core.db import create_engine_for
from app.services.accounts import Accounts
from app.services.llm.settings import GatewaySettings, ProviderSettings
from app.services.usage.tenancy import TenantDatabase
from tests.fakes.stripe import FakeStripe
from tests.fakes.upstream import FakeUpstream
from tests.fakes.wire import ANTHROPIC, GEMINI, OPENAI

# The wire format each provider speaks, and so which fake serves it.
WIRE_OF = {"anthropic": ANTHROPIC, "google": GEMINI}

# The main tier: the catalog's largest, with a rate limit the suite never reaches.
MAIN_TIER = max(TIERS.values(), key=lambda t: (len(t.allowed_models), t.monthly_cost_cap))
SMALL_TIER = min(TIERS.values(), key=lambda t: (len(t.allowed_models), t.monthly_cost_cap))
ROOMY = dataclasses.replace(MAIN_TIER, requests_per_minute=100_000)
# A cap no call fits under: every model call is refused with 402, nothing is called.
BROKE = dataclasses.replace(MAIN_TIER, monthly_cost_cap=Decimal("0.000001"))
# Two requests a minute: the third in a row is rate limited.
SLOW = dataclasses.replace(MAIN_TIER, requests_per_minute=2)


@dataclass(frozen=True, slots=True)
class Key:
    """A seeded API key and whom it acts for."""

    token: str
    workspace_id: str
    user_id: str
    role: str
    tier: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True, slots=True)
class Contract:
    """Everything a contract test needs: where the server is and who may call it."""

    base_url: str
    database_url: str
    server: str  # "uvicorn" or "werkzeug"
    keys: dict[str, Key]
    max_body_bytes: int
    upstreams: dict[str, FakeUpstream]  # wire format -> the fake serving it
    stripe: FakeStripe | None = None  # the fake Stripe the server's billing talks to

    def key(self, name: str) -> Key:
        return self.keys[name]

    def upstream_calls(self, model: str) -> list[FakeUpstream]:
        """The fakes a call to ``model`` reaches, in cascade order (one per route)."""
        return [self.upstreams[wire_of(provider)] for provider, _ in MODELS[model].routes]


def wire_of(provider: str) -> str:
    return WIRE_OF.get(provider, OPENAI)


def pinned_model(workflow: str = DEFAULT_WORKFLOW) -> str:
    """A model the main tier may use for ``workflow``: requests naming it reach known fakes."""
    fits = [
        model
        for model in MAIN_TIER.allowed_models
        if model in MODELS and MODELS[model].quality >= WORKFLOWS[workflow].min_quality
    ]
    assert fits, f"no model of tier {MAIN_TIER.name} serves {workflow}"
    return fits[0]


@contextmanager
def fake_providers() -> Iterator[dict[str, FakeUpstream]]:
    """One fake per wire format the catalog's providers speak."""
    fakes: dict[str, FakeUpstream] = {}
    try:
        for provider in PROVIDERS:
            wire = wire_of(provider)
            if wire not in fakes:
                fakes[wire] = FakeUpstream(wire).start()
        yield fakes
    finally:
        for fake in fakes.values():
            fake.stop()


def gateway_settings(fakes: dict[str, FakeUpstream]) -> GatewaySettings:
    """Every provider pointed at its fake, with one test key each (no real keys, ever)."""
    return GatewaySettings(
        providers={
            provider: ProviderSettings(
                name=provider,
                keys=(f"sk-fake-{provider}",),
                base_url=fakes[wire_of(provider)].base_url,
            )
            for provider in PROVIDERS
        }
    )


# name -> (workspace, tier snapshot, role); keys sharing a workspace name share it.
SEEDS: dict[str, tuple[str, TierInfo, str]] = {
    "operator": ("ops", ROOMY, "operator"),
    # More operator workspaces: prompt publishes are rate-limited per workspace.
    "operator_b": ("ops_b", ROOMY, "operator"),
    "operator_c": ("ops_c", ROOMY, "operator"),
    "owner": ("alpha", ROOMY, "owner"),
    "member": ("alpha", ROOMY, "member"),
    "other": ("beta", ROOMY, "owner"),
    "stream": ("gamma", ROOMY, "owner"),
    "broke": ("delta", BROKE, "owner"),
    "slow": ("epsilon", SLOW, "owner"),
    "small": ("zeta", SMALL_TIER, "owner"),
    "warned": ("eta", ROOMY, "owner"),
    "warned_member": ("eta", ROOMY, "member"),
}
# Workspaces that get prepaid credits (every billing mode accepts them).
FUNDED = ("alpha", "beta", "gamma", "epsilon", "zeta", "ops")


def fund(world: Contract) -> None:
    """Prepaid credits for the workspaces that make model calls (any billing mode
    accepts them; prepaid products refuse calls without), granted by the operator."""
    workspaces = {SEEDS[name][0]: key.workspace_id for name, key in world.keys.items()}
    with httpx.Client(base_url=world.base_url, timeout=10) as client:
        for workspace in FUNDED:
            response = client.post(
                "/v1/credits",
                json={
                    "amount_usd": "100",
                    "reason": "contract suite",
                    "workspace": workspaces[workspace],
                },
                headers=world.key("operator").headers(),
            )
            assert response.status_code == 201, response.text


def smallest_context_workflow() -> str:
    return min(WORKFLOWS.values(), key=lambda w: w.max_context_tokens).name


def body_cap() -> int:
    """A body cap the context-size test fits under (413 context, not 413 body)."""
    tokens = min(w.max_context_tokens for w in WORKFLOWS.values())
    return max(256 * 1024, tokens * 4 * 3)


async def seed(database_url: str) -> dict[str, Key]:
    """Create the workspaces, users and keys of ``SEEDS``; returns the keys by name."""
    engine = create_engine_for(database_url)
    try:
        accounts = Accounts(TenantDatabase(engine))
        workspaces: dict[str, uuid.UUID] = {}
        keys: dict[str, Key] = {}
        for name, (workspace, tier, role) in SEEDS.items():
            if workspace not in workspaces:
                created = await accounts.create_workspace(f"contract-{workspace}", tier)
                workspaces[workspace] = created.id
            workspace_id = workspaces[workspace]
            user = await accounts.add_user(workspace_id, email=f"{name}@{workspace}.test")
            issued = await accounts.issue_api_key(
                workspace_id, name=f"contract {name}", user_id=user.id, role=role
            )
            keys[name] = Key(issued.plaintext, str(workspace_id), str(user.id), role, tier.name)
        return keys
    finally:
        await engine.dispose()


def _postgres(url: str | None) -> bool:
    return url is not None and make_url(url).get_backend_name() in ("postgresql", "postgres")


@contextmanager
def migrated_database(tmp: Path) -> Iterator[str]:
    """A migrated database for the session: SQLite in ``tmp``, or a fresh PostgreSQL
    schema (dropped afterwards) when TEST_DATABASE_URL points at PostgreSQL."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not _postgres(base):
        url = f"sqlite:///{tmp / 'contract.db'}"
        migrate.upgrade(url)
        yield url
        return
    assert base is not None
    schema = f"test_contract_{uuid.uuid4().hex[:12]}"
    admin = create_engine(migrate.sync_url(base), poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        rendered = (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
        migrate.upgrade(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
