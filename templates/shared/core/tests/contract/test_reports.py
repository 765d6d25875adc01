"""The report endpoints and the ``/admin`` dashboard over HTTP, the same for both apps:
who sees what, bad input, and the login session's cookie, CSRF and revocation rules.
(The browser drives the pages in ``test_dashboard_browser.py``.)"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from app.cli import main
from app.core.catalog import DEFAULT_WORKFLOW
from app.core.db import create_engine_for
from app.core.flavour import run
from app.services.accounts import Accounts
from app.services.usage.tenancy import TenantDatabase
from tests.contract.ledger import AUGUST, JULY, DashboardWorld, seed_dashboard
from tests.contract.world import Contract

REPORTS = ("margins", "outliers", "retries")


@pytest.fixture(scope="module")
def dashboard(contract: Contract) -> DashboardWorld:
    return run(lambda: seed_dashboard(contract.database_url))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def report(
    client: httpx.Client, name: str, key: str, period: str = JULY, **params: str
) -> httpx.Response:
    return client.get(
        f"/v1/reports/{name}", params={"period": period, **params}, headers=bearer(key)
    )


def test_the_operator_sees_every_workspace_named(
    client: httpx.Client, dashboard: DashboardWorld
) -> None:
    body = report(client, "margins", dashboard.operator).json()

    named = {w["workspace"]: w for w in body["workspaces"]}
    assert body["scope"] == "all" and body["period"] == JULY
    assert named[dashboard.acme]["revenue_usd"] == "10.000000"
    # Acme in July: 1000 + 2000 + 500 (a retry) + 90000 + 4000.
    assert named[dashboard.acme]["spend_usd"] == "0.097500"
    assert named[dashboard.beta]["spend_usd"] == "0.002000"  # 300 + 200 + 1500
    # Other tests seed workspaces of their own: look at this world's.
    ours = (dashboard.acme, dashboard.beta)
    users = report(client, "outliers", dashboard.operator).json()["users"]
    assert [(u["workspace"], u["user"]) for u in users if u["workspace"] in ours] == [
        (dashboard.acme, "heavy@acme.test")
    ]
    rows = report(client, "retries", dashboard.operator).json()["rows"]
    assert {r["workspace"] for r in rows} >= {dashboard.acme, dashboard.beta}


def test_an_owner_sees_its_own_workspace_only(
    client: httpx.Client, dashboard: DashboardWorld
) -> None:
    for name in REPORTS:
        response = report(client, name, dashboard.acme_owner)
        assert response.status_code == 200, response.text
        assert dashboard.beta not in response.text
        assert response.json()["scope"] == "workspace"
    margins = report(client, "margins", dashboard.acme_owner).json()
    assert [w["workspace"] for w in margins["workspaces"]] == [dashboard.acme]
    assert margins["spend_usd"] == "0.097500"


def test_the_filters_change_the_numbers(client: httpx.Client, dashboard: DashboardWorld) -> None:
    august = report(client, "margins", dashboard.acme_owner, AUGUST).json()
    catalog_only = report(client, "margins", dashboard.acme_owner, workflow=DEFAULT_WORKFLOW).json()

    assert august["spend_usd"] == "0.007000"
    assert catalog_only["spend_usd"] == "0.093500"  # without the retired workflow's 4000


@pytest.mark.parametrize("name", REPORTS)
def test_a_member_is_refused(client: httpx.Client, dashboard: DashboardWorld, name: str) -> None:
    response = report(client, name, dashboard.acme_member)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "owner_only"


@pytest.mark.parametrize("period", ["2021-13", "July", "2021-7", "0000-01", "2021-07-01"])
def test_a_bad_period_is_a_422(
    client: httpx.Client, dashboard: DashboardWorld, period: str
) -> None:
    response = report(client, "margins", dashboard.operator, period)

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_period", "period")


def test_an_unknown_workflow_is_a_422(client: httpx.Client, dashboard: DashboardWorld) -> None:
    response = report(client, "retries", dashboard.operator, workflow="<script>")

    assert response.status_code == 422
    assert response.json()["error"]["param"] == "workflow"


def test_reports_need_a_key(client: httpx.Client) -> None:
    response = client.get("/v1/reports/margins")

    assert response.status_code == 401 and response.json()["error"]["code"] == "missing_api_key"


# -- the dashboard's session ---------------------------------------------------------------


@pytest.fixture
def browser(contract: Contract) -> Iterator[httpx.Client]:
    """A cookie-keeping client that does not follow redirects (to see them)."""
    with httpx.Client(base_url=contract.base_url, timeout=20) as client:
        yield client


def csrf_of(client: httpx.Client, path: str = "/admin/login") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match[1]


def log_in(client: httpx.Client, key: str) -> httpx.Response:
    return client.post("/admin/login", data={"csrf": csrf_of(client), "key": key})


def test_pages_need_a_session(browser: httpx.Client) -> None:
    response = browser.get("/admin/overview")

    assert response.status_code == 303 and response.headers["location"] == "/admin/login"


def test_login_sets_a_strict_http_only_session_without_the_key(
    browser: httpx.Client, dashboard: DashboardWorld
) -> None:
    response = log_in(browser, dashboard.operator)

    assert response.status_code == 303 and response.headers["location"] == "/admin/overview"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "admin_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert dashboard.operator not in cookie
    page = browser.get("/admin/overview", params={"period": JULY})
    assert page.status_code == 200
    assert dashboard.acme in page.text and dashboard.beta in page.text
    assert dashboard.operator not in page.text


def test_every_admin_answer_sends_a_strict_csp(browser: httpx.Client) -> None:
    for path in ("/admin/login", "/admin/nowhere", "/admin/static/admin.css"):
        policy = browser.get(path).headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert "'unsafe-inline'" not in policy


def test_login_without_the_csrf_token_is_refused(
    browser: httpx.Client, dashboard: DashboardWorld
) -> None:
    csrf_of(browser)  # the cookie is set, the form field is missing
    response = browser.post("/admin/login", data={"key": dashboard.operator})

    assert response.status_code == 403
    assert "admin_session=" not in response.headers.get("set-cookie", "")


def test_a_wrong_key_or_a_member_key_does_not_log_in(
    browser: httpx.Client, dashboard: DashboardWorld
) -> None:
    wrong = log_in(browser, "sk_not-a-key")
    member = log_in(browser, dashboard.acme_member)

    assert wrong.status_code == 401 and "not valid" in wrong.text
    assert member.status_code == 403 and "owners and operators" in member.text
    assert browser.get("/admin/overview").status_code == 303


def test_a_forged_session_is_ignored(browser: httpx.Client, dashboard: DashboardWorld) -> None:
    browser.cookies.set("admin_session", f"v1.{uuid.uuid4().hex}.1700000000.forged", path="/admin")

    assert browser.get("/admin/overview").status_code == 303


def test_an_owner_exports_its_own_rows_as_csv(
    browser: httpx.Client, dashboard: DashboardWorld
) -> None:
    log_in(browser, dashboard.acme_owner)
    response = browser.get("/admin/overview.csv", params={"period": JULY})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0].startswith("Workspace,Tier,Requests,Revenue (USD)")
    assert len(lines) == 2 and lines[1].startswith(f"{dashboard.acme},")
    assert dashboard.beta not in response.text


def test_logout_needs_the_csrf_token_and_ends_the_session(
    browser: httpx.Client, dashboard: DashboardWorld
) -> None:
    log_in(browser, dashboard.acme_owner)
    refused = browser.post("/admin/logout", data={})
    assert refused.status_code == 403
    assert browser.get("/admin/overview").status_code == 200

    out = browser.post("/admin/logout", data={"csrf": csrf_of(browser, "/admin/overview")})
    assert out.status_code == 303 and out.headers["location"] == "/admin/login"
    assert browser.get("/admin/overview").status_code == 303


def test_revoking_the_key_ends_its_sessions(contract: Contract, browser: httpx.Client) -> None:
    dashboard = run(lambda: seed_dashboard(contract.database_url))  # a key of its own
    log_in(browser, dashboard.acme_owner)
    assert browser.get("/admin/overview").status_code == 200

    async def revoke() -> None:
        engine = create_engine_for(contract.database_url)
        try:
            await Accounts(TenantDatabase(engine)).revoke_api_key(
                uuid.UUID(dashboard.acme_id), uuid.UUID(dashboard.acme_owner_key_id)
            )
        finally:
            await engine.dispose()

    run(revoke)
    assert browser.get("/admin/overview").status_code == 303


def test_bad_filters_are_a_page_not_a_traceback(
    browser: httpx.Client, dashboard: DashboardWorld
) -> None:
    log_in(browser, dashboard.operator)
    bad_period = browser.get("/admin/retries", params={"period": "2021-99"})
    bad_workflow = browser.get("/admin/retries", params={"workflow": "<b>x</b>"})

    assert bad_period.status_code == 422 and "YYYY-MM" in bad_period.text
    assert bad_workflow.status_code == 422 and "<b>x</b>" not in bad_workflow.text
    assert browser.get("/admin/nowhere").status_code == 404


# -- python -m app report ------------------------------------------------------------------


def report_command(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["report", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", REPORTS)
def test_the_report_command_prints_the_operators_json(
    contract: Contract,
    client: httpx.Client,
    dashboard: DashboardWorld,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    url = ("--url", contract.database_url)
    code, out, _ = report_command(capsys, name, "--period", JULY, "--json", *url)

    assert code == 0
    assert json.loads(out) == report(client, name, dashboard.operator).json()


def test_the_report_command_prints_tables(
    contract: Contract, dashboard: DashboardWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ("--url", contract.database_url)
    code, out, _ = report_command(capsys, "margins", "--period", JULY, *url)

    assert code == 0
    assert "Margin per workspace" in out and "Workflow profitability" in out
    acme = next(line for line in out.splitlines() if line.startswith(dashboard.acme))
    assert acme.split()[-3:] == ["10.000000", "0.097500", "9.902500"]


def test_the_report_command_refuses_a_bad_period(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        report_command(capsys, "retries", "--period", "2021-13")

    assert exited.value.code == 2
    assert "YYYY-MM" in capsys.readouterr().err
