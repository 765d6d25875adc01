"""Each provider's real error answers, classified per provider from status AND body."""

from __future__ import annotations

import pytest

from app.services.llm.adapters import adapter_for
from app.services.llm.types import AttemptOutcome
from tests.fakes.error_bodies import CASES, ErrorCase


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_real_error_bodies_are_classified(case: ErrorCase) -> None:
    verdict = adapter_for(case.provider).classify(case.status, case.headers, case.body)

    assert verdict.outcome is AttemptOutcome(case.outcome)
    assert verdict.message  # something readable for the logs and the ledger
    if case.retry_after is not None:
        assert verdict.retry_after == case.retry_after


def test_out_of_money_is_not_always_a_402() -> None:
    statuses = {(c.provider, c.status) for c in CASES if c.outcome == "quota_exhausted"}
    assert ("openai", 429) in statuses
    assert ("anthropic", 400) in statuses
    assert ("anthropic", 429) in statuses
    assert ("google", 429) in statuses


def test_an_http_date_retry_after_is_understood() -> None:
    verdict = adapter_for("openai").classify(
        429, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, b"{}"
    )
    assert verdict.outcome is AttemptOutcome.rate_limited
    assert verdict.retry_after == 0.0  # in the past: retry now


def test_retry_after_ms_wins_over_retry_after() -> None:
    verdict = adapter_for("openai").classify(
        429, {"retry-after-ms": "1500", "retry-after": "9"}, b"{}"
    )
    assert verdict.retry_after == 1.5
