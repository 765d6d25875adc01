"""What every endpoint does, framework-free: the web layers only translate HTTP.

Each method takes the authenticated ``Caller`` and a validated request body
(``app.schemas``) and returns a response body, or raises an exception that
``app.services.api.errors.to_api_error`` turns into the HTTP answer. Streams
are *opened* here (every refusal happens before the first byte) and encoded to
server-sent events by ``chat_events`` / ``completion_events``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

from app.core.catalog import DEFAULT_WORKFLOW, MODELS, PRODUCT_SLUG, WORKFLOWS
from app.core.catalog_types import WorkflowInfo
from app.core.flavour import Call
from app.models import CallOutcome
from app.schemas.chat import ChatBody, ChatDelta, ChatResponse, ChatStreamEnd, ChatUsage
from app.schemas.credits import CreditBalance, CreditGrantBody, CreditGrantResult
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
    ModelCard,
    ModelList,
)
from app.schemas.prompts import (
    ExperimentInfo,
    PromptInfo,
    PromptList,
    PublishedPrompt,
    PublishPromptBody,
)
from app.schemas.usage import UsageReport
from app.services.api import reports, sse
from app.services.api.auth import Caller, authenticate
from app.services.api.errors import ApiError, bad_request, forbidden, not_found, to_api_error
from app.services.api.headers import RateLimitState
from app.services.api.runtime import Runtime
from app.services.cache import CacheQuery, cache_mode_from_request
from app.services.llm.types import ChatRequest, ChatResult, Message, StreamEnd, TextDelta
from app.services.prompts import PromptVersion
from app.services.prompts.publishing import publish_rate_limited
from app.services.usage.budget import UsageWarningInfo
from app.services.usage.errors import RateLimited
from app.services.usage.money import usd_text
from app.services.usage.ratelimit import RateDecision, rate_key
from app.services.usage.service import CallContext, UsageOutcome, UsageStream

AUTO_MODEL = "auto"
WORKFLOW_HEADER = "x-workflow"
IDEMPOTENCY_HEADER = "idempotency-key"
_ANSWERED = (CallOutcome.ok, CallOutcome.cached)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A chat request resolved against the catalog: what the usage layer is given."""

    workflow: WorkflowInfo
    prompt: PromptVersion
    request: ChatRequest
    context: CallContext
    cache_query: CacheQuery
    requested_model: str


@dataclass(slots=True)
class OpenedStream:
    """A stream that passed every check and produced its first event (or ended)."""

    prepared: Prepared
    events: UsageStream
    first: TextDelta | StreamEnd | None
    created: int


class ApiService:
    """The HTTP API's behaviour, shared by the FastAPI and Flask apps."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # -- who is calling ------------------------------------------------------------------

    async def authenticate(self, authorization: str | None, headers: Mapping[str, str]) -> Caller:
        """The caller behind the API key (401/403 otherwise), with its response headers."""
        caller = await authenticate(self.runtime.accounts, authorization, headers)
        # Where the caller's bucket stands; model calls update it as they count.
        entitlement = caller.entitlement
        decision = await self.runtime.limiter.peek(
            rate_key(caller.workspace_id, caller.user_id),
            per_minute=entitlement.requests_per_minute,
            burst=entitlement.requests_per_minute,  # the usage layer's default burst
        )
        _note_rate(caller, decision)
        status = await self.runtime.usage.budget_status(caller.workspace_id, caller.entitlement)
        caller.meta.warnings.extend(reports.standing_warnings(caller, status))
        return caller

    # -- models --------------------------------------------------------------------------

    def models(self, caller: Caller) -> ModelList:
        """``auto`` and the catalog models the caller's tier allows."""
        cards = [ModelCard(id=AUTO_MODEL, owned_by=PRODUCT_SLUG)]
        cards += [
            ModelCard(id=model, owned_by=MODELS[model].routes[0][0] if MODELS[model].routes else "")
            for model in caller.entitlement.allowed_models
            if model in MODELS
        ]
        return ModelList(data=cards)

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

    async def chat_events(self, caller: Caller, opened: OpenedStream) -> AsyncIterator[bytes]:
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
                event = await _next_event(opened)
        except Exception as exc:
            # Headers are gone: the failure becomes an explicit event, then the stream ends.
            error = to_api_error(exc, owner=caller.is_owner)
            yield sse.encode(_json(error.to_json()), event="error")

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
    ) -> AsyncIterator[bytes]:
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
                event = await _next_event(opened)
            yield sse.DONE
        except Exception as exc:
            error = to_api_error(exc, owner=caller.is_owner)
            yield sse.encode(_json(error.to_json()))

    # -- GET /v1/usage, /v1/credits, /v1/prompts -----------------------------------------

    async def usage(self, caller: Caller, user: str | None) -> UsageReport:
        """This period's usage for the caller, or (owners) any user of the workspace."""
        user_id = await reports.resolve_user(self.runtime.db, caller, user)
        status = await self.runtime.usage.budget_status(caller.workspace_id, caller.entitlement)
        return await reports.usage_report(self.runtime.db, caller, user_id, status)

    async def credits(self, caller: Caller) -> CreditBalance:
        """The workspace's prepaid credit balance."""
        balance = await self.runtime.usage.credit_balance(caller.workspace_id)
        return reports.credit_balance(caller, balance)

    async def grant_credits(self, caller: Caller, body: CreditGrantBody) -> CreditGrantResult:
        """Add credits to the caller's workspace (owners only)."""
        caller.require_owner("grant credits")
        grant_id = await self.runtime.usage.grant_credits(
            caller.workspace_id,
            body.amount_usd,
            reason=body.reason,
            expires_at=body.expires_at,
            reference=body.reference,
        )
        balance = await self.runtime.usage.credit_balance(caller.workspace_id)
        return CreditGrantResult(
            grant_id=str(grant_id),
            amount_usd=_usd(body.amount_usd),
            balance=reports.credit_balance(caller, balance),
        )

    def prompts(self, caller: Caller) -> PromptList:
        """Every published prompt: versions, experiment, and the version serving the caller."""
        store = self.runtime.prompts
        experiments = store.experiments()
        data = []
        for name, versions in sorted(store.published().items()):
            experiment = experiments.get(name)
            data.append(
                PromptInfo(
                    name=name,
                    versions=list(versions),
                    latest=versions[-1],
                    serving=store.resolve(name, _assignment_key(caller)).ref,
                    experiment=ExperimentInfo(
                        name=experiment.name,
                        weights={f"v{v}": int(w) for v, w in experiment.weights},
                    )
                    if experiment
                    else None,
                    workflows=[w.name for w in WORKFLOWS.values() if w.prompt == name],
                )
            )
        return PromptList(data=data)

    async def publish_prompt(self, caller: Caller, body: PublishPromptBody) -> PublishedPrompt:
        """Publish a new version of an existing prompt (owners only, rate-limited)."""
        caller.require_owner("publish prompts")
        store = self.runtime.prompts
        if body.name not in store.published():
            raise not_found(
                "unknown_prompt", f"There is no prompt named {body.name}.", param="name"
            )
        version = await publish_rate_limited(
            store,
            self.runtime.limiter,
            workspace_id=caller.workspace_id,
            name=body.name,
            text=body.text,
            per_minute=self.runtime.settings.prompt_publishes_per_minute,
        )
        return PublishedPrompt(
            name=version.name, version=version.version, ref=version.ref, sha256=version.sha256
        )

    # -- steps -------------------------------------------------------------------------

    def _prepare_chat(
        self, caller: Caller, body: ChatBody, headers: Mapping[str, str], cache: str | None
    ) -> Prepared:
        workflow = _workflow(body.workflow)
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
        workflow = _workflow(lowered.get(WORKFLOW_HEADER) or metadata.get("workflow"))
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

    def _prepare(
        self,
        caller: Caller,
        workflow: WorkflowInfo,
        conversation: list[Message],
        *,
        variables: Mapping[str, str | int | float],
        model: str | None,
        max_output_tokens: int | None,
        temperature: float | None,
        stop: tuple[str, ...],
        headers: Mapping[str, str],
        cache: str | None,
        prompt: PromptVersion | None = None,
    ) -> Prepared:
        prompt = prompt or self._prompt(caller, workflow)
        chosen = _model(caller, model, prompt)
        instructions = prompt.render(variables)
        if conversation:
            messages = (Message("system", instructions), *conversation)
        else:
            # Variables alone: the rendered prompt is the whole request.
            messages = (Message("user", instructions),)
        limit = workflow.max_output_tokens
        wanted = max_output_tokens or prompt.hints.max_output_tokens or limit
        request = ChatRequest(
            messages=messages,
            max_output_tokens=min(wanted, limit),
            temperature=temperature if temperature is not None else prompt.hints.temperature,
            model=chosen,
            stop=stop,
        )
        lowered = {name.lower(): value for name, value in headers.items()}
        context = CallContext(
            workspace_id=caller.workspace_id,
            entitlement=caller.entitlement,
            workflow=workflow.name,
            user_id=caller.user_id,
            idempotency_key=_idempotency_key(lowered.get(IDEMPOTENCY_HEADER)),
            prompt_version=prompt.ref,
        )
        try:
            mode = cache_mode_from_request(headers, cache)
        except ValueError as exc:
            raise ApiError(400, "bad_cache_parameter", str(exc), param="cache") from None
        query = CacheQuery.from_request(
            request,
            workspace_id=str(caller.workspace_id),
            workflow=workflow,
            prompt_version=prompt.ref,
            mode=mode,
        )
        return Prepared(workflow, prompt, request, context, query, model or AUTO_MODEL)

    def _prompt(self, caller: Caller, workflow: WorkflowInfo) -> PromptVersion:
        return self.runtime.prompts.resolve(workflow.prompt, _assignment_key(caller))

    async def _run(self, caller: Caller, prepared: Prepared) -> UsageOutcome:
        usage = self.runtime.usage
        outcome = await _rate_noted(
            caller,
            lambda: usage.run(prepared.context, prepared.request, cache_query=prepared.cache_query),
        )
        self._note_outcome(caller, outcome)
        return outcome

    async def _open(self, caller: Caller, prepared: Prepared) -> OpenedStream:
        usage = self.runtime.usage
        events = await _rate_noted(
            caller,
            lambda: usage.stream(
                prepared.context, prepared.request, cache_query=prepared.cache_query
            ),
        )
        opened = OpenedStream(prepared, events, None, int(time.time()))
        try:
            # The first event before any header: a provider failing now is a JSON error.
            opened.first = await events.__anext__()
        except StopAsyncIteration:
            opened.first = None
        except BaseException:
            await events.aclose()
            raise
        return opened

    def _note_outcome(self, caller: Caller, outcome: UsageOutcome) -> None:
        caller.meta.warnings.extend(
            warning_text(w, owner=caller.is_owner) for w in outcome.warnings
        )
        caller.meta.extra["X-Usage-Event-Id"] = str(outcome.event_id)
        if outcome.replayed:
            caller.meta.extra["Idempotent-Replayed"] = "true"

    @staticmethod
    def _chat_usage(
        caller: Caller,
        workflow: WorkflowInfo,
        outcome: UsageOutcome | None,
        result: ChatResult | None = None,
    ) -> ChatUsage:
        result = result or (outcome.result if outcome else None)
        usage = result.usage if result else None
        answered = outcome is not None and outcome.outcome in _ANSWERED
        return ChatUsage(
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            cached_input_tokens=usage.cached_input_tokens if usage else 0,
            unit=workflow.unit,
            units=1 if answered else 0,
            cost_usd=_usd(outcome.settled_usd) if outcome and caller.is_owner else None,
        )


# -- helpers -------------------------------------------------------------------------------


async def _next_event(opened: OpenedStream) -> TextDelta | StreamEnd | None:
    """The stream's next event, or None once it is exhausted."""
    try:
        return await opened.events.__anext__()
    except StopAsyncIteration:
        return None


def _note_rate(caller: Caller, decision: RateDecision) -> None:
    caller.meta.rate = RateLimitState(
        limit=caller.entitlement.requests_per_minute,
        remaining=decision.remaining,
        reset_seconds=decision.reset_after,
    )


class _RateReporting(Protocol):
    @property
    def rate(self) -> RateDecision | None: ...


Admitted = TypeVar("Admitted", bound=_RateReporting)


async def _rate_noted(caller: Caller, call: Call[Admitted]) -> Admitted:
    """Run a metered call, putting the caller's rate-limit state on the response either way."""
    try:
        admitted = await call()
    except RateLimited as exc:
        _note_refusal(caller, exc)
        raise
    if admitted.rate is not None:
        _note_rate(caller, admitted.rate)
    return admitted


def _note_refusal(caller: Caller, refused: RateLimited) -> None:
    caller.meta.rate = RateLimitState(
        limit=refused.limit_per_minute, remaining=0, reset_seconds=refused.reset_after
    )


def _workflow(name: str | None) -> WorkflowInfo:
    workflow = WORKFLOWS.get(name or DEFAULT_WORKFLOW)
    if workflow is None:
        known = ", ".join(sorted(WORKFLOWS))
        raise not_found(
            "unknown_workflow", f"Unknown workflow {name!r}; known: {known}.", param="workflow"
        )
    return workflow


def _model(caller: Caller, requested: str | None, prompt: PromptVersion) -> str | None:
    """The catalog model to use, or None for routing's cost-optimised choice."""
    allowed = caller.entitlement.allowed_models
    if requested is None or requested == AUTO_MODEL:
        hint = prompt.hints.model
        # The prompt's hint is a suggestion: routing decides when the tier cannot use it.
        return hint if hint in allowed else None
    if requested not in MODELS:
        raise not_found("unknown_model", f"There is no model {requested!r}.", param="model")
    if requested not in allowed:
        raise forbidden(
            "model_not_allowed",
            f"Your plan ({caller.tier}) does not include {requested}; "
            "GET /v1/models lists the models it does.",
        )
    return requested


def _assignment_key(caller: Caller) -> str:
    # Prompt experiments assign versions per user (per workspace for a key with no user).
    return str(caller.user_id or caller.workspace_id)


def _idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 255:
        raise ApiError(
            400,
            "bad_idempotency_key",
            "Idempotency-Key must be 1 to 255 characters.",
            param="Idempotency-Key",
        )
    return value


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


def _usd(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _json(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))


def warning_text(warning: UsageWarningInfo, *, owner: bool) -> str:
    """A soft warning for a header or body; dollar amounts only for owners."""
    text = f"{warning.kind}; threshold={warning.threshold}"
    if owner:
        text += f"; used={usd_text(warning.used_micros)}; limit={usd_text(warning.limit_micros)}"
    return text
