"""OpenAI-compatible endpoints: ``POST /v1/chat/completions`` and ``GET /v1/models``.

An OpenAI SDK client works by changing its base URL and key. ``model`` names a
model the caller's tier allows, or ``auto`` for the workflow's cost-optimised
choice; the workflow comes from the ``X-Workflow`` header or ``metadata.workflow``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.deps import ApiDep, CacheParam, CallerDep, JsonCallerDep
from app.schemas.errors import ErrorBody
from app.schemas.openai import ChatCompletion, ChatCompletionRequest, ModelList
from app.streaming import EventStreamResponse

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

_ERRORS: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorBody},
    "5XX": {"model": ErrorBody},
}


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {}}}, **_ERRORS},
)
async def chat_completions(
    caller: JsonCallerDep,
    body: ChatCompletionRequest,
    request: Request,
    api: ApiDep,
    cache: CacheParam = None,
) -> ChatCompletion | Response:
    """A chat completion, plain or streamed (``stream: true``)."""
    if body.stream:
        opened = await api.open_completion_stream(caller, body, request.headers, cache)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = api.completion_events(caller, opened, include_usage=include_usage)
        return EventStreamResponse(events, opened)
    return await api.completion(caller, body, request.headers, cache)


@router.get("/models", response_model=ModelList, responses=_ERRORS)
async def list_models(caller: CallerDep, api: ApiDep) -> ModelList:
    """``auto`` and the models the caller's tier may use."""
    return api.models(caller)
