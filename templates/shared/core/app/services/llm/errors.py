"""The few errors the gateway raises. Each carries every attempt made, for the ledger."""

from __future__ import annotations

from app.services.llm.types import Attempt, RoutingDecision


class GatewayError(Exception):
    """Base class; ``attempts`` lists every provider call made before giving up."""

    def __init__(
        self,
        message: str,
        *,
        attempts: tuple[Attempt, ...] = (),
        routing: RoutingDecision | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.attempts = attempts
        self.routing = routing


class NoRouteError(GatewayError):
    """No model satisfies the workflow, tier and request size (nothing was called)."""


class RequestRejected(GatewayError):
    """The provider refused the request itself (bad parameters, context too long).

    Not retried elsewhere: another provider would refuse it too. Maps to a 4xx.
    """

    def __init__(self, message: str, *, status: int, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.status = status


class AllProvidersFailed(GatewayError):
    """Every candidate provider and key failed or was unavailable. Maps to 502/503."""


class StreamInterrupted(GatewayError):
    """The upstream stream broke after text had reached the consumer (no failover then)."""
