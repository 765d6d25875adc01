"""OpenAI-compatible endpoints: ``POST /v1/chat/completions`` and ``GET /v1/models``.

An OpenAI SDK client works by changing its base URL and key. ``model`` names a
model the caller's tier allows, or ``auto`` for the workflow's cost-optimised
choice; the workflow comes from the ``X-Workflow`` header or ``metadata.workflow``.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.schemas.openai import ChatCompletionRequest
from app.web import (
    api,
    authenticated,
    authenticated_body,
    event_stream,
    header_map,
    json_response,
)

llm_router_bp = Blueprint("llm_router", __name__, url_prefix="/v1")


@llm_router_bp.post("/chat/completions")
def chat_completions() -> Response:
    """A chat completion, plain or streamed (``stream: true``)."""
    caller, body = authenticated_body(ChatCompletionRequest)
    cache = request.args.get("cache")
    if body.stream:
        opened = api().open_completion_stream(caller, body, header_map(), cache)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = api().completion_events(caller, opened, include_usage=include_usage)
        return event_stream(events, opened)
    return json_response(api().completion(caller, body, header_map(), cache))


@llm_router_bp.get("/models")
def list_models() -> Response:
    """``auto`` and the models the caller's tier may use."""
    return json_response(api().models(authenticated()))
