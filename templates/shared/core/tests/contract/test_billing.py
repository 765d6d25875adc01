"""``/v1/billing``: Checkout, the portal and Stripe's webhooks, in this product's mode.

The server's billing talks to a fake Stripe (``tests/fakes/stripe.py``); webhook
deliveries are signed with the fake's ``whsec_`` secret as Stripe signs them.
Each test checks what this product's billing mode promises (docs/billing.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from app.core.catalog import BILLING_MODE, CREDIT_PACKS, FALLBACK_TIER, TIER_LOOKUP_KEYS, TIERS
from app.core.db import create_engine_for
from app.core.flavour import run
from app.services.accounts import Accounts
from app.services.billing import StripeConfig, stripe_client
from app.services.billing.setup import setup
from app.services.usage.tenancy import TenantDatabase
from tests.contract.helpers import assert_error
from tests.contract.world import SMALL_TIER, Contract, Key
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, event, sign

ENABLED = BILLING_MODE != "none"
SELLS_CREDITS = BILLING_MODE in ("prepaid_credits", "hybrid")
# A tier sold through Checkout that allows a model the smallest tier does not.
UPGRADE = next(
    (
        t
        for t in TIER_LOOKUP_KEYS
        if ENABLED and set(TIERS[t].allowed_models) - set(SMALL_TIER.allowed_models)
    ),
    None,
)


@pytest.fixture(scope="module")
def fake(contract: Contract) -> Iterator[FakeStripe]:
    """The contract server's fake Stripe, with this product's prices set up."""
    assert contract.stripe is not None
    config = StripeConfig(SECRET_KEY, WEBHOOK_SECRET, contract.stripe.base_url, "http://app.test")
    if ENABLED:
        run(lambda: setup(stripe_client(config)))
    yield contract.stripe


async def new_owner(database_url: str, tier: str) -> Key:
    """A fresh workspace on ``tier`` and an owner key for it."""
    engine = create_engine_for(database_url)
    try:
        accounts = Accounts(TenantDatabase(engine))
        workspace = await accounts.create_workspace(f"billing-{time.monotonic_ns()}", tier)
        issued = await accounts.issue_api_key(workspace.id, name="billing owner", role="owner")
        return Key(issued.plaintext, str(workspace.id), "", "owner", tier)
    finally:
        await engine.dispose()


@pytest.fixture
def owner(contract: Contract) -> Key:
    return run(lambda: new_owner(contract.database_url, SMALL_TIER.name))


def deliver(
    client: httpx.Client, body: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None
) -> httpx.Response:
    headers = {"Stripe-Signature": sign(body, secret, at), "Content-Type": "application/json"}
    return client.post("/v1/billing/webhook", content=body, headers=headers)


def models(client: httpx.Client, key: Key) -> set[str]:
    response = client.get("/v1/models", headers=key.headers())
    assert response.status_code == 200, response.text
    return {m["id"] for m in response.json()["data"]}


def balance(client: httpx.Client, key: Key) -> Decimal:
    response = client.get("/v1/credits", headers=key.headers())
    assert response.status_code == 200, response.text
    return Decimal(response.json()["balance_usd"])


@pytest.mark.skipif(ENABLED, reason=f"billing mode {BILLING_MODE} bills through Stripe")
def test_without_billing_the_endpoints_say_so(client: httpx.Client, owner: Key) -> None:
    for path, body in (("/v1/billing/checkout", {"tier": SMALL_TIER.name}), ("/v1/billing/portal", None)):
        assert_error(client.post(path, json=body, headers=owner.headers()), 404, "billing_not_enabled")
    assert_error(client.post("/v1/billing/webhook", content=b"{}"), 404, "billing_not_enabled")


@pytest.mark.skipif(not ENABLED, reason="billing is not enabled in this product")
def test_checkout_needs_an_owner_and_a_valid_choice(
    client: httpx.Client, contract: Contract, fake: FakeStripe, owner: Key
) -> None:
    member = contract.key("member")
    assert_error(
        client.post("/v1/billing/checkout", json={"tier": "x"}, headers=member.headers()), 403
    )
    for body in ({}, {"tier": "a", "credit_pack": "b"}, {"tier": 3}, {"colour": "red"}):
        response = client.post("/v1/billing/checkout", json=body, headers=owner.headers())
        assert_error(response, 422)
    unknown = client.post("/v1/billing/checkout", json={"tier": "nope"}, headers=owner.headers())
    assert_error(unknown, 409, "not_for_sale")
    pack = client.post("/v1/billing/checkout", json={"credit_pack": "nope"}, headers=owner.headers())
    assert_error(pack, 409, "not_for_sale")


@pytest.mark.skipif(UPGRADE is None, reason="no tier is sold through Checkout in this product")
def test_upgrade_through_checkout_changes_the_models_a_key_may_call(
    client: httpx.Client, fake: FakeStripe, owner: Key
) -> None:
    assert UPGRADE is not None
    before = models(client, owner)
    response = client.post("/v1/billing/checkout", json={"tier": UPGRADE}, headers=owner.headers())
    assert response.status_code == 200, response.text
    checkout = response.json()
    assert checkout["url"].startswith("https://") and checkout["id"].startswith("cs_")
    session, subscription = fake.complete_checkout(checkout["id"])
    assert subscription is not None

    assert deliver(client, event("checkout.session.completed", session)).status_code == 200
    created = event("customer.subscription.created", subscription)
    assert deliver(client, created).json()["duplicate"] is False

    after = models(client, owner)
    assert set(TIERS[UPGRADE].allowed_models) <= after and after != before
    # Stripe ends the subscription: the fallback tier applies from now on.
    ended = event("customer.subscription.deleted", {**subscription, "status": "canceled"})
    assert deliver(client, ended).status_code == 200
    assert models(client, owner) - {"auto"} == set(TIERS[FALLBACK_TIER].allowed_models)
    # The portal works for a workspace with a customer.
    portal = client.post("/v1/billing/portal", headers=owner.headers())
    assert portal.status_code == 200 and portal.json()["url"].startswith("https://")


@pytest.mark.skipif(not SELLS_CREDITS or not CREDIT_PACKS, reason="no credit packs for sale")
def test_a_paid_credit_pack_is_granted_exactly_once(
    client: httpx.Client, fake: FakeStripe, owner: Key
) -> None:
    pack = next(iter(CREDIT_PACKS.values()))
    start = balance(client, owner)
    response = client.post(
        "/v1/billing/checkout", json={"credit_pack": pack.name}, headers=owner.headers()
    )
    assert response.status_code == 200, response.text
    session, _ = fake.complete_checkout(response.json()["id"])
    paid = event("checkout.session.completed", session)

    assert deliver(client, paid).json()["duplicate"] is False
    assert balance(client, owner) == start + pack.credits
    # A replay of the same event, and another event about the same payment: no more credits.
    assert deliver(client, paid).json()["duplicate"] is True
    assert deliver(client, event("checkout.session.completed", session)).status_code == 200
    assert balance(client, owner) == start + pack.credits


@pytest.mark.skipif(not ENABLED, reason="billing is not enabled in this product")
def test_bad_signatures_change_nothing(
    client: httpx.Client, contract: Contract, fake: FakeStripe, owner: Key
) -> None:
    obj = {
        "id": "cs_test_forged",
        "object": "checkout.session",
        "mode": "subscription",
        "customer": "cus_forged",
        "subscription": "sub_forged",
        "payment_status": "paid",
        "client_reference_id": owner.workspace_id,
        "metadata": {"workspace_id": owner.workspace_id, "tier": max(TIERS)},
    }
    body = event("checkout.session.completed", obj, event_id="evt_forged")
    before = models(client, owner)
    stale = int(time.time()) - 3600
    for response in (
        client.post("/v1/billing/webhook", content=body),  # no Stripe-Signature
        deliver(client, body, secret="whsec_not_the_secret"),
        deliver(client, body, at=stale),
        client.post(  # signed, then altered
            "/v1/billing/webhook",
            content=body.replace(b"forged", b"forgeD"),
            headers={"Stripe-Signature": sign(body)},
        ),
    ):
        assert_error(response, 400, "invalid_webhook")
    assert_error(deliver(client, b"not json"), 400, "invalid_webhook")
    assert models(client, owner) == before
    # The event was not recorded: a genuine delivery of it is still applied once.
    assert deliver(client, body).json()["duplicate"] is False
