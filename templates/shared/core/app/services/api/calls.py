"""The steps every metered endpoint shares: resolve a request against the catalog,
run or open it through the usage layer, and note usage and rate-limit state on the
response. ``ApiService`` (``service.py``) is the facade the web layers call."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

from app.core.catalog import DEFAULT_WORKFLOW, MODELS, WORKFLOWS
from app.core.catalog_types import WorkflowInfo
from app.core.flavour import Call
from app.models import CallOutcome
from app.services.api.auth import Caller
from app.services.api.errors import ApiError, forbidden, not_found
from app.services.api.headers import RateLimitState
from app.services.api.runtime import Runtime
from app.services.cache import CacheQuery, cache_mode_from_request
from app.services.llm.types import ChatRequest, Message, StreamEnd, TextDelta
from app.services.prompts import PromptVersion
from app.services.usage import CallContext, UsageOutcome, UsageStream
from app.services.usage.budget import UsageWarningInfo
from app.services.usage.errors import RateLimited
from app.services.usage.money import usd_text
from app.services.usage.ratelimit import RateDecision

AUTO_MODEL = "auto"
WORKFLOW_HEADER = "x-workflow"
IDEMPOTENCY_HEADER = "idempotency-key"
ANSWERED = (CallOutcome.ok, CallOutcome.cached)


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


class MeteredCalls:
    """The runtime, and the steps from a validated body to a metered call."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

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
        caller.require("call_models")
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
        return self.runtime.prompts.resolve(workflow.prompt, assignment_key(caller))

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
            warning_text(w, owner=caller.sees_costs) for w in outcome.warnings
        )
        caller.meta.extra["X-Usage-Event-Id"] = str(outcome.event_id)
        if outcome.replayed:
            caller.meta.extra["Idempotent-Replayed"] = "true"


# -- helpers -------------------------------------------------------------------------------


async def next_event(opened: OpenedStream) -> TextDelta | StreamEnd | None:
    """The stream's next event, or None once it is exhausted."""
    try:
        return await opened.events.__anext__()
    except StopAsyncIteration:
        return None


def note_rate(caller: Caller, decision: RateDecision) -> None:
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
        note_rate(caller, admitted.rate)
    return admitted


def _note_refusal(caller: Caller, refused: RateLimited) -> None:
    caller.meta.rate = RateLimitState(
        limit=refused.limit_per_minute, remaining=0, reset_seconds=refused.reset_after
    )


def workflow_named(name: str | None) -> WorkflowInfo:
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


def assignment_key(caller: Caller) -> str:
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


def usd(value: Decimal) -> str:
    return f"{value.normalize():f}"


def json_text(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))


def warning_text(warning: UsageWarningInfo, *, owner: bool) -> str:
    """A soft warning for a header or body; dollar amounts only for owners."""
    text = f"{warning.kind}; threshold={warning.threshold}"
    if owner:
        text += f"; used={usd_text(warning.used_micros)}; limit={usd_text(warning.limit_micros)}"
    return text
