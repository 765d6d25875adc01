"""``POST /v1/chat``: run a workflow; JSON, or server-sent events with ``stream: true``."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.schemas.chat import ChatBody
from app.web import api, authenticated_body, header_map, event_stream, json_response

chat_bp = Blueprint("chat", __name__, url_prefix="/v1")


@chat_bp.post("/chat")
def chat() -> Response:
    """Run ``body.workflow`` (or the default) through the usage layer."""
    caller, body = authenticated_body(ChatBody)
    cache = request.args.get("cache")
    if body.stream:
        opened = api().open_chat_stream(caller, body, header_map(), cache)
        return event_stream(api().chat_events(caller, opened), opened)
    return json_response(api().chat(caller, body, header_map(), cache))
