"""Real provider error answers, as providers send them, and what each must mean.

Bodies are copied from provider documentation and from error reports in public
issue trackers (request ids and account ids shortened). Out of money is not
always a 402: OpenAI says it with a 429, Anthropic with a 400 or a 429, Gemini
with a 429 whose details name a daily quota.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class ErrorCase:
    name: str
    provider: str  # one of the six providers (its wire format follows)
    status: int
    body: bytes
    outcome: str  # the AttemptOutcome value the gateway must classify it as
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None  # seconds the classification must extract


def _j(data: Any) -> bytes:
    return json.dumps(data).encode()


def _anthropic(kind: str, message: str, **extra: Any) -> bytes:
    return _j(
        {
            "type": "error",
            "error": {"type": kind, "message": message, **extra},
            "request_id": "req_011CZ47RMLnx1JoJXRrzzSde",
        }
    )


def _google(code: int, status: str, message: str, details: list[Any] | None = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return _j({"error": error})


_OPENAI_QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: "
    "https://platform.openai.com/docs/guides/error-codes/api-errors."
)
_GEMINI_QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
)
_HELP = {
    "@type": "type.googleapis.com/google.rpc.Help",
    "links": [
        {
            "description": "Learn more about Gemini API quotas",
            "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
        }
    ],
}


def _violation(metric: str, quota_id: str) -> dict[str, Any]:
    return {
        "quotaMetric": f"generativelanguage.googleapis.com/{metric}",
        "quotaId": quota_id,
        "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
    }


CASES: list[ErrorCase] = [
    # OpenAI
    ErrorCase(
        "openai out of credit (429 insufficient_quota)",
        "openai",
        429,
        _j(
            {
                "error": {
                    "message": _OPENAI_QUOTA,
                    "type": "insufficient_quota",
                    "param": None,
                    "code": "insufficient_quota",
                }
            }
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "openai out of credit, older shape (code null)",
        "openai",
        429,
        _j(
            {
                "error": {
                    "message": "You exceeded your current quota, please check your plan and "
                    "billing details.",
                    "type": "insufficient_quota",
                    "param": None,
                    "code": None,
                }
            }
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "openai rate limit",
        "openai",
        429,
        _j(
            {
                "error": {
                    "message": "Rate limit reached for gpt-4.1-mini in organization org-abc on "
                    "requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in "
                    "20s.",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            }
        ),
        "rate_limited",
        headers={"retry-after": "20"},
        retry_after=20.0,
    ),
    ErrorCase(
        "openai bad key",
        "openai",
        401,
        _j(
            {
                "error": {
                    "message": "Incorrect API key provided: sk-abc***xyz. You can find your API "
                    "key at https://platform.openai.com/account/api-keys.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            }
        ),
        "auth_failed",
    ),
    ErrorCase(
        "openai context too long",
        "openai",
        400,
        _j(
            {
                "error": {
                    "message": "This model's maximum context length is 128000 tokens. However, "
                    "your messages resulted in 130532 tokens. Please reduce the length of the "
                    "messages.",
                    "type": "invalid_request_error",
                    "param": "messages",
                    "code": "context_length_exceeded",
                }
            }
        ),
        "bad_request",
    ),
    ErrorCase(
        "openai server error",
        "openai",
        500,
        _j(
            {
                "error": {
                    "message": "The server had an error while processing your request. Sorry "
                    "about that!",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
            }
        ),
        "server_error",
    ),
    # Anthropic
    ErrorCase(
        "anthropic billing error (402)",
        "anthropic",
        402,
        _anthropic(
            "billing_error",
            "Your account has a billing issue. Please visit Plans & Billing to resolve it.",
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "anthropic credit balance too low (400)",
        "anthropic",
        400,
        _anthropic(
            "invalid_request_error",
            "Your credit balance is too low to access the "
            "Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "anthropic console spend limit (400)",
        "anthropic",
        400,
        _anthropic(
            "invalid_request_error",
            "You have reached your specified API usage limits. "
            "You will regain access on 2026-04-01 at 00:00 UTC.",
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "anthropic monthly spend limit (429 with error code)",
        "anthropic",
        429,
        _anthropic(
            "rate_limit_error",
            "This request would exceed your account's monthly spend limit. Please try again later.",
            details={"error_code": "enforced_spend_limit_reached"},
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "anthropic rate limit",
        "anthropic",
        429,
        _anthropic("rate_limit_error", "Rate limited", details=None),
        "rate_limited",
        headers={"retry-after": "7"},
        retry_after=7.0,
    ),
    ErrorCase(
        "anthropic overloaded (529)",
        "anthropic",
        529,
        _anthropic("overloaded_error", "Overloaded"),
        "server_error",
    ),
    ErrorCase(
        "anthropic bad key",
        "anthropic",
        401,
        _anthropic("authentication_error", "invalid x-api-key"),
        "auth_failed",
    ),
    ErrorCase(
        "anthropic prompt too long",
        "anthropic",
        400,
        _anthropic("invalid_request_error", "prompt is too long: 205013 tokens > 200000 maximum"),
        "bad_request",
    ),
    # Google Gemini
    ErrorCase(
        "gemini per-minute rate limit",
        "google",
        429,
        _google(
            429,
            "RESOURCE_EXHAUSTED",
            _GEMINI_QUOTA,
            [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        _violation(
                            "generate_content_free_tier_requests",
                            "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                        )
                    ],
                },
                _HELP,
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "44s"},
            ],
        ),
        "rate_limited",
        retry_after=44.0,
    ),
    ErrorCase(
        "gemini daily quota used up",
        "google",
        429,
        _google(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota. Go to "
            "https://aistudio.google.com/apikey to upgrade your quota tier, or submit a "
            "quota increase request in "
            "https://ai.google.dev/gemini-api/docs/rate-limits#request-rate-limit-increase",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_requests_per_model_per_day",
                            "quotaId": "GenerateRequestsPerDayPerProjectPerModel",
                        }
                    ],
                },
                _HELP,
            ],
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "gemini resource exhausted without details",
        "google",
        429,
        _google(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
        "rate_limited",
    ),
    ErrorCase(
        "gemini prepaid credits depleted (402)",
        "google",
        402,
        _google(
            402,
            "RESOURCE_EXHAUSTED",
            "Your prepayment credits are depleted. Please go to "
            "AI Studio at https://ai.studio/projects to manage your project and billing.",
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "gemini bad key (400 API_KEY_INVALID)",
        "google",
        400,
        _google(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": "API key not valid. Please pass a valid API key.",
                },
            ],
        ),
        "auth_failed",
    ),
    ErrorCase(
        "gemini input too long",
        "google",
        400,
        _google(
            400,
            "INVALID_ARGUMENT",
            "The input token count exceeds the maximum number of tokens allowed 1048576.",
        ),
        "bad_request",
    ),
    ErrorCase(
        "gemini overloaded",
        "google",
        503,
        _google(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
        "server_error",
    ),
    # DeepSeek, OpenRouter, Hugging Face (OpenAI-compatible)
    ErrorCase(
        "deepseek insufficient balance (402)",
        "deepseek",
        402,
        _j(
            {
                "error": {
                    "message": "Insufficient Balance",
                    "type": "unknown_error",
                    "param": None,
                    "code": "invalid_request_error",
                }
            }
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "openrouter insufficient credits (402)",
        "openrouter",
        402,
        _j(
            {
                "error": {
                    "message": "Insufficient credits. Add more using "
                    "https://openrouter.ai/settings/credits",
                    "code": 402,
                }
            }
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "openrouter cannot afford max_tokens (402)",
        "openrouter",
        402,
        _j(
            {
                "error": {
                    "message": "This request requires more credits, or fewer max_tokens. You "
                    "requested up to 4096 tokens, but can only afford 222. To increase, visit "
                    "https://openrouter.ai/settings/credits and upgrade to a paid account",
                    "code": 402,
                }
            }
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "openrouter moderation refused the input (403)",
        "openrouter",
        403,
        _j(
            {
                "error": {
                    "message": "anthropic/claude-haiku-4.5 requires moderation on OpenRouter. "
                    'Your input was flagged for "harassment"',
                    "code": 403,
                    "metadata": {"reasons": ["harassment"], "flagged_input": "..."},
                }
            }
        ),
        "bad_request",
    ),
    ErrorCase(
        "huggingface monthly credits used up (402, plain string error)",
        "huggingface",
        402,
        _j(
            {
                "error": "You have exceeded your monthly included credits for Inference Providers. "
                "Subscribe to PRO to get 20x more monthly included credits."
            }
        ),
        "quota_exhausted",
    ),
    ErrorCase(
        "a proxy's HTML 502",
        "openrouter",
        502,
        b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        "server_error",
    ),
]

# What the fake upstream sends for each scripted failure, per wire format. The
# rate-limit presets carry no Retry-After: tests add one with Failure(retry_after=...).
FAKE_FAILURES: dict[str, dict[str, ErrorCase]] = {
    "openai": {
        "rate_limited": replace(CASES[2], headers={}),
        "quota_exhausted": CASES[0],
        "auth_failed": CASES[3],
        "bad_request": CASES[4],
        "server_error": CASES[5],
    },
    "anthropic": {
        "rate_limited": replace(CASES[10], headers={}),
        "quota_exhausted": CASES[7],
        "auth_failed": CASES[12],
        "bad_request": CASES[13],
        "server_error": CASES[11],
    },
    "gemini": {
        "rate_limited": CASES[16],
        "quota_exhausted": CASES[15],
        "auth_failed": CASES[18],
        "bad_request": CASES[19],
        "server_error": CASES[20],
    },
}
