"""``POST /v1/chat/completions``: the OpenAI-compatible endpoint, whole or streamed."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Mapping

from app.schemas.openai import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChunkChoice,
    ChunkDelta,
    CompletionChoice,
    CompletionUsage,
    CompletionUsageDetails,
)
from app.services.api import sse
from app.services.api.auth import Caller
from app.services.api.calls import (
    WORKFLOW_HEADER,
    MeteredCalls,
    OpenedStream,
    Prepared,
    json_text,
    next_event,
    workflow_named,
)
from app.services.api.errors import bad_request, to_api_error
from app.services.llm.types import ChatResult, Message, TextDelta


class CompletionsApi(MeteredCalls):
    """OpenAI's chat completions, over the same metered calls."""

    # -- POST /v1/chat/completions -------------------------------------------------------

    async def completion(
        self,
        caller: Caller,
        body: ChatCompletionRequest,
        headers: Mapping[str, str],
        cache: str | None = None,
    ) -> ChatCompletion:
        """An OpenAI-compatible, non-streamed chat completion."""
        prepared = self._prepare_completion(caller, body, headers, cache)
        outcome = await self._run(caller, prepared)
        result = outcome.result
        return ChatCompletion(
            id=f"chatcmpl-{outcome.event_id.hex}",
            created=int(time.time()),
            model=result.model or prepared.requested_model,
            choices=[
                CompletionChoice(
                    message=AssistantMessage(content=result.text),
                    finish_reason=_finish_reason(result.finish_reason),
                )
            ],
            usage=_completion_usage(result),
        )

    async def open_completion_stream(
        self,
        caller: Caller,
        body: ChatCompletionRequest,
        headers: Mapping[str, str],
        cache: str | None = None,
    ) -> OpenedStream:
        """Admit a streamed completion and wait for its first event; refusals raise here."""
        return await self._open(caller, self._prepare_completion(caller, body, headers, cache))

    async def completion_events(
        self, caller: Caller, opened: OpenedStream, *, include_usage: bool
    ) -> AsyncGenerator[bytes, None]:
        """SSE in OpenAI's chunk format, ending with ``data: [DONE]``."""
        chunk_id = f"chatcmpl-{uuid.uuid4().hex}"
        model = opened.prepared.requested_model

        def chunk(delta: ChunkDelta, finish: str | None = None) -> bytes:
            return sse.encode_model(
                ChatCompletionChunk(
                    id=chunk_id,
                    created=opened.created,
                    model=model,
                    choices=[ChunkChoice(delta=delta, finish_reason=finish)],
                )
            )

        event = opened.first
        try:
            yield chunk(ChunkDelta(role="assistant", content=""))
            while event is not None:
                if isinstance(event, TextDelta):
                    yield chunk(ChunkDelta(content=event.text))
                else:
                    if opened.events.outcome is not None:
                        self._note_outcome(caller, opened.events.outcome)
                    model = event.result.model or model
                    yield chunk(ChunkDelta(), _finish_reason(event.result.finish_reason))
                    if include_usage:
                        yield sse.encode_model(
                            ChatCompletionChunk(
                                id=chunk_id,
                                created=opened.created,
                                model=model,
                                choices=[],
                                usage=_completion_usage(event.result),
                            )
                        )
                event = await next_event(opened)
            yield sse.DONE
        except Exception as exc:
            error = to_api_error(exc, owner=caller.sees_costs)
            yield sse.encode(json_text(error.to_json()))

    # -- steps

    def _prepare_completion(
        self,
        caller: Caller,
        body: ChatCompletionRequest,
        headers: Mapping[str, str],
        cache: str | None,
    ) -> Prepared:
        unsupported = body.unsupported()
        if unsupported is not None:
            raise bad_request(unsupported.code, unsupported.message, param=unsupported.param)
        metadata = body.metadata or {}
        lowered = {name.lower(): value for name, value in headers.items()}
        workflow = workflow_named(lowered.get(WORKFLOW_HEADER) or metadata.get("workflow"))
        conversation = [
            Message("system" if m.role == "developer" else m.role, m.text()) for m in body.messages
        ]
        prompt = self._prompt(caller, workflow)
        # metadata entries named like the prompt's variables fill them; other tags are ignored.
        declared = {v.name for v in prompt.variables}
        variables = {k: v for k, v in metadata.items() if k in declared}
        stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
        return self._prepare(
            caller,
            workflow,
            conversation,
            variables=variables,
            model=body.model,
            max_output_tokens=body.max_completion_tokens or body.max_tokens,
            temperature=body.temperature,
            stop=stop,
            headers=headers,
            cache=cache,
            prompt=prompt,
        )


def _finish_reason(reason: str | None) -> str:
    return reason if reason in ("stop", "length", "content_filter") else "stop"


def _completion_usage(result: ChatResult) -> CompletionUsage:
    usage = result.usage
    # OpenAI counts cached prompt tokens inside prompt_tokens.
    prompt_tokens = usage.input_tokens + usage.cached_input_tokens
    return CompletionUsage(
        prompt_tokens=prompt_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=prompt_tokens + usage.output_tokens,
        prompt_tokens_details=CompletionUsageDetails(cached_tokens=usage.cached_input_tokens),
    )
