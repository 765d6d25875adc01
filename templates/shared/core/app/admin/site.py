"""The ``/admin`` dashboard, framework-free: a request in, a finished response out.

The web layers only route ``/admin`` and ``/admin/...`` here (GET and POST) and
copy the ``AdminResponse`` onto their own response type; pages are rendered from
the shared Jinja2 templates in ``app/admin/templates`` and styled by the one
stylesheet in ``app/admin/static``.

- Login: ``POST /admin/login`` with the API key in a form field, once; the answer
  sets the session cookie (``session.py``). Operators see every workspace, owners
  their own; members get a 403 page.
- Every form carries the CSRF token; filters are GET forms (``?period=&workflow=``).
- ``/admin/<page>.csv`` exports the page's table with the same filters.
- Every answer carries a strict Content-Security-Policy: no scripts at all, styles
  from this origin's stylesheet only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.admin import session as sessions
from app.admin.charts import Chart, bar_chart
from app.core.catalog import PRODUCT_NAME, WORKFLOWS
from app.services.api.errors import ApiError, to_api_error
from app.services.api.reporting import report_filter, report_scope
from app.services.api.runtime import Runtime
from app.services.prompts.model import format_ref
from app.services.reports import ReportFilter, Reports
from app.services.reports.payloads import money
from app.services.reports.tables import (
    Table,
    cache_table,
    margins_tables,
    outliers_table,
    plans_table,
    prompts_table,
    providers_table,
    retries_table,
)

HERE = Path(__file__).parent
STATIC = {
    "admin.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
# (slug, title) of every page, in the order the navigation lists them.
PAGES: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("workflows", "Workflows"),
    ("retries", "Retries & failures"),
    ("outliers", "Outlier users"),
    ("plans", "Plans"),
    ("prompts", "Prompts"),
    ("cache", "Cache"),
    ("providers", "Providers"),
)
PAGE_TITLES = dict(PAGES)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
MAX_FORM_FIELDS = 10

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class AdminRequest:
    """What the dashboard needs of a request (the web layer fills it in)."""

    method: str
    path: str  # after "/admin": "", "/overview", "/overview.csv", "/static/admin.css"
    query: Mapping[str, str]
    cookies: Mapping[str, str]
    form: Mapping[str, str] = field(default_factory=dict)
    secure: bool = False  # served over HTTPS: cookies get the Secure flag


@dataclass(slots=True)
class AdminResponse:
    """A finished answer: status, body, headers, and whole ``Set-Cookie`` values."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)


def parse_form(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (first value of each field)."""
    try:
        text = body.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items()}


def _cookie(name: str, value: str, *, max_age: int, secure: bool) -> str:
    flags = f"; Max-Age={max_age}; Path=/admin; HttpOnly; SameSite=Strict"
    return f"{name}={value}{flags}{'; Secure' if secure else ''}"


class AdminSite:
    """The dashboard over one app's runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.reports = Reports(runtime.db)

    async def handle(self, request: AdminRequest) -> AdminResponse:
        """Answer one ``/admin`` request; never raises (errors become pages)."""
        csrf = request.cookies.get(sessions.CSRF_COOKIE) or ""
        fresh_csrf = not csrf
        if fresh_csrf:
            csrf = sessions.new_csrf_token()
        try:
            response = await self._route(request, csrf)
        except Exception as exc:  # any failure is a page, never a traceback
            error = to_api_error(exc)
            response = self._page_error(error.status, error.message, csrf)
        response.headers.update(SECURITY_HEADERS)
        if fresh_csrf:
            max_age = sessions.SESSION_SECONDS
            response.set_cookies.append(
                _cookie(sessions.CSRF_COOKIE, csrf, max_age=max_age, secure=request.secure)
            )
        return response

    # -- routing ---------------------------------------------------------------------------

    async def _route(self, request: AdminRequest, csrf: str) -> AdminResponse:
        path = request.path.rstrip("/") or "/overview"
        if path.startswith("/static/") and request.method == "GET":
            return self._static(path.removeprefix("/static/"))
        if path == "/login":
            if request.method == "POST":
                return await self._login(request, csrf)
            if request.method == "GET":
                return self._login_page(csrf)
        elif path == "/logout":
            if request.method == "POST":
                return self._logout(request, csrf)
        else:
            slug, _, extension = path.removeprefix("/").partition(".")
            if slug not in PAGE_TITLES or extension not in ("", "csv"):
                return self._page_error(404, "There is no such page.", csrf)
            if request.method == "GET":
                return await self._report_page(request, csrf, slug, csv=extension == "csv")
        return self._page_error(405, "This page does not accept that method.", csrf)

    def _render(self, template: str, status: int = 200, **context: Any) -> AdminResponse:
        body = _templates.get_template(template).render(
            product=PRODUCT_NAME, pages=PAGES, **context
        )
        return AdminResponse(status, body.encode())

    def _page_error(
        self, status: int, message: str, csrf: str, viewer: sessions.Viewer | None = None
    ) -> AdminResponse:
        return self._render(
            "error.html",
            status,
            title=f"Error {status}",
            message=message,
            csrf=csrf,
            viewer=viewer,
            page="",
            query="",
        )

    @staticmethod
    def _redirect(location: str) -> AdminResponse:
        return AdminResponse(303, b"", headers={"Location": location})

    def _static(self, name: str) -> AdminResponse:
        if name not in STATIC:
            return AdminResponse(404, b"not found", "text/plain; charset=utf-8")
        body = (HERE / "static" / name).read_bytes()
        return AdminResponse(200, body, STATIC[name], headers={"Cache-Control": "max-age=3600"})

    # -- login and logout ------------------------------------------------------------------

    def _login_page(
        self, csrf: str, status: int = 200, message: str | None = None
    ) -> AdminResponse:
        return self._render(
            "login.html",
            status,
            title="Log in",
            csrf=csrf,
            message=message,
            viewer=None,
            page="login",
            query="",
        )

    async def _login(self, request: AdminRequest, csrf: str) -> AdminResponse:
        if not sessions.same_token(
            request.form.get("csrf"), request.cookies.get(sessions.CSRF_COOKIE)
        ):
            return self._page_error(403, "The form expired; reload the page and retry.", csrf)
        key = request.form.get("key", "").strip()
        principal = await self.runtime.accounts.resolve_api_key(key) if key else None
        if principal is None:
            return self._login_page(csrf, 401, "That key is not valid (unknown or revoked).")
        try:
            report_scope(principal)  # the one rule for who may see reports
        except ApiError as error:
            return self._page_error(error.status, error.message, csrf)
        token = await sessions.open_session(self.runtime.db, principal.api_key_id)
        response = self._redirect("/admin/overview")
        response.set_cookies.append(
            _cookie(
                sessions.SESSION_COOKIE,
                token,
                max_age=sessions.SESSION_SECONDS,
                secure=request.secure,
            )
        )
        return response

    def _logout(self, request: AdminRequest, csrf: str) -> AdminResponse:
        if not sessions.same_token(
            request.form.get("csrf"), request.cookies.get(sessions.CSRF_COOKIE)
        ):
            return self._page_error(403, "The form expired; reload the page and retry.", csrf)
        response = self._redirect("/admin/login")
        response.set_cookies.append(
            _cookie(sessions.SESSION_COOKIE, "", max_age=0, secure=request.secure)
        )
        return response

    # -- report pages ----------------------------------------------------------------------

    async def _report_page(
        self, request: AdminRequest, csrf: str, slug: str, *, csv: bool
    ) -> AdminResponse:
        viewer = await sessions.viewer_of(
            self.runtime.db, request.cookies.get(sessions.SESSION_COOKIE)
        )
        if viewer is None:
            return self._redirect("/admin/login")
        period = request.query.get("period") or None
        workflow = request.query.get("workflow") or None
        query = urlencode({k: v for k, v in (("period", period), ("workflow", workflow)) if v})
        try:
            flt = report_filter(viewer, period, workflow)
        except ApiError as error:
            return self._page_error(error.status, error.message, csrf, viewer)
        table, headlines, chart = await self._contents(slug, flt)
        if csv:
            filename = f"{slug}-{flt.period.label}.csv"
            return AdminResponse(
                200,
                table.csv().encode(),
                "text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return self._render(
            "report.html",
            title=PAGE_TITLES[slug],
            page=slug,
            viewer=viewer,
            csrf=csrf,
            query=f"?{query}" if query else "",
            period=flt.period.label,
            workflow=flt.workflow or "",
            workflows=sorted(WORKFLOWS),
            scope="every workspace" if flt.all_workspaces else viewer.workspace,
            table=table,
            headlines=headlines,
            chart=chart,
        )

    async def _contents(
        self, slug: str, flt: ReportFilter
    ) -> tuple[Table, list[tuple[str, str, str]], Chart | None]:
        """The page's table, headline figures ``(id, label, value)`` and chart."""
        if slug in ("overview", "workflows"):
            margins = await self.reports.margins(flt)
            workspaces, workflows = margins_tables(margins)
            if slug == "workflows":
                points = [
                    (f"{w.tier}/{w.workflow}", float(w.spend_micros), money(w.spend_micros))
                    for w in margins.workflows
                ]
                return workflows, [], bar_chart("Spend per workflow (USD)", points)
            daily = await self.reports.daily(flt)
            heads = [
                ("revenue", "Revenue (USD)", money(margins.revenue_micros)),
                ("spend", "Spend (USD)", money(margins.spend_micros)),
                ("margin", "Margin (USD)", money(margins.margin_micros)),
                ("requests", "Requests", str(sum(w.requests for w in margins.workspaces))),
            ]
            spent = {d.day: d.spend_micros for d in daily}
            days = (flt.period.until - flt.period.since).days
            labels = [f"{flt.period.label}-{day:02d}" for day in range(1, days + 1)]
            points = [(day, float(spent.get(day, 0)), money(spent.get(day, 0))) for day in labels]
            top = money(max(spent.values(), default=0))
            title = f"Spend per day (USD), days 1 to {days}; highest {top}"
            return workspaces, heads, bar_chart(title, points) if daily else None
        if slug == "retries":
            retries = await self.reports.retries(flt)
            heads = [
                ("retry-spend", "Retry spend (USD)", money(retries.retry_spend_micros)),
                ("failed-spend", "Failed spend (USD)", money(retries.failed_spend_micros)),
                ("wasted", "Wasted (USD)", money(retries.wasted_micros)),
            ]
            return retries_table(retries), heads, None
        if slug == "outliers":
            outliers = await self.reports.outliers(flt)
            heads = [("median", "Median user spend (USD)", money(outliers.median_micros))]
            return outliers_table(outliers), heads, None
        if slug == "plans":
            plans = await self.reports.plans(flt)
            points = [
                (p.workspace, p.cap_share or 0.0, f"{(p.cap_share or 0.0) * 100:.1f}%")
                for p in plans
            ]
            return plans_table(plans), [], bar_chart("Share of the cap used", points)
        if slug == "prompts":
            return prompts_table(await self.reports.prompts(flt), self._arms()), [], None
        if slug == "cache":
            rows = await self.reports.cache(flt)
            saved = sum(r.saved_micros for r in rows)
            return cache_table(rows), [("saved", "Saved (USD)", money(saved))], None
        # Circuit states are the whole product's, not a workspace's: operators only.
        gateway = self.runtime.own_gateway if flt.all_workspaces else None
        circuits = gateway.status() if gateway else {}
        return providers_table(await self.reports.providers(flt), circuits), [], None

    def _arms(self) -> dict[str, float]:
        """Each prompt version's share of its experiment's traffic (``name@vN``)."""
        return {
            format_ref(name, version): experiment.share(version)
            for name, experiment in self.runtime.prompts.experiments().items()
            for version in experiment.versions
        }


__all__ = ["AdminRequest", "AdminResponse", "AdminSite", "parse_form"]
