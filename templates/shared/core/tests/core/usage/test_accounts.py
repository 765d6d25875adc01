"""Workspaces, users, API keys (hashed, shown once) and entitlement snapshots."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select

from app.core.catalog import TIERS
from app.models import ApiKey
from app.models import Entitlement as EntitlementRow
from app.services.accounts import Accounts, hash_key
from app.services.usage import CallContext, Entitlement, UsageService
from tests.core.usage.helpers import events, request


async def test_a_new_workspace_gets_its_tiers_entitlement(accounts: Accounts) -> None:
    tier = next(iter(TIERS.values()))

    workspace = await accounts.create_workspace("Acme", tier.name)

    entitlement = await accounts.entitlement(workspace.id)
    assert entitlement == Entitlement.from_tier(tier)
    assert entitlement.tier_info() == tier
    assert Entitlement.from_json(entitlement.to_json()) == entitlement


async def test_api_keys_are_shown_once_and_stored_hashed(accounts: Accounts) -> None:
    workspace = await accounts.create_workspace("Acme", next(iter(TIERS)))
    user = await accounts.add_user(workspace.id, email="ada@example.com")

    issued = await accounts.issue_api_key(workspace.id, name="ci", user_id=user.id, role="owner")

    async with accounts.db.tenant(workspace.id) as session:
        stored = await session.scalar(select(ApiKey).where(ApiKey.workspace_id == workspace.id))
    assert stored is not None
    assert stored.key_hash == hash_key(issued.plaintext) != issued.plaintext
    assert issued.plaintext.startswith(stored.prefix)
    principal = await accounts.resolve_api_key(issued.plaintext)
    assert principal is not None
    assert (principal.workspace_id, principal.user_id) == (workspace.id, user.id)
    assert principal.role == "owner"
    assert await accounts.resolve_api_key(issued.plaintext + "x") is None
    assert await accounts.resolve_api_key("not-a-key") is None

    await accounts.revoke_api_key(workspace.id, issued.id)

    assert await accounts.resolve_api_key(issued.plaintext) is None


async def test_a_plan_change_keeps_past_calls_on_their_old_terms(
    accounts: Accounts, service: UsageService, ctx: CallContext
) -> None:
    old = await accounts.entitlement(ctx.workspace_id)
    await service.run(replace(ctx, entitlement=old), request())
    bigger = replace(next(iter(TIERS.values())), name="bigger", monthly_cost_cap=Decimal(99))

    new = await accounts.change_tier(ctx.workspace_id, bigger)
    await service.run(replace(ctx, entitlement=new), request())

    assert await accounts.entitlement(ctx.workspace_id) == new
    first, second = await events(service, ctx.workspace_id)
    assert Entitlement.from_json(first.entitlement) == old
    assert Entitlement.from_json(second.entitlement) == new
    async with accounts.db.tenant(ctx.workspace_id) as session:
        history = (
            await session.scalars(
                select(EntitlementRow)
                .where(EntitlementRow.workspace_id == ctx.workspace_id)
                .order_by(EntitlementRow.starts_at)
            )
        ).all()
    assert [(h.tier, h.ends_at is None) for h in history] == [(old.tier, False), ("bigger", True)]
