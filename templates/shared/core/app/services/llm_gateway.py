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

This module is the entry point; the parts live in ``app/services/llm/``:
``cascade.py`` (the failover walk), ``completion.py`` and ``streaming.py`` (the
two kinds of call), ``attempts.py`` (attempt records and what each outcome does
to a key or provider), ``results.py`` (every ``ChatResult``), ``local.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from app.core.catalog_types import CircuitBreakerPolicy, ModelInfo, TierInfo, WorkflowInfo
from app.services.llm.cascade import Cascade
from app.services.llm.completion import complete
from app.services.llm.local import answer_locally, stream_locally
from app.services.llm.providers import open_providers
from app.services.llm.routing import STRATEGIES, Route, plan_route
from app.services.llm.settings import GatewaySettings
from app.services.llm.streaming import stream_events
from app.services.llm.transport import HttpTransport
from app.services.llm.types import ChatRequest, ChatResult, ChatStream

__all__ = ["LLMGateway", "create_gateway"]


class LLMGateway:
    """The one boundary for model calls (implements ``ChatGateway``).

    Build it with ``create_gateway()`` in the app; tests pass their own settings,
    catalog pieces, transport and clock. One instance per process: it owns the
    HTTP connection pool and the keys' and providers' health. Close it when done
    (or use it as a context manager).
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
        self._providers = open_providers(settings, providers, circuit_breaker, clock)
        self.local = not self._providers
        self._transport = transport or HttpTransport(
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.timeout_seconds,
            max_connections=settings.max_connections,
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
            return answer_locally(request, route)
        cascade = Cascade(route, self._providers)
        return await complete(cascade, request, self._transport, self._settings)

    def stream(self, request: ChatRequest, *, workflow: WorkflowInfo, tier: TierInfo) -> ChatStream:
        """Stream the answer to ``request``: ``TextDelta`` events, then one ``StreamEnd``.

        Routing happens now (``NoRouteError`` is raised here); providers are called
        when iteration starts. Close the stream to stop early: the upstream request
        is closed at once and ``ChatStream.result`` holds the partial usage.
        """
        route = self.route(request, workflow=workflow, tier=tier)
        if self.local:
            return ChatStream(lambda out: stream_locally(out, request, route))
        cascade = Cascade(route, self._providers)
        return ChatStream(
            lambda out: stream_events(out, request, cascade, self._transport, self._settings)
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
