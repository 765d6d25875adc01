"""``GET /v1/usage``: this period's usage in the product's units, cap state and warnings;
``POST /v1/usage/<event_id>/feedback``: whether a call's answer was usable."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.schemas.feedback import FeedbackBody
from app.web import api, authenticated, authenticated_body, json_response

usage_bp = Blueprint("usage", __name__, url_prefix="/v1")


@usage_bp.get("/usage")
def get_usage() -> Response:
    """The caller's usage; owners may ask for any user of their workspace (``?user=``)."""
    caller = authenticated()
    return json_response(api().usage(caller, request.args.get("user")))


@usage_bp.post("/usage/<event_id>/feedback")
def give_feedback(event_id: str) -> Response:
    """Record whether a call's answer was usable (members: their own calls)."""
    caller, body = authenticated_body(FeedbackBody)
    return json_response(api().feedback(caller, event_id, body))
