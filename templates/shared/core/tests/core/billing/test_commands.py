"""``python -m app billing ...`` and ``python -m app worker``: exit codes, idempotent
setup, reconciliation, and a worker that drains the outbox and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from app.cli import main
from app.core.catalog import BILLING_MODE
from app.core.config import Settings, get_settings
from app.services.api.errors import ApiError
from app.services.api.runtime import open_runtime
from app.services.api.service import ApiService
from app.services.billing.push import METERED_MODES, PushOptions, push
from app.services.billing.reconcile import reconcile
from app.services.usage import TenantDatabase, UsageService
from tests.core.billing.conftest import Paying
from tests.core.usage.helpers import request
from tests.fakes.stripe import FakeStripe

ROOT = Path(__file__).resolve().parents[3]
STRIPE_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, usage_database_url: str) -> Iterator[None]:
    """Settings read afresh from a clean environment (no Stripe settings)."""
    for name in STRIPE_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", usage_database_url)
    monkeypatch.chdir(ROOT.parent)  # no .env file is read
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def with_stripe(
    environment: None, monkeypatch: pytest.MonkeyPatch, fake_stripe: FakeStripe
) -> FakeStripe:
    for name, value in fake_stripe.env().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return fake_stripe


def test_billing_commands_need_stripe_settings(
    environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["billing", "setup"], ["billing", "push"], ["billing", "reconcile", "--period", "2026-01"]):
        assert main(argv) == 2
        error = capsys.readouterr().err
        expected = "not enabled" if BILLING_MODE == "none" else "STRIPE_SECRET_KEY"
        assert expected in error
    if BILLING_MODE in METERED_MODES:
        # The worker's push needs them too: it says so at start, and how to run without it.
        assert main(["worker"]) == 2
        assert "--jobs sweep" in capsys.readouterr().err


def test_bad_arguments_exit_2(with_stripe: FakeStripe, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["billing", "reconcile", "--period", "2026-13"]) == 2
    assert main(["billing", "push", "--limit", "0"]) == 2
    assert main(["worker", "--jobs", "nope"]) == 2
    assert "unknown job nope" in capsys.readouterr().err


@pytest.mark.skipif(BILLING_MODE == "none", reason="billing is not enabled in this product")
def test_setup_twice_in_a_row_changes_nothing(
    with_stripe: FakeStripe, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["billing", "setup"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first and all(line.startswith("created ") for line in first)
    created = {kind: len(with_stripe.objects(kind)) for kind in ("price", "product", "billing.meter")}

    assert main(["billing", "setup"]) == 0

    second = capsys.readouterr().out.splitlines()
    assert all(line.startswith("exists ") for line in second)
    # Products are found through their prices: every meter and price is listed once.
    assert len(second) == created["price"] + created["billing.meter"]
    assert {kind: len(with_stripe.objects(kind)) for kind in created} == created


@pytest.mark.skipif(BILLING_MODE not in METERED_MODES, reason="usage is not metered")
async def test_reconcile_reports_what_stripe_counted_differently(
    service: UsageService, db: TenantDatabase, client: stripe.StripeClient,
    fake_stripe: FakeStripe, paying: Paying,
) -> None:
    for _ in range(2):
        await service.run(paying.ctx, request())
    period = time.strftime("%Y-%m", time.gmtime())
    unsent = await reconcile(db, client, period)
    assert [(d.customer, d.stripe, d.unsent > 0) for d in unsent] == [(paying.customer, 0, True)]
    await push(db, client, PushOptions(backoff_seconds=0.01))
    assert await reconcile(db, client, period) == []

    fake_stripe.add_meter_event(paying.customer, 7)

    (difference,) = await reconcile(db, client, period)
    assert (difference.customer, difference.stripe - difference.ledger) == (paying.customer, 7)


def start_worker(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "app", "worker", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def stop_worker(worker: subprocess.Popen[str]) -> tuple[int, str]:
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=20)
    return worker.returncode, err


@pytest.mark.skipif(BILLING_MODE not in METERED_MODES, reason="usage is not metered")
async def test_the_worker_pushes_usage_and_stops_on_sigterm(
    service: UsageService, usage_database_url: str, client: stripe.StripeClient,
    fake_stripe: FakeStripe, paying: Paying,
) -> None:
    for _ in range(3):
        await service.run(paying.ctx, request())
    env = {**os.environ, **fake_stripe.env(), "DATABASE_URL": usage_database_url}

    code, err = drain_with_worker(env, fake_stripe, events=3)

    assert code == 0, err
    assert "SIGTERM, stopping" in err and "worker stopped" in err
    assert len(fake_stripe.meter_events) == 3


def drain_with_worker(env: dict[str, str], fake: FakeStripe, *, events: int) -> tuple[int, str]:
    """Run a worker until Stripe has ``events`` meter events, then SIGTERM it."""
    worker = start_worker(["--interval", "0.2"], env)
    deadline = time.monotonic() + 30
    while len(fake.meter_events) < events and time.monotonic() < deadline:
        time.sleep(0.05)
    return stop_worker(worker)


@pytest.mark.skipif(BILLING_MODE in METERED_MODES, reason="this product's worker pushes usage")
def test_the_worker_runs_its_jobs_and_stops_on_sigterm(usage_database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": usage_database_url}
    worker = start_worker(["--interval", "0.2"], env)
    assert worker.stderr is not None
    assert "worker: running sweep" in worker.stderr.readline()

    code, err = stop_worker(worker)

    assert code == 0, err
    assert "worker stopped" in err


async def test_the_api_says_why_billing_cannot_run(
    environment: None, usage_database_url: str
) -> None:
    # The app starts without Stripe settings; its billing endpoints answer 404 or 503.
    runtime = await open_runtime(Settings(database_url=usage_database_url))
    try:
        with pytest.raises(ApiError) as refused:
            await ApiService(runtime).billing_webhook(b"{}", None)
    finally:
        await runtime.close()
    expected = (
        (404, "billing_not_enabled")
        if BILLING_MODE == "none"
        else (503, "billing_not_configured")
    )
    assert (refused.value.status, refused.value.code) == expected
