"""``/admin``: the owners' dashboard. Routing only; pages come from ``app.admin``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.admin import AdminRequest, AdminSite, parse_form
from app.deps import ApiDep

router = APIRouter(include_in_schema=False)


@router.api_route("/admin", methods=["GET", "POST"])
@router.api_route("/admin/{rest:path}", methods=["GET", "POST"])
async def admin(request: Request, api: ApiDep, rest: str = "") -> Response:
    """Any dashboard page, form post, CSV export or static file."""
    form = parse_form(await request.body()) if request.method == "POST" else {}
    answer = await AdminSite(api.runtime).handle(
        AdminRequest(
            method=request.method,
            path=f"/{rest}" if rest else "",
            query=dict(request.query_params),
            cookies=request.cookies,
            form=form,
            secure=request.url.scheme == "https",
        )
    )
    response = Response(
        answer.body,
        status_code=answer.status,
        media_type=answer.content_type,
        headers=answer.headers,
    )
    for cookie in answer.set_cookies:
        response.headers.append("set-cookie", cookie)
    return response
