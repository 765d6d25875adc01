"""The LLM gateway: every model call in this app passes through here.

``LLMGateway.chat`` and ``LLMGateway.stream`` route a request to the cheapest
model that fits (or the spec's order, with ``routing.strategy: cascade``), then
call that model's providers in cascade order, each provider's keys in turn:

- 429, 5xx, timeouts, connection errors: next key, then next provider; a key that
  got 429 rests for the provider's Retry-After (or LLM_RATE_LIMIT_COOLDOWN_SECONDS);
- 401/403: the key is disabled for the life of the process (logged once, by index);
- out of money or quota: the provider's other keys are skipped (they share the
  account) and the provider rests for LLM_QUOTA_BACKOFF_SECONDS;
- a 400 caused by the request itself is the caller's error (``RequestRejected``);
- a circuit breaker per provider skips providers that keep failing.

Every attempt, failed or not, comes back as an ``Attempt`` (on the result, or on
the raised ``GatewayError``) so the ledger can record retries and their cost.
Streams fail over only before the first text reaches the consumer. With no
provider key at all, the built-in ``local`` provider answers (``local=True``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.core.catalog_types import CircuitBreakerPolicy, ModelInfo, TierInfo, WorkflowInfo
from app.core.flavour import sleep
from app.services.llm.adapters import adapter_for
from app.services.llm.adapters.base import (
    Completion,
    ErrorVerdict,
    ProtocolViolation,
    StreamParser,
    WireAdapter,
    WireRequest,
)
from app.services.llm.breaker import CircuitBreaker
from app.services.llm.errors import AllProvidersFailed, RequestRejected, StreamInterrupted
from app.services.llm.http import TransportError, TransportTimeout
from app.services.llm.keys import KeyRing
from app.services.llm.local import PROVIDER as LOCAL
from app.services.llm.local import STREAM_DELAY_SECONDS as LOCAL_STREAM_DELAY_SECONDS
from app.services.llm.local import local_answer, local_chunks, local_usage
from app.services.llm.pricing import cost_usd, estimate_tokens
from app.services.llm.routing import STRATEGIES, Route, plan_route
from app.services.llm.settings import GatewaySettings, ProviderSettings
from app.services.llm.sse import SseDecoder
from app.services.llm.transport import HttpTransport
from app.services.llm.types import (
    Attempt,
    AttemptOutcome,
    ChatRequest,
    ChatResult,
    ChatStream,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
    UsageSource,
)

logger = logging.getLogger(__name__)

_ZERO = Decimal(0)
# Outcomes after which this provider's other keys are pointless for this request.
_NEXT_PROVIDER = {AttemptOutcome.quota_exhausted, AttemptOutcome.route_error}
# Outcomes that say the provider itself is unhealthy (they feed its circuit breaker).
_UNHEALTHY = {
    AttemptOutcome.server_error,
    AttemptOutcome.timeout,
    AttemptOutcome.connection_error,
    AttemptOutcome.stream_cut,
}


@dataclass(slots=True)
class _Provider:
    name: str
    settings: ProviderSettings
    adapter: WireAdapter
    keys: KeyRing
    breaker: CircuitBreaker


@dataclass(slots=True)
class _InFlight:
    """The streamed call under way, so a consumer that leaves can still be billed right."""

    provider: _Provider
    model: ModelInfo
    key_index: int
    started: float
    parser: StreamParser | None = None
    parts: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Slot:
    """One call the cascade offers: a model, at a provider, with one of its keys."""

    model: ModelInfo
    provider: _Provider
    remote_model: str
    key_index: int
    max_tokens: int

    def build(self, request: ChatRequest, *, stream: bool) -> WireRequest:
        return self.provider.adapter.build(
            base_url=self.provider.settings.base_url,
            key=self.provider.settings.keys[self.key_index],
            model=self.remote_model,
            request=request,
            max_output_tokens=self.max_tokens,
            stream=stream,
        )


class _Cascade:
    """Walks the route's models x providers x keys in order, for chat and stream alike.

    Providers that cannot be called now (no usable key, circuit open) are recorded
    in ``attempts`` as skipped, once per request; the caller records its own calls
    and says ``leave_provider()`` when the provider's other keys are pointless.
    """

    def __init__(
        self,
        gateway: LLMGateway,
        targets: list[tuple[ModelInfo, _Provider, str]],
        max_output_tokens: int,
    ) -> None:
        self.attempts: list[Attempt] = []
        self._gateway = gateway
        self._targets = targets
        self._max_output_tokens = max_output_tokens
        self._leave = False

    def leave_provider(self) -> None:
        self._leave = True

    def __iter__(self) -> Iterator[_Slot]:
        passed_over: set[str] = set()
        for model, provider, remote_model in self._targets:
            if provider.name in passed_over:
                continue
            skipped = self._gateway._unavailable(provider, model)
            if skipped is not None:
                self.attempts.append(skipped)
                passed_over.add(provider.name)
                continue
            max_tokens = min(self._max_output_tokens, model.max_output_tokens)
            for key_index in provider.keys.usable():
                if not provider.breaker.allow():
                    self.attempts.append(
                        self._gateway._skipped(
                            provider, model, AttemptOutcome.circuit_open, "circuit open"
                        )
                    )
                    passed_over.add(provider.name)
                    break
                yield _Slot(model, provider, remote_model, key_index, max_tokens)
                if self._leave:
                    self._leave = False
                    break


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class LLMGateway:
    """The one boundary for model calls (implements ``ChatGateway``).

    Build it with ``create_gateway()`` in the app; tests pass their own settings,
    catalog pieces, transport and clock. One instance per process: it owns the
    HTTP connection pool and the keys' and providers' health. Close it with
    ``aclose()`` (or use it as a context manager).
    """

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        models: Mapping[str, ModelInfo],
        providers: Sequence[str],
        strategy: str,
        circuit_breaker: CircuitBreakerPolicy,
        transport: HttpTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown routing strategy {strategy!r}; expected one of {STRATEGIES}")
        self._settings = settings
        self._models = dict(models)
        self._strategy = strategy
        self._providers: dict[str, _Provider] = {}
        for name in providers:  # cascade order
            provider_settings = settings.provider(name)
            if name in settings.excluded or not provider_settings.keys:
                continue
            self._providers[name] = _Provider(
                name=name,
                settings=provider_settings,
                adapter=adapter_for(name),
                keys=KeyRing(name, len(provider_settings.keys), clock),
                breaker=CircuitBreaker(circuit_breaker, clock),
            )
        self.local = not self._providers
        self._transport = transport or HttpTransport(
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.timeout_seconds,
            max_connections=settings.max_connections,
        )
        if settings.excluded:
            logger.info("LLM providers excluded: %s", ", ".join(sorted(settings.excluded)))
        if self.local:
            logger.warning(
                "no LLM provider has an API key: the offline 'local' demo provider answers "
                "every call (set e.g. OPENAI_API_KEY or OPENAI_API_KEYS to use real models)"
            )
        else:
            logger.info(
                "LLM providers in cascade order: %s",
                ", ".join(f"{p.name} ({p.keys.size} keys)" for p in self._providers.values()),
            )

    @property
    def providers(self) -> tuple[str, ...]:
        """The providers in use (configured, not excluded), in cascade order."""
        return tuple(self._providers)

    def status(self) -> dict[str, dict[str, object]]:
        """Each provider's health, for an operator endpoint (never shows keys)."""
        return {
            p.name: {
                "keys": p.keys.size,
                "usable_keys": len(p.keys.usable()),
                "circuit": p.breaker.state.value,
                "backing_off": p.keys.backing_off,
            }
            for p in self._providers.values()
        }

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._transport.aclose()

    async def __aenter__(self) -> LLMGateway:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # Routing

    def route(self, request: ChatRequest, *, workflow: WorkflowInfo, tier: TierInfo) -> Route:
        """The models that may answer ``request``, in the order they will be tried."""
        return plan_route(
            request,
            workflow=workflow,
            tier=tier,
            models=self._models,
            strategy=self._strategy,
            servable=self._servable,
        )

    def _servable(self, model: ModelInfo) -> bool:
        return self.local or any(name in self._providers for name, _ in model.routes)

    def _cascade(self, route: Route) -> _Cascade:
        """The calls to try for ``route``, in order; chat and stream both walk it."""
        targets = [
            (model, provider, remote_model)
            for model in route.models
            for name, remote_model in model.routes
            if (provider := self._providers.get(name)) is not None
        ]
        return _Cascade(self, targets, route.max_output_tokens)

    def _unavailable(self, provider: _Provider, model: ModelInfo) -> Attempt | None:
        """A skipped attempt when ``provider`` cannot be called now, else None."""
        if not provider.keys.usable():
            outcome = AttemptOutcome(provider.keys.unavailable_reason())
            return self._skipped(provider, model, outcome, f"no usable key ({outcome.value})")
        return None

    @staticmethod
    def _skipped(
        provider: _Provider, model: ModelInfo, outcome: AttemptOutcome, why: str
    ) -> Attempt:
        logger.debug("LLM provider %s skipped for %s: %s", provider.name, model.id, why)
        return Attempt(
            provider=provider.name,
            model=model.id,
            key_index=None,
            outcome=outcome,
            status=None,
            latency_ms=0.0,
            usage=Usage(source=UsageSource.reported),
            cost_usd=_ZERO,  # nothing was called, so nothing was spent
            error=why,
            skipped=True,
        )

    # Non-streamed calls

    async def chat(
        self, request: ChatRequest, *, workflow: WorkflowInfo, tier: TierInfo
    ) -> ChatResult:
        """Answer ``request`` with the first model and provider that can.

        Raises ``NoRouteError`` (nothing fits), ``RequestRejected`` (a provider
        refused the request itself) or ``AllProvidersFailed``; each carries the
        attempts made and the routing decision.
        """
        route = self.route(request, workflow=workflow, tier=tier)
        if self.local:
            return self._answer_locally(request, route)
        cascade = self._cascade(route)
        attempts = cascade.attempts
        for slot in cascade:
            attempt, completion = await self._call(slot, request, route)
            attempts.append(attempt)
            if completion is not None:
                return self._finish(
                    completion.text, completion.finish_reason, attempt, attempts, route
                )
            if attempt.outcome is AttemptOutcome.bad_request:
                raise self._rejected(attempt, attempts, route)
            if attempt.outcome in _NEXT_PROVIDER:
                cascade.leave_provider()
        raise self._all_failed(attempts, route)

    async def _call(
        self, slot: _Slot, request: ChatRequest, route: Route
    ) -> tuple[Attempt, Completion | None]:
        provider, model, key_index = slot.provider, slot.model, slot.key_index
        wire = slot.build(request, stream=False)
        started = time.perf_counter()
        try:
            response = await self._transport.post(wire.url, wire.body, wire.headers)
        except TransportError as exc:
            return self._transport_failure(provider, model, key_index, started, exc), None
        except BaseException:
            provider.breaker.release()  # cancelled: no verdict on the provider's health
            raise
        if response.status == 200:
            try:
                completion = provider.adapter.parse(response.body)
            except ProtocolViolation as exc:
                provider.breaker.record_failure()
                attempt = self._attempt(
                    provider,
                    model,
                    key_index,
                    AttemptOutcome.server_error,
                    200,
                    started,
                    usage=Usage(),
                    error=str(exc),
                )
                return attempt, None
            provider.breaker.record_success()
            usage = completion.usage or Usage(
                input_tokens=route.input_tokens,
                output_tokens=estimate_tokens(completion.text),
                source=UsageSource.estimated,  # the provider sent no usage
            )
            attempt = self._attempt(
                provider, model, key_index, AttemptOutcome.ok, 200, started, usage=usage
            )
            return attempt, completion
        verdict = provider.adapter.classify(response.status, response.headers, response.body)
        return self._rejection(provider, model, key_index, response.status, started, verdict), None

    # Streamed calls

    def stream(self, request: ChatRequest, *, workflow: WorkflowInfo, tier: TierInfo) -> ChatStream:
        """Stream the answer to ``request``: ``TextDelta`` events, then one ``StreamEnd``.

        Routing happens now (``NoRouteError`` is raised here); providers are called
        when iteration starts. Close the stream to stop early: the upstream request
        is closed at once and ``ChatStream.result`` holds the partial usage.
        """
        route = self.route(request, workflow=workflow, tier=tier)
        if self.local:
            return ChatStream(lambda out: self._stream_locally(out, request, route))
        return ChatStream(lambda out: self._stream_events(out, request, route))

    async def _stream_events(
        self, out: ChatStream, request: ChatRequest, route: Route
    ) -> AsyncGenerator[StreamEvent, None]:
        cascade = self._cascade(route)
        attempts = cascade.attempts
        inflight: _InFlight | None = None
        try:
            for slot in cascade:
                provider, model, key_index = slot.provider, slot.model, slot.key_index
                inflight = _InFlight(provider, model, key_index, time.perf_counter())
                wire = slot.build(request, stream=True)
                try:
                    upstream = await self._transport.open_stream(
                        wire.url, wire.body, wire.headers
                    )
                except TransportError as exc:
                    attempts.append(
                        self._transport_failure(
                            provider, model, key_index, inflight.started, exc
                        )
                    )
                    inflight = None
                    continue

                if upstream.status != 200:
                    try:
                        body = await upstream.read()
                    except TransportError:
                        body = b""
                    finally:
                        await upstream.aclose()
                    verdict = provider.adapter.classify(upstream.status, upstream.headers, body)
                    attempt = self._rejection(
                        provider, model, key_index, upstream.status, inflight.started, verdict
                    )
                    attempts.append(attempt)
                    inflight = None
                    if attempt.outcome is AttemptOutcome.bad_request:
                        raise self._rejected(attempt, attempts, route)
                    if attempt.outcome in _NEXT_PROVIDER:
                        cascade.leave_provider()
                    continue

                parser = inflight.parser = provider.adapter.stream_parser()
                decoder = SseDecoder()
                outcome = AttemptOutcome.ok
                error: str | None = None
                try:
                    while chunk := await upstream.next_chunk():
                        for event in decoder.feed(chunk):
                            delta = parser.feed(event)
                            if delta:
                                inflight.parts.append(delta)
                                yield TextDelta(delta)
                        if parser.error:
                            break
                except TransportError as exc:
                    outcome = (
                        AttemptOutcome.timeout
                        if isinstance(exc, TransportTimeout)
                        else AttemptOutcome.stream_cut
                    )
                    error = str(exc)
                except ProtocolViolation as exc:
                    outcome, error = AttemptOutcome.stream_cut, str(exc)
                finally:
                    # Runs first on every exit, including a consumer that went away:
                    # the upstream request is closed at once.
                    await upstream.aclose()
                if outcome is AttemptOutcome.ok and parser.error:
                    outcome, error = AttemptOutcome.stream_cut, parser.error
                elif outcome is AttemptOutcome.ok and not (parser.done or parser.finish_reason):
                    outcome = AttemptOutcome.stream_cut
                    error = "the upstream ended the stream before its end marker"

                text = "".join(inflight.parts)
                usage = parser.usage(route.input_tokens, text)
                attempt = self._attempt(
                    provider,
                    model,
                    key_index,
                    outcome,
                    200,
                    inflight.started,
                    usage=usage,
                    error=error,
                )
                attempts.append(attempt)
                inflight = None
                if outcome is AttemptOutcome.ok:
                    provider.breaker.record_success()
                    out.result = self._finish(
                        text, parser.finish_reason, attempt, attempts, route
                    )
                    yield StreamEnd(out.result)
                    return
                provider.breaker.record_failure()
                logger.warning(
                    "LLM stream from %s (%s, key #%d) broke: %s",
                    provider.name,
                    model.id,
                    key_index,
                    error,
                )
                if text:
                    # Text already reached the consumer: no failover, an explicit error.
                    out.result = self._result(text, "error", attempt, attempts, route)
                    raise StreamInterrupted(
                        f"the {provider.name} stream broke mid-answer: {error}",
                        attempts=tuple(attempts),
                        routing=route.decision,
                    )
                # Nothing was delivered yet: fail over as if the call had failed.
            raise self._all_failed(attempts, route)
        except Exception:
            # Our own errors (GatewayError) and bugs propagate as they are.
            if inflight is not None:
                inflight.provider.breaker.release()
            raise
        except BaseException:
            # The consumer stopped early (aclose, a cancelled task, a client gone):
            # settle what we know, with estimates where the provider sent nothing.
            if out.result is None:
                out.result = self._settle_cancelled(inflight, attempts, route)
            raise

    def _settle_cancelled(
        self, inflight: _InFlight | None, attempts: list[Attempt], route: Route
    ) -> ChatResult:
        if inflight is None:  # between calls: nothing in flight
            usage, text = Usage(source=UsageSource.reported), ""
            model_id = route.models[0].id
            provider_name = attempts[-1].provider if attempts else ""
            cost: Decimal | None = _ZERO
        else:
            inflight.provider.breaker.release()
            text = "".join(inflight.parts)
            if inflight.parser is not None:
                usage = inflight.parser.usage(route.input_tokens, text)
            else:  # the request may have reached the provider: count its input
                usage = Usage(input_tokens=route.input_tokens, source=UsageSource.estimated)
            attempt = self._attempt(
                inflight.provider,
                inflight.model,
                inflight.key_index,
                AttemptOutcome.cancelled,
                200 if inflight.parser is not None else None,
                inflight.started,
                usage=usage,
                error="the consumer stopped reading",
            )
            attempts.append(attempt)
            model_id, provider_name, cost = (
                inflight.model.id,
                inflight.provider.name,
                attempt.cost_usd,
            )
        logger.info(
            "LLM stream cancelled by the consumer after %d chars (%s, %s): usage %s/%s tokens (%s)",
            len(text),
            provider_name,
            model_id,
            usage.input_tokens,
            usage.output_tokens,
            usage.source.value,
        )
        return ChatResult(
            text=text,
            model=model_id,
            provider=provider_name,
            usage=usage,
            cost_usd=cost,
            attempts=tuple(attempts),
            routing=route.decision,
            finish_reason="cancelled",
        )

    # The local provider

    def _answer_locally(self, request: ChatRequest, route: Route) -> ChatResult:
        started = time.perf_counter()
        model = route.models[0]
        text = local_answer(
            request,
            model=model.id,
            max_output_tokens=min(route.max_output_tokens, model.max_output_tokens),
        )
        return self._local_result(request, model, text, started, route, "stop")

    def _local_result(
        self,
        request: ChatRequest,
        model: ModelInfo,
        text: str,
        started: float,
        route: Route,
        finish_reason: str,
    ) -> ChatResult:
        usage = local_usage(request, text)
        attempt = Attempt(
            provider=LOCAL,
            model=model.id,
            key_index=None,
            outcome=AttemptOutcome.ok if finish_reason != "cancelled" else AttemptOutcome.cancelled,
            status=None,
            latency_ms=_ms(started),
            usage=usage,
            cost_usd=_ZERO,
        )
        logger.info(
            "LLM call answered by the offline local provider as %s (no provider key configured)",
            model.id,
        )
        return ChatResult(
            text=text,
            model=model.id,
            provider=LOCAL,
            usage=usage,
            cost_usd=_ZERO,
            attempts=(attempt,),
            routing=route.decision,
            finish_reason=finish_reason,
            local=True,
        )

    async def _stream_locally(
        self, out: ChatStream, request: ChatRequest, route: Route
    ) -> AsyncGenerator[StreamEvent, None]:
        started = time.perf_counter()
        model = route.models[0]
        full = local_answer(
            request,
            model=model.id,
            max_output_tokens=min(route.max_output_tokens, model.max_output_tokens),
        )
        sent: list[str] = []
        try:
            for index, piece in enumerate(local_chunks(full)):
                if index:
                    await sleep(LOCAL_STREAM_DELAY_SECONDS)
                sent.append(piece)
                yield TextDelta(piece)
        except BaseException:
            out.result = self._local_result(
                request, model, "".join(sent), started, route, "cancelled"
            )
            raise
        out.result = self._local_result(request, model, full, started, route, "stop")
        yield StreamEnd(out.result)

    # Bookkeeping

    def _attempt(
        self,
        provider: _Provider,
        model: ModelInfo,
        key_index: int,
        outcome: AttemptOutcome,
        status: int | None,
        started: float,
        *,
        usage: Usage,
        error: str | None = None,
    ) -> Attempt:
        return Attempt(
            provider=provider.name,
            model=model.id,
            key_index=key_index,
            outcome=outcome,
            status=status,
            latency_ms=_ms(started),
            usage=usage,
            cost_usd=cost_usd(usage, model.price),
            error=error,
        )

    def _transport_failure(
        self,
        provider: _Provider,
        model: ModelInfo,
        key_index: int,
        started: float,
        exc: TransportError,
    ) -> Attempt:
        provider.breaker.record_failure()
        outcome = (
            AttemptOutcome.timeout
            if isinstance(exc, TransportTimeout)
            else AttemptOutcome.connection_error
        )
        # A request that reached the provider may have been processed (and billed):
        # its usage is unknown. One that never left costs nothing.
        usage = Usage() if exc.sent else Usage(source=UsageSource.reported)
        logger.warning(
            "LLM call to %s (%s, key #%d) failed: %s", provider.name, model.id, key_index, exc
        )
        return self._attempt(
            provider, model, key_index, outcome, None, started, usage=usage, error=str(exc)
        )

    def _rejection(
        self,
        provider: _Provider,
        model: ModelInfo,
        key_index: int,
        status: int,
        started: float,
        verdict: ErrorVerdict,
    ) -> Attempt:
        """Record an error answer and apply its consequences to the key and provider."""
        outcome = verdict.outcome
        settings = self._settings
        if outcome is AttemptOutcome.rate_limited:
            seconds = verdict.retry_after or settings.rate_limit_cooldown_seconds
            provider.keys.cool_down(key_index, min(seconds, settings.max_retry_after_seconds))
        elif outcome is AttemptOutcome.quota_exhausted:
            provider.keys.back_off(settings.quota_backoff_seconds)
            logger.warning(
                "LLM provider %s is out of money or quota (HTTP %d: %s); backing off %.0f s",
                provider.name,
                status,
                verdict.message,
                settings.quota_backoff_seconds,
            )
        elif outcome is AttemptOutcome.auth_failed and provider.keys.disable(key_index):
            logger.error(
                "LLM provider %s rejected key #%d (HTTP %d: %s); it is disabled until restart",
                provider.name,
                key_index,
                status,
                verdict.message,
            )
        if outcome in _UNHEALTHY:
            provider.breaker.record_failure()
        else:  # any other answer shows the provider is up
            provider.breaker.record_success()
        if outcome not in (AttemptOutcome.auth_failed, AttemptOutcome.quota_exhausted):
            logger.warning(
                "LLM call to %s (%s, key #%d) failed: HTTP %d %s: %s",
                provider.name,
                model.id,
                key_index,
                status,
                outcome.value,
                verdict.message,
            )
        # Error answers are not billed.
        return self._attempt(
            provider,
            model,
            key_index,
            outcome,
            status,
            started,
            usage=Usage(source=UsageSource.reported),
            error=verdict.message,
        )

    def _result(
        self,
        text: str,
        finish_reason: str | None,
        attempt: Attempt,
        attempts: list[Attempt],
        route: Route,
    ) -> ChatResult:
        return ChatResult(
            text=text,
            model=attempt.model,
            provider=attempt.provider,
            usage=attempt.usage,
            cost_usd=attempt.cost_usd,
            attempts=tuple(attempts),
            routing=route.decision,
            finish_reason=finish_reason,
        )

    def _finish(
        self,
        text: str,
        finish_reason: str | None,
        attempt: Attempt,
        attempts: list[Attempt],
        route: Route,
    ) -> ChatResult:
        result = self._result(text, finish_reason, attempt, attempts, route)
        logger.info(
            "LLM call ok: %s via %s (key #%s) %d+%d tokens (%s), $%s, %.0f ms, %d retries",
            result.model,
            result.provider,
            attempt.key_index,
            result.usage.input_tokens,
            result.usage.output_tokens,
            result.usage.source.value,
            result.cost_usd,
            attempt.latency_ms,
            result.retries,
        )
        return result

    @staticmethod
    def _rejected(attempt: Attempt, attempts: list[Attempt], route: Route) -> RequestRejected:
        return RequestRejected(
            f"{attempt.provider} refused the request: {attempt.error}",
            status=attempt.status or 400,
            attempts=tuple(attempts),
            routing=route.decision,
        )

    @staticmethod
    def _all_failed(attempts: list[Attempt], route: Route) -> AllProvidersFailed:
        summary = ", ".join(
            f"{a.provider}/{a.model}#{a.key_index}: {a.outcome.value}" for a in attempts
        )
        return AllProvidersFailed(
            f"no provider could answer ({summary or 'no provider available'})",
            attempts=tuple(attempts),
            routing=route.decision,
        )


def create_gateway(
    settings: GatewaySettings | None = None, *, transport: HttpTransport | None = None
) -> LLMGateway:
    """The app's gateway: settings from the environment, the rest from the catalog."""
    from app.core import catalog  # generated from archgen.yaml

    return LLMGateway(
        settings or GatewaySettings.from_env(),
        models=catalog.MODELS,
        providers=catalog.PROVIDERS,
        strategy=catalog.ROUTING_STRATEGY,
        circuit_breaker=catalog.CIRCUIT_BREAKER,
        transport=transport,
    )
