"""``POST /v1/chat``: run a workflow; JSON, or server-sent events with ``stream: true``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.deps import ApiDep, CacheParam, JsonCallerDep
from app.schemas.chat import ChatBody, ChatResponse
from app.schemas.errors import ErrorBody
from app.streaming import EventStreamResponse

router = APIRouter(prefix="/v1", tags=["chat"])


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when streaming"},
        "4XX": {"model": ErrorBody},
        "5XX": {"model": ErrorBody},
    },
)
async def chat(
    caller: JsonCallerDep, body: ChatBody, request: Request, api: ApiDep, cache: CacheParam = None
) -> ChatResponse | Response:
    """Run ``body.workflow`` (or the default) through the usage layer."""
    if body.stream:
        opened = await api.open_chat_stream(caller, body, request.headers, cache)
        return EventStreamResponse(api.chat_events(caller, opened), opened)
    return await api.chat(caller, body, request.headers, cache)
