"""The framework-free pieces both apps answer with: error mapping, headers, SSE, limits.

No server here: these are the tables the contract suite's HTTP tests rely on,
checked case by case (including failures too costly to provoke through a server).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.services.api import sse
from app.services.api.auth import bearer_token
from app.services.api.errors import ApiError, invalid_fields, to_api_error
from app.services.api.headers import RateLimitState, ResponseMeta
from app.services.api.requests import BodyLimit, decode_json, is_json
from app.services.llm.errors import AllProvidersFailed, RequestRejected
from app.services.llm.types import Attempt, AttemptOutcome
from app.services.prompts import PROMPTS_DIR, PromptVariableError
from app.services.usage.errors import CapExceeded, RateLimited


def attempt(outcome: AttemptOutcome, status: int | None = None, **extra: object) -> Attempt:
    return Attempt(
        provider="openai",
        model="m",
        key_index=0,
        outcome=outcome,
        status=status,
        latency_ms=1.0,
        error="sk-secret-in-error-text",
        **extra,  # type: ignore[arg-type]
    )


def cap_exceeded() -> CapExceeded:
    return CapExceeded(
        cap="monthly_cost",
        used_usd="8.99",
        limit_usd="9",
        required_usd="0.02",
        resets_at=datetime(2030, 1, 1, tzinfo=UTC),
        upgrade_tier="pro",
        upgrade_hint="Upgrade to the pro plan for a $9 monthly allowance.",
    )


def test_every_provider_failing_is_502_with_attempts_and_no_secrets() -> None:
    error = to_api_error(
        AllProvidersFailed("x", attempts=(attempt(AttemptOutcome.server_error, 500),))
    )
    assert (error.status, error.code) == (502, "all_providers_failed")
    body = str(error.to_json())
    assert "sk-secret" not in body
    assert error.to_json()["error"]["attempts"] == [
        {"provider": "openai", "model": "m", "outcome": "server_error", "status": 500}
    ]


def test_no_provider_available_is_503_with_retry_after() -> None:
    failed = AllProvidersFailed(
        "x",
        attempts=(
            attempt(AttemptOutcome.circuit_open),
            attempt(AttemptOutcome.quota_exhausted, 402),
        ),
    )
    error = to_api_error(failed)
    assert (error.status, error.code) == (503, "providers_unavailable")
    assert error.headers["Retry-After"].isdigit()


def test_a_provider_refusing_the_size_is_413_context_too_large() -> None:
    error = to_api_error(RequestRejected("too long", status=413))
    assert (error.status, error.code) == (413, "context_too_large")


def test_cap_amounts_are_for_owners_only() -> None:
    member = to_api_error(cap_exceeded(), owner=False).to_json()["error"]
    owner = to_api_error(cap_exceeded(), owner=True).to_json()["error"]
    assert member["status"] == owner["status"] == 402
    assert "$" not in member["message"] and "8.99" not in str(member)
    assert member["details"]["upgrade"] == {"tier": "pro", "checkout": None}
    assert owner["details"]["used_usd"] == "8.99"


def test_rate_limited_says_when_to_retry() -> None:
    error = to_api_error(RateLimited(retry_after=2.2, limit_per_minute=10))
    assert (error.status, error.code) == (429, "rate_limited")
    assert error.headers["Retry-After"] == "3"


def test_prompt_errors_do_not_leak_server_paths() -> None:
    error = to_api_error(
        PromptVariableError(f"needs x (declared in {PROMPTS_DIR}/summarize/v1.md)")
    )
    assert error.status == 422
    assert str(PROMPTS_DIR) not in error.message


def test_unknown_exceptions_are_a_bare_500(caplog: pytest.LogCaptureFixture) -> None:
    error = to_api_error(RuntimeError("password=hunter2 at /srv/app.py line 3"))
    assert (error.status, error.code) == (500, "internal_error")
    assert "hunter2" not in str(error.to_json())


def test_json_syntax_reported_as_validation_is_still_400() -> None:
    assert invalid_fields([{"type": "json_invalid", "loc": ("body", 3), "msg": "x"}]).status == 400
    with pytest.raises(ApiError) as raised:
        decode_json(b"\xff\xfe{")
    assert raised.value.code == "malformed_json"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/vnd.api+json", True),
        ("text/json", False),
        ("text/plain", False),
        (None, False),
    ],
)
def test_what_counts_as_json(value: str | None, expected: bool) -> None:
    assert is_json(value) is expected


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_api_key"),
        ("", "missing_api_key"),
        ("Basic abc", "invalid_authorization"),
        ("Bearer", "invalid_authorization"),
        ("Bearer a b", "invalid_authorization"),
    ],
)
def test_bad_authorization_headers(header: str | None, code: str) -> None:
    with pytest.raises(ApiError) as raised:
        bearer_token(header)
    assert (raised.value.status, raised.value.code) == (401, code)


def test_bearer_scheme_is_case_insensitive() -> None:
    assert bearer_token("bearer sk_abc") == "sk_abc"


def test_body_limit_counts_chunks_and_declared_lengths() -> None:
    limit = BodyLimit(10)
    limit.feed(6)
    with pytest.raises(ApiError) as raised:
        limit.feed(6)
    assert raised.value.status == 413 and limit.exceeded
    with pytest.raises(ApiError):
        BodyLimit(10).check_declared("11")
    BodyLimit(10).check_declared("10")
    with pytest.raises(ApiError) as bad:
        BodyLimit(10).check_declared("ten")
    assert bad.value.status == 400


def test_headers_every_response_carries() -> None:
    meta = ResponseMeta(RateLimitState(limit=10, remaining=3, reset_seconds=4.2))
    meta.warnings += ["monthly_cost; threshold=0.75", "monthly_cost; threshold=0.75", "naïve\n"]
    headers = meta.headers()
    assert headers["RateLimit-Limit"] == "10"
    assert headers["RateLimit-Remaining"] == "3"
    assert headers["RateLimit-Reset"] == "5"
    assert headers["RateLimit-Policy"] == "10;w=60"
    assert headers["X-Usage-Warning"] == "monthly_cost; threshold=0.75; na?ve?"


def test_sse_frames() -> None:
    assert sse.encode("a\nb", event="delta") == b"event: delta\ndata: a\ndata: b\n\n"
    assert sse.DONE == b"data: [DONE]\n\n"
