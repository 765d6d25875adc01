"""``GET/POST /v1/credits``: the prepaid balance; operators grant credits."""

from __future__ import annotations

from flask import Blueprint, Response

from app.schemas.credits import CreditGrantBody
from app.web import api, authenticated, authenticated_body, json_response

credit_bp = Blueprint("credit", __name__, url_prefix="/v1")


@credit_bp.get("/credits")
def get_credits() -> Response:
    """The workspace's credit balance."""
    return json_response(api().credits(authenticated()))


@credit_bp.post("/credits")
def grant_credits() -> Response:
    """Add credits to any workspace (operators only)."""
    caller, body = authenticated_body(CreditGrantBody)
    return json_response(api().grant_credits(caller, body), status=201)
