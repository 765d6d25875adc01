"""The ``/admin`` dashboard in a real headless Chromium (Debian's ``chromium``, driven
by playwright), against this app's server on 127.0.0.1 with a seeded ledger.

Log in, open every page with no console error, compare the numbers shown with the
JSON reports, change the filters, check an owner sees only its workspace, log out.
Screenshots land in ``test-artifacts/dashboard/`` (or ``$TEST_ARTIFACTS``). Skipped
only when chromium is missing outside CI; with ``CI=true`` a missing browser fails.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.admin.site import PAGES
from app.core.catalog import DEFAULT_WORKFLOW
from app.core.flavour import run
from tests.contract.ledger import AUGUST, JULY, DashboardWorld, seed_dashboard
from tests.contract.world import Contract

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PROJECT = Path(__file__).absolute().parents[2]


def _browser_missing() -> str | None:
    if shutil.which(CHROMIUM) is None:
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="module")
def chromium(dashboard: DashboardWorld) -> Iterator[Any]:
    # Seeded first (``dashboard``): seeding runs an event loop, which playwright's
    # sync API refuses to share the thread with while it runs.
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def dashboard(contract: Contract) -> DashboardWorld:
    return run(lambda: seed_dashboard(contract.database_url))


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("TEST_ARTIFACTS") or PROJECT / "test-artifacts") / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Session:
    """One browser context (its own cookies), collecting console errors."""

    def __init__(self, browser: Any, base_url: str, artifacts: Path, name: str) -> None:
        self.context = browser.new_context(base_url=base_url)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.artifacts = artifacts
        self.name = name

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def log_in(self, key: str) -> None:
        self.page.goto("/admin")
        assert self.page.url.endswith("/admin/login")
        self.page.fill("#key", key)
        self.page.click("button[type=submit]")

    def open(self, path: str) -> int:
        response = self.page.goto(path)
        assert response is not None
        return int(response.status)

    def text(self, test_id: str) -> str:
        return str(self.page.get_by_test_id(test_id).inner_text()).strip()

    def column(self, table: str, index: int) -> list[str]:
        cells = self.page.locator(f"[data-testid=table-{table}] tbody tr td:nth-child({index})")
        return [str(c).strip() for c in cells.all_inner_texts()]

    def shot(self, label: str) -> None:
        self.page.screenshot(path=str(self.artifacts / f"{self.name}-{label}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def reports(contract: Contract, key: str, name: str, **params: str) -> dict[str, Any]:
    response = httpx.get(
        f"{contract.base_url}/v1/reports/{name}",
        params=params,
        headers={"Authorization": f"Bearer {key}"},
        timeout=20,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_operator_reads_every_page_and_the_numbers_match_the_json(
    chromium: Any, contract: Contract, dashboard: DashboardWorld, artifacts: Path
) -> None:
    session = Session(chromium, contract.base_url, artifacts, "operator")
    try:
        session.log_in(dashboard.operator)
        assert session.page.url.endswith("/admin/overview")
        assert dashboard.operator not in session.page.url
        cookie = next(c for c in session.context.cookies() if c["name"] == "admin_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        for slug, title in PAGES:
            assert session.open(f"/admin/{slug}?period={JULY}") == 200, slug
            assert session.page.locator("h1").inner_text() == title
            session.shot(slug)

        margins = reports(contract, dashboard.operator, "margins", period=JULY)
        session.open(f"/admin/overview?period={JULY}")
        shown = (session.text("revenue"), session.text("spend"), session.text("margin"))
        assert shown == (margins["revenue_usd"], margins["spend_usd"], margins["margin_usd"])
        assert set(session.column("workspaces", 1)) == {
            w["workspace"] for w in margins["workspaces"]
        }
        assert session.page.locator("svg rect.bar").count() >= 1  # the daily spend chart

        retries = reports(contract, dashboard.operator, "retries", period=JULY)
        session.open(f"/admin/retries?period={JULY}")
        assert session.text("wasted") == retries["wasted_usd"]
        assert session.text("retry-spend") == retries["retry_spend_usd"]

        outliers = reports(contract, dashboard.operator, "outliers", period=JULY)
        session.open(f"/admin/outliers?period={JULY}")
        assert session.column("outliers", 2) == [u["user"] for u in outliers["users"]]
        assert session.column("outliers", 4) == [u["spend_usd"] for u in outliers["users"]]

        # The filter form (a GET form: no JavaScript) changes the numbers.
        session.open(f"/admin/overview?period={JULY}")
        session.page.fill("#period", AUGUST)
        session.page.click(".filters button[type=submit]")
        assert f"period={AUGUST}" in session.page.url
        august = reports(contract, dashboard.operator, "margins", period=AUGUST)
        assert session.text("spend") == august["spend_usd"] != margins["spend_usd"]
        session.page.fill("#period", JULY)
        session.page.select_option("#workflow", DEFAULT_WORKFLOW)
        session.page.click(".filters button[type=submit]")
        one = reports(
            contract, dashboard.operator, "margins", period=JULY, workflow=DEFAULT_WORKFLOW
        )
        assert session.text("spend") == one["spend_usd"] != margins["spend_usd"]
        session.shot("filtered")

        csv = session.page.request.get(f"/admin/workflows.csv?period={JULY}")
        assert csv.status == 200 and csv.text().startswith("Tier,Workflow,")

        session.page.click("form.logout button")
        assert session.page.url.endswith("/admin/login")
        session.open("/admin/overview")
        assert session.page.url.endswith("/admin/login")
        assert session.errors == []
    finally:
        session.close()


def test_an_owner_sees_only_its_workspace_and_a_member_is_refused(
    chromium: Any, contract: Contract, dashboard: DashboardWorld, artifacts: Path
) -> None:
    owner = Session(chromium, contract.base_url, artifacts, "owner")
    try:
        owner.log_in(dashboard.acme_owner)
        for slug in ("overview", "retries", "outliers", "plans"):
            assert owner.open(f"/admin/{slug}?period={JULY}") == 200
            assert dashboard.beta not in owner.page.content()
        owner.open(f"/admin/overview?period={JULY}")
        assert owner.text("scope") == dashboard.acme
        assert owner.column("workspaces", 1) == [dashboard.acme]
        own = reports(contract, dashboard.acme_owner, "margins", period=JULY)
        assert owner.text("spend") == own["spend_usd"]
        owner.shot("overview")
        assert owner.errors == []
    finally:
        owner.close()

    member = Session(chromium, contract.base_url, artifacts, "member")
    try:
        member.log_in(dashboard.acme_member)
        assert re.search("owners and operators", member.text("error"))
        member.shot("refused")
        assert member.open("/admin/overview") == 200  # the login page, after a redirect
        assert member.page.url.endswith("/admin/login")
    finally:
        member.close()
