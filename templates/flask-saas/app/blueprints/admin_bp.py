"""``/admin``: the owners' dashboard. Routing only; pages come from ``app.admin``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from app.admin import AdminRequest, AdminSite, parse_form
from app.web import api

admin_bp = Blueprint("admin", __name__)


@admin_bp.route("/admin", defaults={"rest": ""}, methods=["GET", "POST"])
@admin_bp.route("/admin/", defaults={"rest": ""}, methods=["GET", "POST"])
@admin_bp.route("/admin/<path:rest>", methods=["GET", "POST"])
def admin(rest: str) -> Response:
    """Any dashboard page, form post, CSV export or static file."""
    form = parse_form(request.get_data()) if request.method == "POST" else {}
    answer = AdminSite(api().runtime).handle(
        AdminRequest(
            method=request.method,
            path=f"/{rest}" if rest else "",
            query=request.args.to_dict(),
            cookies=request.cookies.to_dict(),
            form=form,
            secure=request.is_secure,
        )
    )
    response: Response = current_app.response_class(
        answer.body, status=answer.status, content_type=answer.content_type
    )
    for name, value in answer.headers.items():
        response.headers[name] = value
    for cookie in answer.set_cookies:
        response.headers.add("Set-Cookie", cookie)
    return response
