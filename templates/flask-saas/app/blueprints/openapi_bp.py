"""``GET /openapi.json`` (OpenAPI 3.1) and ``GET /docs`` (Swagger UI).

The document comes from the route table in ``app/openapi/routes.py``, built once;
a route added to a blueprint needs its entry there (``tests/web/test_openapi.py``
fails, naming it, until it has one).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from app.core.catalog import PRODUCT_NAME
from app.openapi import document_json
from app.openapi.docs import swagger_ui_html

openapi_bp = Blueprint("openapi", __name__)


@openapi_bp.get("/openapi.json")
def openapi_document() -> Response:
    """The API's OpenAPI document."""
    return current_app.response_class(document_json(), mimetype="application/json")


@openapi_bp.get("/docs")
def docs() -> Response:
    """Interactive documentation of the API."""
    return current_app.response_class(swagger_ui_html(PRODUCT_NAME), mimetype="text/html")
