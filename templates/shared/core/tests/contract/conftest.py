"""One real server for the whole contract suite, and the clients that call it.

The server is this app's own (uvicorn for FastAPI, werkzeug for Flask: see
``tests/web/server.py``) on 127.0.0.1 and a free port, over a migrated database
(SQLite, or PostgreSQL with TEST_DATABASE_URL), with every provider pointed at a
fake upstream (``tests/fakes``) so answers are priced, cached and streamed for real.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import httpx
import pytest

from app.core.config import Settings
from app.core.flavour import run
from app.services.api.runtime import RuntimeOptions
from app.services.prompts import PROMPTS_DIR
from tests.contract.world import (
    Contract,
    body_cap,
    fake_providers,
    fund,
    gateway_settings,
    migrated_database,
    seed,
)
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe
from tests.web.server import SERVER, serve


@pytest.fixture(scope="session")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contract]:
    tmp = tmp_path_factory.mktemp("contract")
    # A copy of the prompt catalogue: publishing in a test must not touch the app's own.
    prompts = tmp / "prompts"
    shutil.copytree(PROMPTS_DIR, prompts)
    with (
        migrated_database(tmp) as database_url,
        fake_providers() as upstreams,
        FakeStripe() as fake_stripe,
    ):
        keys = run(lambda: seed(database_url))
        settings = Settings(
            database_url=database_url,
            redis_url=os.environ.get("TEST_REDIS_URL") or None,
            environment="test",
            # Billing against the fake Stripe (used only when the spec bills through Stripe).
            stripe_secret_key=SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=fake_stripe.base_url,
            public_base_url="http://app.test",
        )
        options = RuntimeOptions(
            # The fakes only, whatever provider keys the environment holds.
            gateway_settings=gateway_settings(upstreams),
            prompts_root=prompts,
            max_body_bytes=body_cap(),
        )
        with serve(settings, options) as base_url:
            world = Contract(
                base_url, database_url, SERVER, keys, body_cap(), upstreams, fake_stripe
            )
            fund(world)
            yield world


@pytest.fixture
def client(contract: Contract) -> Iterator[httpx.Client]:
    """An HTTP client for the server, with no key (tests add the headers they mean)."""
    with httpx.Client(base_url=contract.base_url, timeout=20) as client:
        yield client
