"""The error table for dependencies and oversized input, case by case (no server):
a lost database or Redis is a 503 with Retry-After, our own database bugs stay
500s, and nothing a client sends makes an error body grow without bound."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.services.api.errors import (
    MAX_FIELD_CHARS,
    MAX_LISTED_FIELDS,
    MAX_MESSAGE_CHARS,
    ApiError,
    invalid_fields,
    to_api_error,
)


def test_a_lost_database_is_a_503_with_retry_after() -> None:
    lost = OperationalError("SELECT 1", {}, ConnectionRefusedError("127.0.0.1:5432 refused"))
    for exc in (lost, PoolTimeoutError("QueuePool limit reached")):
        error = to_api_error(exc)
        assert (error.status, error.code) == (503, "database_unavailable")
        assert int(error.headers["Retry-After"]) > 0
        assert "5432" not in str(error.to_json())  # no driver message reaches the client


def test_a_database_bug_stays_a_500() -> None:
    error = to_api_error(IntegrityError("INSERT", {}, ValueError("duplicate key")))
    assert (error.status, error.code) == (500, "internal_error")


def test_redis_unreachable_outside_the_fail_open_uses_is_a_503() -> None:
    error = to_api_error(RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"))
    assert (error.status, error.code) == (503, "redis_unavailable")
    assert error.headers["Retry-After"]


def test_text_that_cannot_be_encoded_is_the_clients_400() -> None:
    try:
        "\ud800".encode()
    except UnicodeEncodeError as exc:
        error = to_api_error(exc)
    assert (error.status, error.code) == (400, "invalid_unicode")


def test_error_messages_and_field_lists_are_bounded() -> None:
    error = ApiError(422, "invalid_prompt", "x" * 1_000_000, param="p" * 10_000)
    assert len(error.message) <= MAX_MESSAGE_CHARS and error.message.endswith("...")
    assert error.param is not None and len(error.param) <= MAX_FIELD_CHARS
    problems = [
        {"loc": ("body", "messages", n, "k" * 10_000), "msg": "m" * 10_000, "type": "t"}
        for n in range(5_000)
    ]
    error = invalid_fields(problems)
    assert error.fields is not None and len(error.fields) == MAX_LISTED_FIELDS
    assert all(len(f.field) <= MAX_FIELD_CHARS and len(f.message) <= MAX_FIELD_CHARS
               for f in error.fields)  # fmt: skip
    assert "5000 invalid fields" in error.message
    assert len(str(error.to_json())) < 16 * 1024
