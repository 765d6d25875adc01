"""Flask: ``/openapi.json`` is the route table's document (equal to the FastAPI app's),
and every route the app serves is in it."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from app.openapi import build_document
from tests.openapi import TABLE, differences, operations

# Served but not API operations: the document itself, its page, Flask's static files
# and the /admin dashboard's HTML pages (FastAPI leaves them out of its document too).
UNDOCUMENTED = {"/openapi.json", "/docs"}
UNDOCUMENTED_PREFIXES = ("/admin",)


def served_operations(app: Flask) -> set[tuple[str, str]]:
    """(path, method) of every route, paths in OpenAPI form (``<uuid:key_id>`` -> ``{key_id}``)."""
    found = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        if rule.endpoint == "static" or path in UNDOCUMENTED:
            continue
        if path.startswith(UNDOCUMENTED_PREFIXES):
            continue
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                found.add((path, method.lower()))
    return found


def test_every_served_route_is_in_the_document(app: Flask) -> None:
    documented = set(operations(build_document()))
    served = served_operations(app)

    missing = sorted(f"{m.upper()} {p}" for p, m in served - documented)
    assert not missing, f"routes missing from {TABLE}: {', '.join(missing)}"
    extra = sorted(f"{m.upper()} {p}" for p, m in documented - served)
    assert not extra, f"{TABLE} lists routes this app does not serve: {', '.join(extra)}"


def test_the_served_document_is_the_route_tables(client: FlaskClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    served = response.get_json()
    assert differences(served, build_document()) == []
    assert served["openapi"] == "3.1.0"
    assert "ErrorBody" in served["components"]["schemas"]


def test_the_docs_page_loads_the_document(client: FlaskClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert '"/openapi.json"' in response.get_data(as_text=True)
