"""``ROUTES`` as an OpenAPI 3.1 document, shaped as FastAPI shapes its own.

Request bodies are described as pydantic validates them, responses as it
serialises them (a model whose two forms differ gets ``Name-Input`` and
``Name-Output`` schemas, as in FastAPI, which also leaves out null defaults).
Built once per process.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from http.client import responses as reasons
from typing import Any

from app.core.catalog import PRODUCT_NAME
from app.openapi.route import Param, Route
from app.openapi.routes import ROUTES
from app.schemas.errors import ErrorBody
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

OPENAPI_VERSION = "3.1.0"
API_VERSION = "0.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
JSON = "application/json"
EVENT_STREAM = "text/event-stream"
# What FastAPI calls a range of error statuses.
RANGE_NAMES = {"4XX": "Client Error", "5XX": "Server Error"}

ModelKey = tuple[type[BaseModel], JsonSchemaMode]


def operation_id(route: Route) -> str:
    """FastAPI's default: the handler's name, the path and the method, as one identifier."""
    return re.sub(r"\W", "_", f"{route.name}{route.path}") + f"_{route.method}"


def _parameter(param: Param) -> dict[str, Any]:
    schema = TypeAdapter(param.annotation).json_schema(ref_template=REF_TEMPLATE)
    if param.description:
        schema["description"] = param.description
    schema["title"] = param.name.replace("_", " ").title()
    described = {"description": param.description} if param.description else {}
    return {
        "name": param.name,
        "in": param.where,
        "required": param.required,
        "schema": schema,
        **described,
    }


def _content(ref: dict[str, Any] | None) -> dict[str, Any]:
    return {JSON: {"schema": ref if ref is not None else {}}}


def _operation(route: Route, refs: dict[ModelKey, dict[str, Any]]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": route.success}
    if not route.empty:
        content = _content(refs[(route.response, "serialization")] if route.response else None)
        if route.streams:
            content[EVENT_STREAM] = {}
        success["content"] = content
    responses: dict[str, Any] = {str(route.status): success}
    for status in route.errors:
        responses[status] = {
            "description": RANGE_NAMES.get(status) or reasons.get(int(status), "Error"),
            "content": _content(refs[(ErrorBody, "serialization")]),
        }
    operation: dict[str, Any] = {
        "tags": [route.tag],
        "summary": route.name.replace("_", " ").title(),
        "description": route.description,
        "operationId": operation_id(route),
    }
    if route.params:
        operation["parameters"] = [_parameter(param) for param in route.params]
    if route.raw_body is not None:
        operation["requestBody"] = route.raw_body
    elif route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": _content(refs[(route.body, "validation")]),
        }
    operation["responses"] = responses
    return operation


def build_document(routes: tuple[Route, ...] = ROUTES) -> dict[str, Any]:
    """The OpenAPI document of ``routes``."""
    keys: list[ModelKey] = []
    for route in routes:
        if route.body is not None:
            keys.append((route.body, "validation"))
        if route.response is not None:
            keys.append((route.response, "serialization"))
        if route.errors:
            keys.append((ErrorBody, "serialization"))
    unique = list(dict.fromkeys(keys))
    schemas, definitions = models_json_schema(unique, ref_template=REF_TEMPLATE)
    refs: dict[ModelKey, dict[str, Any]] = {key: schemas[key] for key in unique}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method] = _operation(route, refs)
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": PRODUCT_NAME, "version": API_VERSION},
        "paths": paths,
    }
    if definitions.get("$defs"):
        document["components"] = {"schemas": definitions["$defs"]}
    cleaned: dict[str, Any] = _without_nulls(document)
    return cleaned


def _without_nulls(value: Any) -> Any:
    """``value`` without null-valued keys (``"default": null``), as FastAPI writes it."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


@lru_cache(maxsize=1)
def document_json() -> str:
    """The document as JSON text, built on first use."""
    return json.dumps(build_document(), separators=(",", ":"))
