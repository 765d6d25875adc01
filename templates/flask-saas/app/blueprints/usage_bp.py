"""``GET /v1/usage``: this period's usage in the product's units, cap state and warnings."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.web import api, authenticated, json_response

usage_bp = Blueprint("usage", __name__, url_prefix="/v1")


@usage_bp.get("/usage")
def get_usage() -> Response:
    """The caller's usage; owners may ask for any user of their workspace (``?user=``)."""
    caller = authenticated()
    return json_response(api().usage(caller, request.args.get("user")))
