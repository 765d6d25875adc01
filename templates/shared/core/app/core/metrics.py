"""Prometheus metrics: what the app counts as it runs, and the text ``GET /metrics`` serves.

Counters and histograms are updated where things happen (requests, provider calls,
settlements, cache lookups). Gauges that describe shared state (reservations still
held, billing outbox rows not yet sent) are computed at scrape time from the
database; circuit breakers are per process and reported by the process that
answers the scrape.

Under a server with several worker processes (gunicorn, ``uvicorn --workers``) set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory writable by the app: each
process then writes its samples there and a scrape sums them over all processes
(docs/observability.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST
# A request that matched no route: one label value, never the raw path.
UNMATCHED_ROUTE = "<unmatched>"
BREAKER_STATES = ("closed", "half_open", "open")

REQUESTS = Counter(
    "app_http_requests_total",
    "HTTP requests by route template, method and status code.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "app_http_request_duration_seconds",
    "Time from request to the response's last byte, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
PROVIDER_CALLS = Counter(
    "app_provider_calls_total",
    "Calls made to model providers, by provider and outcome (ok, rate_limited, ...).",
    ["provider", "outcome"],
)
PROVIDER_FAILURES = Counter(
    "app_provider_failures_total",
    "Provider calls that did not succeed, by provider and outcome.",
    ["provider", "outcome"],
)
CACHE_LOOKUPS = Counter(
    "app_cache_lookups_total",
    "Response cache lookups by result (hit or miss).",
    ["result"],
)
LEDGER_EVENTS = Counter(
    "app_ledger_events_total",
    "Settled ledger rows by tier and outcome.",
    ["tier", "outcome"],
)
SPEND_USD = Counter(
    "app_spend_usd_total",
    "Settled spend in US dollars by tier (what the calls cost, retries included).",
    ["tier"],
)
TOKENS = Counter(
    "app_tokens_total",
    "Tokens of settled calls by tier and kind (input, output, cached_input).",
    ["tier", "kind"],
)


def multiprocess_dir() -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR`` when set: samples are shared through files there."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one finished request."""
    REQUESTS.labels(route, method, str(status)).inc()
    REQUEST_SECONDS.labels(route, method).observe(seconds)


def observe_cache_lookup(hit: bool) -> None:
    """Count one response-cache lookup."""
    CACHE_LOOKUPS.labels("hit" if hit else "miss").inc()


@dataclass(frozen=True, slots=True)
class ProviderCall:
    """One provider attempt of a settled call (skipped providers are not calls)."""

    provider: str
    outcome: str


def observe_settlement(
    *,
    tier: str,
    outcome: str,
    spend_usd: float,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int,
    calls: Iterable[ProviderCall],
) -> None:
    """Count one settled ledger row: its spend and tokens, and its provider calls."""
    LEDGER_EVENTS.labels(tier, outcome).inc()
    if spend_usd:
        SPEND_USD.labels(tier).inc(spend_usd)
    for kind, count in (
        ("input", input_tokens),
        ("output", output_tokens),
        ("cached_input", cached_input_tokens),
    ):
        if count:
            TOKENS.labels(tier, kind).inc(count)
    for call in calls:
        PROVIDER_CALLS.labels(call.provider, call.outcome).inc()
        if call.outcome != "ok":
            PROVIDER_FAILURES.labels(call.provider, call.outcome).inc()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a scrape reads from the database and this process."""

    pending_reservations: int
    oldest_reservation_seconds: float
    outbox_unsent: int
    oldest_outbox_seconds: float
    breakers: Mapping[str, str]  # provider -> circuit state (this process's)


class _SnapshotCollector(Collector):
    """Turns one ``Snapshot`` into gauges (for one scrape)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        s = self.snapshot
        yield GaugeMetricFamily(
            "app_reservations_pending",
            "Ledger rows still holding a reservation (calls in flight, or left by a crash).",
            value=s.pending_reservations,
        )
        yield GaugeMetricFamily(
            "app_reservations_oldest_age_seconds",
            "Age of the oldest pending reservation (0 when none): the sweep should bound it.",
            value=s.oldest_reservation_seconds,
        )
        yield GaugeMetricFamily(
            "app_billing_outbox_unsent",
            "Billing outbox rows not yet sent to the billing provider.",
            value=s.outbox_unsent,
        )
        yield GaugeMetricFamily(
            "app_billing_outbox_oldest_age_seconds",
            "Age of the oldest unsent billing outbox row (0 when none).",
            value=s.oldest_outbox_seconds,
        )
        breaker = GaugeMetricFamily(
            "app_circuit_breaker_state",
            "1 for each provider's current circuit state in the process that answered.",
            labels=["provider", "state"],
        )
        for provider, current in sorted(s.breakers.items()):
            for state in BREAKER_STATES:
                breaker.add_metric([provider, state], 1.0 if state == current else 0.0)
        yield breaker


def exposition(snapshot: Snapshot) -> bytes:
    """The Prometheus text of every metric: this process's (or, in multi-process
    mode, every process's) counters and histograms, then the snapshot's gauges."""
    path = multiprocess_dir()
    if path is not None:
        counted = CollectorRegistry()
        MultiProcessCollector(counted, path=path)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(_SnapshotCollector(snapshot))
    return generate_latest(counted) + generate_latest(gauges)
