"""A seeded ledger for the report endpoints and the dashboard: two customer
workspaces and an operator, with calls in July and August 2021 (a past no other
contract test writes to), on plans in force since January 2021.

Rows are written straight to the ledger (as settled calls), so the reports have
known inputs whatever the catalog's prices are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.core.catalog import DEFAULT_WORKFLOW
from app.core.db import create_engine_for
from app.models import Entitlement as EntitlementRow
from app.models import UsageEvent
from app.services.accounts import Accounts
from app.services.usage.tenancy import TenantDatabase
from tests.contract.world import MAIN_TIER

JULY = "2021-07"
AUGUST = "2021-08"
# A workflow no longer in the catalog: its past calls still count, and filtering on
# the catalog's workflow leaves them out.
RETIRED = "retired_flow"
PLAN_START = datetime(2021, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DashboardWorld:
    """The seeded keys (plaintext) and workspace names."""

    operator: str
    acme_owner: str
    acme_member: str
    beta_owner: str
    acme: str
    beta: str
    acme_id: str
    acme_owner_key_id: str


def _when(period: str, day: int) -> datetime:
    year, month = (int(part) for part in period.split("-"))
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def _event(
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    when: datetime,
    price: str,
    *,
    cost: int,
    workflow: str = DEFAULT_WORKFLOW,
    outcome: str = "ok",
    retries: int = 0,
    retry_cost: int = 0,
) -> UsageEvent:
    snapshot: dict[str, Any] = {
        "monthly_price": price,
        "monthly_cost_cap": "1",
        "soft_warnings": [0.5, 0.9],
    }
    return UsageEvent(
        workspace_id=workspace_id,
        user_id=user_id,
        environment="test",
        workflow=workflow,
        usage_source="provider",
        provider="openai",
        latency_ms=200,
        cost_micros=cost,
        retry_count=retries,
        retry_cost_micros=retry_cost,
        settled_micros=cost + retry_cost,
        outcome=outcome,
        usable=outcome == "ok",
        prompt_version="dash@v1",
        price_table_version="test",
        tier=MAIN_TIER.name,
        entitlement=snapshot,
        attempts=[{"provider": "openai", "model": "m", "outcome": outcome, "skipped": False}],
        created_at=when,
    )


async def seed_dashboard(database_url: str) -> DashboardWorld:
    """Create the workspaces, keys and ledger rows; returns the keys."""
    engine = create_engine_for(database_url)
    try:
        db = TenantDatabase(engine)
        accounts = Accounts(db)
        suffix = uuid.uuid4().hex[:6]
        names = {"acme": f"Acme {suffix}", "beta": f"Beta {suffix}", "ops": f"Ops {suffix}"}
        ids = {k: (await accounts.create_workspace(v, MAIN_TIER)).id for k, v in names.items()}
        users = {
            name: (await accounts.add_user(ids[workspace], email=f"{name}@{workspace}.test")).id
            for name, workspace in (
                ("owner", "acme"),
                ("member", "acme"),
                ("heavy", "acme"),
                ("boss", "beta"),
                ("founder", "ops"),
            )
        }
        keys = {
            name: await accounts.issue_api_key(
                ids[workspace], name=f"dashboard {name}", user_id=users[user], role=role
            )
            for name, workspace, user, role in (
                ("operator", "ops", "founder", "operator"),
                ("acme_owner", "acme", "owner", "owner"),
                ("acme_member", "acme", "member", "member"),
                ("beta_owner", "beta", "boss", "owner"),
            )
        }
        prices = {"acme": "10", "beta": "30"}
        rows = {
            "acme": [
                _event(ids["acme"], users["owner"], _when(JULY, 3), "10", cost=1_000),
                _event(
                    ids["acme"], users["member"], _when(JULY, 4), "10",
                    cost=2_000, retries=1, retry_cost=500,
                ),
                _event(ids["acme"], users["heavy"], _when(JULY, 5), "10", cost=90_000),
                _event(
                    ids["acme"], users["member"], _when(JULY, 6), "10",
                    cost=4_000, workflow=RETIRED,
                ),
                _event(ids["acme"], users["owner"], _when(AUGUST, 2), "10", cost=7_000),
            ],
            "beta": [
                _event(
                    ids["beta"], users["boss"], _when(JULY, 3), "30",
                    cost=300, outcome="failed", retries=2, retry_cost=200,
                ),
                _event(ids["beta"], users["boss"], _when(JULY, 9), "30", cost=1_500),
            ],
        }  # fmt: skip
        for workspace, events in rows.items():
            async with db.tenant(ids[workspace]) as session:
                session.add(
                    EntitlementRow(
                        workspace_id=ids[workspace],
                        tier=MAIN_TIER.name,
                        snapshot={
                            "monthly_price": prices[workspace],
                            "monthly_cost_cap": "1",
                            "soft_warnings": [0.5, 0.9],
                        },
                        starts_at=PLAN_START,
                        ends_at=datetime(2022, 1, 1, tzinfo=UTC),
                    )
                )
                session.add_all(events)
        return DashboardWorld(
            operator=keys["operator"].plaintext,
            acme_owner=keys["acme_owner"].plaintext,
            acme_member=keys["acme_member"].plaintext,
            beta_owner=keys["beta_owner"].plaintext,
            acme=names["acme"],
            beta=names["beta"],
            acme_id=str(ids["acme"]),
            acme_owner_key_id=str(keys["acme_owner"].id),
        )
    finally:
        await engine.dispose()
