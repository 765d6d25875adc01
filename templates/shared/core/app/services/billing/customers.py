"""The Stripe customer of a workspace: created on first use, remembered in
``billing_customers``, found again from Stripe's webhook events."""

from __future__ import annotations

import uuid

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import BillingCustomer, Workspace
from app.services.usage.tenancy import TenantDatabase


async def customer_of(db: TenantDatabase, workspace_id: uuid.UUID) -> BillingCustomer | None:
    """The workspace's billing row, if it has a Stripe customer."""
    async with db.tenant(workspace_id) as session:
        return await session.get(BillingCustomer, workspace_id)


async def ensure_customer(
    db: TenantDatabase, client: stripe.StripeClient, workspace_id: uuid.UUID
) -> str:
    """The workspace's Stripe customer id, creating the customer on first use.

    The create request's idempotency key is the workspace id, so two racing first
    uses (or a retry after a crash) get the same customer from Stripe.
    """
    async with db.tenant(workspace_id) as session:
        found = await session.get(BillingCustomer, workspace_id)
        name = await session.scalar(select(Workspace.name).where(Workspace.id == workspace_id))
    if found is not None:
        return found.stripe_customer_id
    customer = await client.v1.customers.create_async(
        {"name": name or str(workspace_id), "metadata": {"workspace_id": str(workspace_id)}},
        {"idempotency_key": f"customer-{workspace_id}"},
    )
    try:
        async with db.tenant(workspace_id) as session:
            session.add(BillingCustomer(workspace_id=workspace_id, stripe_customer_id=customer.id))
    except IntegrityError:
        pass  # a racing request stored the same customer first
    return customer.id


async def workspace_of_customer(session: AsyncSession, customer_id: str) -> uuid.UUID | None:
    """The workspace whose Stripe customer is ``customer_id`` (a system-wide session)."""
    return await session.scalar(
        select(BillingCustomer.workspace_id).where(
            BillingCustomer.stripe_customer_id == customer_id
        )
    )
