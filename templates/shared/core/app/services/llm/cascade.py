"""The failover walk: a route's models x their providers x each provider's keys, in order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from app.services.llm.attempts import NEXT_PROVIDER, skipped_attempt
from app.services.llm.errors import AllProvidersFailed, RequestRejected
from app.services.llm.providers import Provider, Slot
from app.services.llm.routing import Route
from app.services.llm.types import Attempt, AttemptOutcome


class Cascade:
    """Walks the calls to try for one request, for chat and stream alike.

    Iterating yields a ``Slot`` per call to make. Providers that cannot be called
    now (no usable key, circuit open) are recorded in ``attempts`` as skipped, once
    per request. The caller reports each call with ``succeeded`` or ``failed``; a
    failure either moves the walk on (next key, or next provider when the others
    are pointless) or raises ``RequestRejected`` when the request itself was refused.
    """

    def __init__(self, route: Route, providers: Mapping[str, Provider]) -> None:
        self.route = route
        self.attempts: list[Attempt] = []
        self._targets = [
            (model, provider, remote_model)
            for model in route.models
            for name, remote_model in model.routes
            if (provider := providers.get(name)) is not None
        ]
        self._leave = False

    def __iter__(self) -> Iterator[Slot]:
        passed_over: set[str] = set()
        for model, provider, remote_model in self._targets:
            if provider.name in passed_over:
                continue
            if not provider.keys.usable():
                outcome = AttemptOutcome(provider.keys.unavailable_reason())
                why = f"no usable key ({outcome.value})"
                self.attempts.append(skipped_attempt(provider, model, outcome, why))
                passed_over.add(provider.name)
                continue
            max_tokens = min(self.route.max_output_tokens, model.max_output_tokens)
            for key_index in provider.keys.usable():
                if not provider.breaker.allow():
                    outcome = AttemptOutcome.circuit_open
                    self.attempts.append(skipped_attempt(provider, model, outcome, "circuit open"))
                    passed_over.add(provider.name)
                    break
                yield Slot(model, provider, remote_model, key_index, max_tokens)
                if self._leave:
                    self._leave = False
                    break

    def succeeded(self, attempt: Attempt) -> None:
        """Record the call that answered."""
        self.attempts.append(attempt)

    def failed(self, attempt: Attempt) -> None:
        """Record a failed call; raises ``RequestRejected`` if no provider should retry it."""
        self.attempts.append(attempt)
        if attempt.outcome is AttemptOutcome.bad_request:
            raise RequestRejected(
                f"{attempt.provider} refused the request: {attempt.error}",
                status=attempt.status or 400,
                attempts=tuple(self.attempts),
                routing=self.route.decision,
            )
        if attempt.outcome in NEXT_PROVIDER:
            self._leave = True

    def all_failed(self) -> AllProvidersFailed:
        """The error to raise once the walk is over without an answer."""
        summary = ", ".join(
            f"{a.provider}/{a.model}#{a.key_index}: {a.outcome.value}" for a in self.attempts
        )
        return AllProvidersFailed(
            f"no provider could answer ({summary or 'no provider available'})",
            attempts=tuple(self.attempts),
            routing=self.route.decision,
        )
