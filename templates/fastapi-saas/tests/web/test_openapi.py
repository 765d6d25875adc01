"""FastAPI only: the OpenAPI document describes every endpoint and the error shape,
and equals the route table's document, which the Flask app serves."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.openapi import build_document
from tests.openapi import differences


def test_every_endpoint_is_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path, method in [
        ("/v1/chat", "post"),
        ("/v1/chat/completions", "post"),
        ("/v1/models", "get"),
        ("/v1/usage", "get"),
        ("/v1/credits", "get"),
        ("/v1/credits", "post"),
        ("/v1/prompts", "get"),
        ("/v1/prompts", "post"),
        ("/v1/billing/webhook", "post"),
        ("/v1/usage/{event_id}/feedback", "post"),
        ("/v1/keys", "get"),
        ("/v1/keys", "post"),
        ("/v1/keys/{key_id}", "delete"),
    ]:
        assert method in paths[path], (path, method)
    assert "ErrorBody" in schema["components"]["schemas"]


def test_the_document_equals_the_route_tables(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    table = build_document()

    assert differences(served, table) == []
    assert served["openapi"] == table["openapi"] == "3.1.0"
    assert served["info"] == table["info"]


def test_the_docs_page_loads_the_document(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text


def test_unknown_routes_answer_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
