"""Stripe webhook events: verified, handled once per event id, in one transaction.

The event id is recorded in the transaction that applies the event, so a replay
(Stripe retries until it sees a 2xx) changes nothing, and a failure part-way
changes nothing either (Stripe sends it again).

What each event does:

- ``checkout.session.completed``: a subscription links the workspace to its Stripe
  customer and subscription (and moves it to the bought tier); a paid credit pack
  is granted once, with the Checkout session id as the grant's reference.
- ``customer.subscription.created`` / ``updated``: the workspace's tier is the
  one whose price the subscription holds (``active``, ``trialing`` and
  ``past_due`` keep it; ``canceled``, ``unpaid`` and ``incomplete_expired`` fall
  back); ``customer.subscription.deleted``: the fallback tier.
- ``invoice.payment_failed``: the subscription is recorded ``past_due`` and the
  plan is kept while Stripe retries the payment; when Stripe gives up it ends the
  subscription and ``customer.subscription.deleted`` applies the fallback tier.
  ``invoice.paid``: recorded ``active`` again.

Every plan change closes the workspace's entitlement snapshot and opens a new
one, so later ledger rows carry the plan in force.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import stripe
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.catalog import CREDIT_PACKS, FALLBACK_TIER, TIER_LOOKUP_KEYS
from app.models import BillingCustomer, Entitlement as EntitlementRow, StripeEvent, Workspace, utcnow
from app.services.billing.customers import workspace_of_customer
from app.services.usage import credits
from app.services.usage.entitlements import Entitlement
from app.services.usage.tenancy import TenantDatabase

logger = logging.getLogger(__name__)

# How old a signed event may be (Stripe's own default): older ones are replays.
TOLERANCE_SECONDS = 300
KEEP_PLAN = ("active", "trialing", "past_due")
END_PLAN = ("canceled", "unpaid", "incomplete_expired")


class BadWebhook(Exception):
    """The request is not a genuine, readable Stripe event (HTTP 400, nothing changed)."""


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """What happened to one delivery."""

    event_id: str
    type: str
    duplicate: bool


def verify(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """The event in ``payload`` if ``signature`` (``Stripe-Signature``) is Stripe's."""
    if not signature:
        raise BadWebhook("the Stripe-Signature header is missing")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, secret, TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise BadWebhook(f"the Stripe-Signature header does not verify: {exc.user_message}") from exc
    except UnicodeDecodeError as exc:
        raise BadWebhook("the payload is not UTF-8") from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise BadWebhook("the payload is not JSON") from exc
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise BadWebhook("the payload is not a Stripe event")
    return event


async def handle(db: TenantDatabase, event: dict[str, Any]) -> WebhookResult:
    """Apply a verified event once; a replay of its id is a no-op."""
    event_id, kind = str(event["id"])[:255], str(event["type"])[:100]
    obj: dict[str, Any] = event["data"]["object"]
    try:
        # System-wide on purpose: the event names its workspace only through Stripe ids.
        async with db.system() as session:
            if await session.get(StripeEvent, event_id) is not None:
                return WebhookResult(event_id, kind, duplicate=True)
            await _apply(session, db.dialect, kind, obj)
            session.add(StripeEvent(id=event_id, type=kind))
    except IntegrityError:
        # The same event, delivered twice at once: the other delivery applied it.
        return WebhookResult(event_id, kind, duplicate=True)
    return WebhookResult(event_id, kind, duplicate=False)


async def _apply(
    session: AsyncSession, dialect: str, kind: str, obj: dict[str, Any]
) -> uuid.UUID | None:
    if kind == "checkout.session.completed":
        return await _checkout_completed(session, dialect, obj)
    if kind in ("customer.subscription.created", "customer.subscription.updated"):
        return await _subscription_changed(session, obj, deleted=False)
    if kind == "customer.subscription.deleted":
        return await _subscription_changed(session, obj, deleted=True)
    if kind in ("invoice.payment_failed", "invoice.paid"):
        workspace_id = await _workspace(session, obj)
        if workspace_id is not None:
            status = "past_due" if kind == "invoice.payment_failed" else "active"
            await _link(session, workspace_id, _text(obj.get("customer")), status=status)
        return workspace_id
    return None  # other events are acknowledged and ignored


async def _checkout_completed(
    session: AsyncSession, dialect: str, obj: dict[str, Any]
) -> uuid.UUID | None:
    workspace_id = await _workspace(session, obj)
    if workspace_id is None:
        logger.warning("checkout session %s names no known workspace", obj.get("id"))
        return None
    metadata = obj.get("metadata") or {}
    customer = _text(obj.get("customer"))
    if obj.get("mode") == "subscription":
        await _link(
            session,
            workspace_id,
            customer,
            subscription=_text(obj.get("subscription")),
            status="active",
        )
        tier = metadata.get("tier")
        if isinstance(tier, str) and tier in TIER_LOOKUP_KEYS:
            await set_tier(session, workspace_id, tier)
        return workspace_id
    pack = CREDIT_PACKS.get(str(metadata.get("credit_pack")))
    if pack is not None and obj.get("payment_status") == "paid":
        await _link(session, workspace_id, customer)
        await credits.grant(
            session,
            dialect,
            workspace_id=workspace_id,
            amount_usd=pack.credits,
            reason=f"credit pack {pack.name}",
            now=utcnow(),
            reference=str(obj["id"])[:200],  # the Checkout session: granted once
        )
    return workspace_id


async def _subscription_changed(
    session: AsyncSession, obj: dict[str, Any], *, deleted: bool
) -> uuid.UUID | None:
    workspace_id = await _workspace(session, obj)
    if workspace_id is None:
        logger.warning("subscription %s belongs to no known workspace", obj.get("id"))
        return None
    status = "canceled" if deleted else _text(obj.get("status"))
    await _link(
        session, workspace_id, _text(obj.get("customer")), subscription=_text(obj.get("id")),
        status=status,
    )
    if deleted or status in END_PLAN:
        await set_tier(session, workspace_id, FALLBACK_TIER)
    elif status in KEEP_PLAN:
        tier = _tier_of(obj)
        if tier is not None:
            await set_tier(session, workspace_id, tier)
    return workspace_id


def _tier_of(subscription: dict[str, Any]) -> str | None:
    """The tier whose monthly price (by lookup key) the subscription holds."""
    by_key = {key: tier for tier, key in TIER_LOOKUP_KEYS.items()}
    items = (subscription.get("items") or {}).get("data") or []
    for item in items:
        price = item.get("price") if isinstance(item, dict) else None
        key = price.get("lookup_key") if isinstance(price, dict) else None
        if key in by_key:
            return by_key[key]
    tier = (subscription.get("metadata") or {}).get("tier")
    return tier if tier in TIER_LOOKUP_KEYS else None


async def set_tier(session: AsyncSession, workspace_id: uuid.UUID, tier: str) -> bool:
    """Move the workspace to ``tier`` with a new entitlement snapshot; False if already on it."""
    current = await session.scalar(
        select(EntitlementRow.tier).where(
            EntitlementRow.workspace_id == workspace_id, EntitlementRow.ends_at.is_(None)
        )
    )
    if current == tier:
        return False
    now = utcnow()
    await session.execute(
        update(EntitlementRow)
        .where(EntitlementRow.workspace_id == workspace_id, EntitlementRow.ends_at.is_(None))
        .values(ends_at=now)
        .execution_options(synchronize_session=False)
    )
    session.add(
        EntitlementRow(
            workspace_id=workspace_id,
            tier=tier,
            snapshot=Entitlement.from_tier(tier).to_json(),
            starts_at=now,
        )
    )
    logger.info("workspace %s moves from tier %s to %s", workspace_id, current, tier)
    return True


async def _workspace(session: AsyncSession, obj: dict[str, Any]) -> uuid.UUID | None:
    """The workspace an object belongs to: by its customer, else by our metadata."""
    customer = _text(obj.get("customer"))
    if customer is not None:
        found = await workspace_of_customer(session, customer)
        if found is not None:
            return found
    metadata = obj.get("metadata") or {}
    candidate = metadata.get("workspace_id") or obj.get("client_reference_id")
    try:
        workspace_id = uuid.UUID(str(candidate))
    except ValueError:
        return None
    exists = await session.scalar(select(Workspace.id).where(Workspace.id == workspace_id))
    return workspace_id if exists else None


async def _link(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    customer: str | None,
    *,
    subscription: str | None = None,
    status: str | None = None,
) -> None:
    """Record the workspace's customer (and subscription, status) as Stripe says."""
    row = await session.get(BillingCustomer, workspace_id)
    if row is None:
        if customer is None:
            return
        row = BillingCustomer(workspace_id=workspace_id, stripe_customer_id=customer)
        session.add(row)
    if subscription is not None:
        row.stripe_subscription_id = subscription
    if status is not None:
        row.subscription_status = status[:32]
    await session.flush()


def _text(value: object) -> str | None:
    """A Stripe id field: a string, or an expanded object's ``id``."""
    if isinstance(value, dict):
        value = value.get("id")
    return value[:255] if isinstance(value, str) and value else None
