"""``POST /v1/chat``: a workflow run, whole or streamed as server-sent events."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping

from app.core.catalog_types import WorkflowInfo
from app.models import CallOutcome
from app.schemas.chat import ChatBody, ChatDelta, ChatResponse, ChatStreamEnd, ChatUsage
from app.services.api import sse
from app.services.api.auth import Caller
from app.services.api.calls import (
    ANSWERED,
    MeteredCalls,
    OpenedStream,
    Prepared,
    json_text,
    next_event,
    usd,
    workflow_named,
)
from app.services.api.errors import to_api_error
from app.services.llm.types import ChatResult, Message, StreamEnd, TextDelta
from app.services.usage import UsageOutcome


class ChatApi(MeteredCalls):
    """The product's own chat endpoint."""

    # -- POST /v1/chat -------------------------------------------------------------------

    async def chat(
        self, caller: Caller, body: ChatBody, headers: Mapping[str, str], cache: str | None = None
    ) -> ChatResponse:
        """Run one workflow call to completion."""
        prepared = self._prepare_chat(caller, body, headers, cache)
        outcome = await self._run(caller, prepared)
        result = outcome.result
        return ChatResponse(
            id=str(outcome.event_id),
            workflow=prepared.workflow.name,
            model=result.model,
            provider=result.provider,
            prompt_version=prepared.prompt.ref,
            text=result.text,
            finish_reason=result.finish_reason,
            cached=outcome.outcome is CallOutcome.cached,
            usage=self._chat_usage(caller, prepared.workflow, outcome),
            warnings=list(dict.fromkeys(caller.meta.warnings)),
        )

    async def open_chat_stream(
        self, caller: Caller, body: ChatBody, headers: Mapping[str, str], cache: str | None = None
    ) -> OpenedStream:
        """Admit a streamed chat and wait for its first event; refusals raise here."""
        return await self._open(caller, self._prepare_chat(caller, body, headers, cache))

    async def chat_events(self, caller: Caller, opened: OpenedStream) -> AsyncGenerator[bytes, None]:
        """SSE for ``POST /v1/chat``: ``delta`` events, then ``end`` or ``error``."""
        event = opened.first
        try:
            # Read to the very end, past the StreamEnd: the usage layer finishes its work
            # (storing the answer in the cache) only when the stream is exhausted.
            while event is not None:
                if isinstance(event, TextDelta):
                    yield sse.encode_model(ChatDelta(text=event.text), event="delta")
                else:
                    yield sse.encode_model(self._stream_end(caller, opened, event), event="end")
                event = await next_event(opened)
        except Exception as exc:
            # Headers are gone: the failure becomes an explicit event, then the stream ends.
            error = to_api_error(exc, owner=caller.sees_costs)
            yield sse.encode(json_text(error.to_json()), event="error")

    def _stream_end(self, caller: Caller, opened: OpenedStream, end: StreamEnd) -> ChatStreamEnd:
        """The ``end`` event: the settled call's id, model, usage and warnings."""
        outcome = opened.events.outcome
        if outcome is not None:
            self._note_outcome(caller, outcome)
        prepared, result = opened.prepared, end.result
        return ChatStreamEnd(
            id=str(outcome.event_id) if outcome else "",
            workflow=prepared.workflow.name,
            model=result.model,
            provider=result.provider,
            prompt_version=prepared.prompt.ref,
            finish_reason=result.finish_reason,
            cached=outcome is not None and outcome.outcome is CallOutcome.cached,
            usage=self._chat_usage(caller, prepared.workflow, outcome, result),
            warnings=list(dict.fromkeys(caller.meta.warnings)),
        )

    # -- steps

    def _prepare_chat(
        self, caller: Caller, body: ChatBody, headers: Mapping[str, str], cache: str | None
    ) -> Prepared:
        workflow = workflow_named(body.workflow)
        conversation = [Message(m.role, m.content) for m in body.messages or []]
        if body.input is not None:
            conversation.append(Message("user", body.input))
        return self._prepare(
            caller,
            workflow,
            conversation,
            variables=body.variables or {},
            model=body.model,
            max_output_tokens=body.max_output_tokens,
            temperature=body.temperature,
            stop=(),
            headers=headers,
            cache=cache,
        )

    @staticmethod
    def _chat_usage(
        caller: Caller,
        workflow: WorkflowInfo,
        outcome: UsageOutcome | None,
        result: ChatResult | None = None,
    ) -> ChatUsage:
        result = result or (outcome.result if outcome else None)
        usage = result.usage if result else None
        answered = outcome is not None and outcome.outcome in ANSWERED
        return ChatUsage(
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            cached_input_tokens=usage.cached_input_tokens if usage else 0,
            unit=workflow.unit,
            units=1 if answered else 0,
            cost_usd=usd(outcome.settled_usd) if outcome and caller.sees_costs else None,
        )
