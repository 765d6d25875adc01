"""``GET /metrics``: Prometheus metrics, for operator keys (Bearer) only."""

from __future__ import annotations

from flask import Blueprint, Response

from app.core.metrics import CONTENT_TYPE
from app.web import api, authenticated

metrics_bp = Blueprint("metrics", __name__)


@metrics_bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text: requests, provider calls, breakers, cache, spend, backlogs."""
    return Response(api().metrics(authenticated()), mimetype=None, content_type=CONTENT_TYPE)
