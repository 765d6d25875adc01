"""``/v1/usage``, ``/v1/credits``, ``/v1/prompts`` and the billing webhook placeholder."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.core.catalog import WORKFLOWS
from app.models import UsageBudget
from tests.contract.helpers import assert_error, chat_body
from tests.contract.world import MAIN_TIER, Contract


def test_usage_is_told_in_units_without_cost_for_members(
    contract: Contract, client: httpx.Client
) -> None:
    headers = contract.key("member").headers()
    before = client.get("/v1/usage", headers=headers).json()
    assert (
        client.post("/v1/chat", json=chat_body("usage probe"), headers=headers).status_code == 200
    )
    report = client.get("/v1/usage", headers=headers).json()

    assert report["user_id"] == contract.key("member").user_id
    assert {w["workflow"] for w in report["workflows"]} >= set(WORKFLOWS)
    units = {w["workflow"]: w["units"] for w in report["workflows"]}
    previous = {w["workflow"]: w["units"] for w in before["workflows"]}
    assert sum(units.values()) == sum(previous.values()) + 1
    assert all(w["cost_usd"] is None for w in report["workflows"])
    assert report["cap"]["used_usd"] is None and report["cap"]["limit_usd"] is None
    assert report["cap"]["state"] in ("ok", "warning", "reached")


def test_owners_see_cost_and_the_whole_workspace(contract: Contract, client: httpx.Client) -> None:
    report = client.get(
        "/v1/usage", params={"user": "all"}, headers=contract.key("owner").headers()
    )
    body = report.json()
    assert report.status_code == 200
    assert body["user_id"] is None
    assert body["cap"]["limit_usd"] is not None
    assert all(w["cost_usd"] is not None for w in body["workflows"])


def test_credits_balance_and_operator_grants(contract: Contract, client: httpx.Client) -> None:
    operator = contract.key("operator").headers()
    alpha = contract.key("owner").workspace_id
    before = client.get("/v1/credits", headers=contract.key("owner").headers()).json()
    grant = {"amount_usd": "2.5", "reason": "goodwill", "reference": "contract-grant-1"}
    granted = client.post("/v1/credits", json={**grant, "workspace": alpha}, headers=operator)
    assert granted.status_code == 201, granted.text
    assert granted.json()["balance"]["workspace_id"] == alpha
    again = client.post("/v1/credits", json={**grant, "workspace": alpha}, headers=operator)
    assert again.json()["grant_id"] == granted.json()["grant_id"]  # same reference: no-op
    after = client.get("/v1/credits", headers=contract.key("member").headers()).json()
    assert Decimal(after["balance_usd"]) == Decimal(before["balance_usd"]) + Decimal("2.5")
    assert after["workspace_id"] == alpha
    response = client.post("/v1/credits", json={"amount_usd": "-1"}, headers=operator)
    assert_error(response, 422, "invalid_fields")
    unknown = {"amount_usd": "1", "workspace": "no-such-workspace"}
    assert_error(
        client.post("/v1/credits", json=unknown, headers=operator), 404, "unknown_workspace"
    )


def test_prompts_list_and_publish(contract: Contract, client: httpx.Client) -> None:
    member = contract.key("member").headers()
    operator = contract.key("operator").headers()
    listing = client.get("/v1/prompts", headers=member)
    assert listing.status_code == 200
    prompts = {p["name"]: p for p in listing.json()["data"]}
    assert {w.prompt for w in WORKFLOWS.values()} <= set(prompts)
    name, first = next(iter(prompts.items()))
    assert first["serving"].startswith(f"{name}@v")

    text = "---\ndescription: A contract-suite version.\n---\nAnswer in one short paragraph.\n"
    published = client.post("/v1/prompts", json={"name": name, "text": text}, headers=operator)
    assert published.status_code == 201, published.text
    assert published.json()["version"] == first["latest"] + 1
    relisted = {p["name"]: p for p in client.get("/v1/prompts", headers=member).json()["data"]}
    assert relisted[name]["latest"] == first["latest"] + 1
    bad = client.post(
        "/v1/prompts", json={"name": name, "text": "---\nnope: 1\n---\nx\n"}, headers=operator
    )
    assert_error(bad, 422, "invalid_prompt")


def test_past_a_soft_threshold_every_response_warns(
    contract: Contract, client: httpx.Client
) -> None:
    owner, member = contract.key("warned"), contract.key("warned_member")
    thresholds = sorted(MAIN_TIER.soft_warnings)
    if not thresholds:
        return
    limit = int(MAIN_TIER.monthly_cost_cap * 1_000_000)
    # Spend this month just past the first threshold, as settled calls would have.
    now = datetime.now(UTC)
    engine = create_engine(migrate.sync_url(contract.database_url), poolclass=NullPool)
    try:
        with Session(engine) as session, session.begin():
            session.add(
                UsageBudget(
                    workspace_id=uuid.UUID(owner.workspace_id),
                    period_start=date(now.year, now.month, 1),
                    limit_micros=limit,
                    spent_micros=int(limit * thresholds[0]) + 1,
                    reserved_micros=0,
                    updated_at=now,
                )
            )
    finally:
        engine.dispose()

    as_member = client.get("/v1/credits", headers=member.headers())
    assert as_member.headers["x-usage-warning"] == f"monthly_cost; threshold={thresholds[0]}"
    report = client.get("/v1/usage", headers=member.headers()).json()
    assert report["cap"]["state"] == "warning"
    assert report["cap"]["crossed"] == [thresholds[0]]
    assert report["warnings"] and "used=" not in report["warnings"][0]
    as_owner = client.get("/v1/models", headers=owner.headers())
    assert "used=" in as_owner.headers["x-usage-warning"]  # owners see the amounts
