"""``GET /v1/reports/margins|outliers|retries``: the owners' reports as JSON."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.web import api, authenticated, json_response

reports_bp = Blueprint("reports", __name__, url_prefix="/v1/reports")


@reports_bp.get("/margins")
def get_margins() -> Response:
    """Revenue, spend and margin per workspace; cost per request and per usable answer."""
    caller = authenticated()
    return json_response(
        api().margins_report(caller, request.args.get("period"), request.args.get("workflow"))
    )


@reports_bp.get("/outliers")
def get_outliers() -> Response:
    """Users spending more than three times the median user."""
    caller = authenticated()
    return json_response(
        api().outliers_report(caller, request.args.get("period"), request.args.get("workflow"))
    )


@reports_bp.get("/retries")
def get_retries() -> Response:
    """Retry and failure spend per workspace and workflow."""
    caller = authenticated()
    return json_response(
        api().retries_report(caller, request.args.get("period"), request.args.get("workflow"))
    )
