"""The error mapping table: any failure -> HTTP status + the one JSON error body.

Every exception a request can raise ends up here (``to_api_error``), in both web
layers. Messages are written for clients: no tracebacks, file paths, provider
keys or payloads. Unknown exceptions become a bare 500.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.schemas.errors import AttemptSummary, ErrorBody, ErrorDetail, FieldProblem
from app.services.llm.errors import (
    AllProvidersFailed,
    GatewayError,
    NoRouteError,
    RequestRejected,
    StreamInterrupted,
)
from app.services.llm.types import Attempt, AttemptOutcome
from app.services.prompts import (
    PROMPTS_DIR,
    PromptError,
    PromptFormatError,
    PromptIntegrityError,
    PromptNotFoundError,
    PromptTooLargeError,
    PromptVariableError,
    PromptVersionLimitError,
)
from app.services.usage.errors import CapExceeded, UsageError

logger = logging.getLogger(__name__)

# Bounds on what an error body may echo of the request: a small input that expands
# (YAML aliases, a list of 100,000 bad items) must not become a huge answer.
MAX_MESSAGE_CHARS = 500
MAX_FIELD_CHARS = 200
MAX_LISTED_FIELDS = 20
# All request header fields together (names and values): this API's own headers are
# small, and a server in front may refuse less with its own (non-JSON) page.
MAX_HEADER_BYTES = 8 * 1024
# What a 503 for a dependency that went away tells clients to wait before retrying.
DEPENDENCY_RETRY_AFTER_SECONDS = 5

# The error "type" for each status (the class of failure; ``code`` says which one).
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "payment_required",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "request_timeout",
    409: "conflict_error",
    413: "request_too_large",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    431: "request_too_large",
    500: "api_error",
    501: "not_implemented",
    502: "upstream_error",
    503: "service_unavailable",
}

# Attempts that never reached a working provider (skipped, or refused for capacity,
# money or keys): when every attempt is one of these -> 503, else 502.
_UNAVAILABLE = frozenset(
    {
        AttemptOutcome.circuit_open,
        AttemptOutcome.rate_limited,
        AttemptOutcome.quota_exhausted,
        AttemptOutcome.auth_failed,
    }
)


class ApiError(Exception):
    """A failure with its HTTP answer: raise it anywhere a request is handled."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        fields: Sequence[FieldProblem] | None = None,
        attempts: Sequence[AttemptSummary] | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        message = clip(message, MAX_MESSAGE_CHARS)
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = clip(param, MAX_FIELD_CHARS) if param is not None else None
        self.fields = list(fields)[:MAX_LISTED_FIELDS] if fields is not None else None
        self.attempts = list(attempts) if attempts is not None else None
        self.details = dict(details) if details else None
        self.headers = dict(headers or {})

    def body(self) -> ErrorBody:
        """The JSON error body."""
        return ErrorBody(
            error=ErrorDetail(
                type=ERROR_TYPES.get(self.status, "api_error"),
                code=self.code,
                message=self.message,
                status=self.status,
                param=self.param,
                fields=self.fields,
                attempts=self.attempts,
                details=self.details,
            )
        )

    def to_json(self) -> dict[str, Any]:
        """The body as JSON-able data (unset optional members left out)."""
        return self.body().model_dump(mode="json", exclude_none=True)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 3] + "..."


# -- constructors for the failures the web layer itself detects ------------------------


def bad_request(code: str, message: str, *, param: str | None = None) -> ApiError:
    """400: the request cannot be read as sent."""
    return ApiError(400, code, message, param=param)


def unauthorized(code: str, message: str) -> ApiError:
    """401, with the ``WWW-Authenticate: Bearer`` challenge."""
    # RFC 9110: a 401 says how to authenticate.
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(code: str, message: str) -> ApiError:
    """403: the key may not do this (role, tenant or plan)."""
    return ApiError(403, code, message)


def not_found(code: str, message: str, *, param: str | None = None) -> ApiError:
    """404: no such workflow, model, prompt, user or endpoint."""
    return ApiError(404, code, message, param=param)


def body_too_large(max_bytes: int) -> ApiError:
    """413: the request body is over the cap."""
    return ApiError(
        413,
        "body_too_large",
        f"The request body is larger than {max_bytes} bytes.",
        details={"max_bytes": max_bytes},
    )


def headers_too_large(size: int) -> ApiError:
    """431: the request's header fields are larger than ``MAX_HEADER_BYTES`` together."""
    return ApiError(
        431,
        "headers_too_large",
        f"The request headers are larger than {MAX_HEADER_BYTES} bytes together.",
        details={"max_bytes": MAX_HEADER_BYTES, "size": size},
        headers={"Connection": "close"},
    )


def check_header_size(size: int) -> None:
    """431 when ``size`` (header names and values, in bytes) is over the limit."""
    if size > MAX_HEADER_BYTES:
        raise headers_too_large(size)


def unsupported_media_type(content_type: str | None) -> ApiError:
    """415: the body is not declared as JSON."""
    given = content_type or "none"
    return ApiError(
        415,
        "unsupported_media_type",
        f"Send the body as application/json (got {given}).",
    )


def http_error(status: int) -> ApiError:
    """A framework-level failure (unknown route, wrong method) in our shape."""
    known = {
        400: ("bad_request", "The request could not be read."),
        404: ("not_found", "No such endpoint."),
        405: ("method_not_allowed", "This endpoint does not accept that method."),
        413: ("body_too_large", "The request body is too large."),
        415: ("unsupported_media_type", "Send the body as application/json."),
    }
    code, message = known.get(status, ("http_error", "The request failed."))
    return ApiError(status, code, message)


def request_timeout(seconds: float) -> ApiError:
    """408: the client sent its body too slowly; the connection is closed."""
    return ApiError(
        408,
        "request_timeout",
        f"The request body did not arrive within {seconds:g} seconds.",
        details={"timeout_seconds": seconds},
        headers={"Connection": "close"},
    )


def dependency_unavailable(dependency: str) -> ApiError:
    """503 with ``Retry-After``: the database or Redis cannot be reached right now."""
    return ApiError(
        503,
        f"{dependency}_unavailable",
        f"The service's {dependency} is unavailable right now; retry in a moment.",
        headers={"Retry-After": str(DEPENDENCY_RETRY_AFTER_SECONDS)},
    )


def internal_error() -> ApiError:
    """500, with nothing of the failure's details."""
    return ApiError(500, "internal_error", "Something went wrong on our side; please retry.")


# -- validation ---------------------------------------------------------------------


def _field_path(loc: Sequence[int | str]) -> str:
    # FastAPI prefixes locations with "body"; pydantic does not. Report the same path.
    parts = [str(part) for part in loc if part != "body"]
    return ".".join(parts) or "body"


def invalid_fields(errors: Sequence[Mapping[str, Any]]) -> ApiError:
    """422 from pydantic-style error dicts (``loc``, ``msg``, ``type``).

    A JSON syntax error reported through the same channel (FastAPI does) is a 400.
    """
    if any(error.get("type") == "json_invalid" for error in errors):
        return malformed_json()
    problems = [
        FieldProblem(
            field=clip(_field_path(error.get("loc", ())), MAX_FIELD_CHARS),
            message=clip(str(error.get("msg", "invalid")), MAX_FIELD_CHARS),
            type=clip(str(error.get("type", "value_error")), MAX_FIELD_CHARS),
        )
        # Only the listed ones are built: the rest are counted, never rendered.
        for error in errors[:MAX_LISTED_FIELDS]
    ]
    first = problems[0].field if problems else None
    summary = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
    if len(errors) > MAX_LISTED_FIELDS:
        summary = f"{len(errors)} invalid fields, the first {MAX_LISTED_FIELDS} listed; {summary}"
    return ApiError(
        422, "invalid_fields", f"Invalid request: {summary}", param=first, fields=problems
    )


def malformed_json() -> ApiError:
    """400: the body is not valid JSON."""
    return bad_request("malformed_json", "The request body is not valid JSON.")


def invalid_unicode() -> ApiError:
    """400: the body's JSON strings hold a lone surrogate escape, which no text encodes."""
    return bad_request(
        "invalid_unicode",
        "The request contains a lone surrogate escape (such as \\ud800) in a string; "
        "send valid Unicode text.",
    )


# -- the mapping table for exceptions raised by the services ------------------------


def summarize_attempts(attempts: Sequence[Attempt]) -> list[AttemptSummary]:
    """What a client may see of the provider calls: no keys, payloads or error text."""
    return [
        AttemptSummary(provider=a.provider, model=a.model, outcome=str(a.outcome), status=a.status)
        for a in attempts
    ]


def _gateway_error(exc: GatewayError) -> ApiError:
    attempts = summarize_attempts(exc.attempts)
    if isinstance(exc, RequestRejected):
        if exc.status == 413:
            return ApiError(413, "context_too_large", exc.message, attempts=attempts)
        status = exc.status if exc.status in (400, 422) else 400
        return ApiError(status, "request_rejected", exc.message, attempts=attempts)
    if isinstance(exc, NoRouteError):
        return ApiError(
            422,
            "no_route",
            "No model allowed for your tier can serve this workflow and request size.",
            details={"rejected": [list(r) for r in exc.routing.rejected]} if exc.routing else None,
        )
    if isinstance(exc, StreamInterrupted):
        return ApiError(
            502, "stream_interrupted", "The model's answer was cut off.", attempts=attempts
        )
    if (
        isinstance(exc, AllProvidersFailed)
        and exc.attempts
        and all(a.skipped or a.outcome in _UNAVAILABLE for a in exc.attempts)
    ):
        return ApiError(
            503,
            "providers_unavailable",
            "Every model provider is unavailable right now; retry in a moment.",
            attempts=attempts,
            headers={"Retry-After": "5"},
        )
    return ApiError(
        502,
        "all_providers_failed",
        "Every model provider failed to answer; retry in a moment.",
        attempts=attempts,
    )


def _usage_error(exc: UsageError, owner: bool) -> ApiError:
    details = {k: v for k, v in exc.to_dict().items() if k not in ("error", "message")}
    message = exc.message
    if isinstance(exc, CapExceeded) and not owner:
        # The cap is provider cost: only owners see dollar amounts.
        details = {"cap": exc.cap, "resets_at": exc.resets_at.isoformat()}
        message = f"This period's allowance is used up; it resets at {exc.resets_at.isoformat()}."
        if exc.upgrade_tier:
            details["upgrade"] = {"tier": exc.upgrade_tier, "checkout": exc.upgrade_checkout}
            message += f" Upgrade to the {exc.upgrade_tier} plan for a larger allowance."
            if exc.upgrade_checkout:
                message += f" Owners can buy it with POST {exc.upgrade_checkout}."
    return ApiError(exc.status, exc.code, message, details=details, headers=exc.headers())


def _without_paths(message: str) -> str:
    # Prompt errors name their files; clients see paths relative to the catalogue only.
    return message.replace(f"{PROMPTS_DIR}{os.sep}", "").replace(str(PROMPTS_DIR), "prompts")


def _prompt_error(exc: Exception, owner: bool) -> ApiError:
    message = _without_paths(str(exc))
    if isinstance(exc, PromptNotFoundError):
        return not_found("unknown_prompt", message, param="name")
    if isinstance(exc, PromptVariableError):
        return ApiError(422, "invalid_variables", message, param="variables")
    if isinstance(exc, PromptTooLargeError):
        details = {"max_bytes": exc.max_bytes}
        return ApiError(413, "prompt_too_large", message, param="text", details=details)
    if isinstance(exc, PromptVersionLimitError):
        details = {"max_versions": exc.max_versions}
        return ApiError(409, "prompt_version_limit", message, param="name", details=details)
    if isinstance(exc, PromptFormatError):
        return ApiError(422, "invalid_prompt", message, param="text")
    if not isinstance(exc, PromptIntegrityError):
        # Publishing a body identical to the latest version, or racing another publish.
        return ApiError(409, "prompt_conflict", message)
    # An edited published version is an operator's problem; its path stays in the log.
    logger.error("prompt catalogue is inconsistent: %s", exc)
    return ApiError(500, "prompt_unavailable", "This workflow's prompt is unavailable right now.")


def _database_error(exc: DBAPIError, owner: bool) -> ApiError:
    # Lost connections (server gone, restarting, pool exhausted) are the database
    # being unavailable; the pool pre-pings, so the next request after it returns
    # works again without a restart. Anything else (a constraint, a bad query) is our bug.
    if isinstance(exc, (OperationalError, InterfaceError)) or exc.connection_invalidated:
        logger.warning("database unavailable: %s", type(exc.orig or exc).__name__)
        return dependency_unavailable("database")
    logger.error("database error", exc_info=exc)
    return internal_error()


def _redis_error(exc: Exception, owner: bool) -> ApiError:
    # Rate limits and the cache fail open without Redis; this covers any other use.
    logger.warning("redis unavailable: %s", type(exc).__name__)
    return dependency_unavailable("redis")


# Exception class -> converter(exc, caller_is_owner); the most specific class in the
# exception's MRO wins. Request bodies are validated by ``requests.validate`` (an
# ApiError already): any other pydantic error is our bug, hence a 500.
_TABLE: dict[type[BaseException], Callable[[Any, bool], ApiError]] = {
    ApiError: lambda exc, owner: exc,
    GatewayError: lambda exc, owner: _gateway_error(exc),
    UsageError: _usage_error,
    PromptNotFoundError: _prompt_error,
    PromptVariableError: _prompt_error,
    PromptFormatError: _prompt_error,
    PromptIntegrityError: _prompt_error,
    PromptError: _prompt_error,
    DBAPIError: _database_error,
    PoolTimeoutError: lambda exc, owner: dependency_unavailable("database"),
    RedisConnectionError: _redis_error,
    RedisTimeoutError: _redis_error,
    # JSON allows "\ud800", Python decodes it, and text that holds it cannot be encoded
    # (hashed, stored, sent on): the client's input, not our failure.
    UnicodeEncodeError: lambda exc, owner: invalid_unicode(),
}


def to_api_error(exc: BaseException, *, owner: bool = False) -> ApiError:
    """The HTTP answer for ``exc``; unknown exceptions are logged and become a 500.

    ``owner``: whether the caller owns the workspace (owners may see dollar amounts).
    """
    for kind in type(exc).__mro__:
        convert = _TABLE.get(kind)
        if convert is not None:
            return convert(exc, owner)
    logger.error("unhandled error", exc_info=exc)
    return internal_error()
