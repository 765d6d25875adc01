"""Every endpoint of the API, as the OpenAPI document describes it.

A new route gets one ``Route`` here, beside its handler in each web layer (an
optional feature's routes go in ``features.py``, which its template layer
replaces): ``tests/web/test_openapi.py`` fails, naming the route, when a served
route is missing from this table or differs from it (FastAPI: its own document;
Flask: its URL map). ``name`` is the handler's function name: FastAPI derives the
operation's id and summary from it, and so does ``build_document``.
"""

from __future__ import annotations

from app.openapi.features import FEATURE_ROUTES
from app.openapi.route import ALL_ERRORS, CLIENT_ERRORS, Param, Route
from app.schemas.billing import CheckoutBody, CheckoutSessionOut, PortalSessionOut, WebhookAck
from app.schemas.chat import ChatBody, ChatResponse
from app.schemas.credits import CreditBalance, CreditGrantBody, CreditGrantResult
from app.schemas.feedback import FeedbackBody, FeedbackResult
from app.schemas.keys import ApiKeyInfo, ApiKeyList, CreatedApiKey, CreateKeyBody
from app.schemas.openai import ChatCompletion, ChatCompletionRequest, ModelList
from app.schemas.prompts import PromptList, PublishedPrompt, PublishPromptBody
from app.schemas.reports import MarginsReportOut, OutliersReportOut, RetriesReportOut
from app.schemas.usage import UsageReport

__all__ = ["ALL_ERRORS", "CLIENT_ERRORS", "ROUTES", "Param", "Route"]

CACHE = Param("cache", str | None)
# Billing names its server errors: 502 when Stripe refuses, 503 when it is down or
# not configured.
BILLING_ERRORS = ("4XX", "502", "503")
WORKSPACE_HELP = "Operators: the workspace's id or name."
REPORT_PARAMS = (
    Param("period", str | None, description="The month, `YYYY-MM` (default: this month, UTC)."),
    Param("workflow", str | None, description="Only this workflow."),
)

CORE_ROUTES: tuple[Route, ...] = (
    Route(
        "get",
        "/healthz",
        "healthz",
        "health",
        "Whether the app is up and its database answers (503 when it does not).",
        errors=(),
    ),
    Route(
        "get",
        "/readyz",
        "readyz",
        "health",
        "Whether every dependency answers: the database, and Redis when configured,\n"
        "and the database is migrated to this code's head (``migrations``).\n\n"
        "503 (with ``Retry-After``) when one does not; ``degraded`` counts the rate-limit\n"
        "checks and cache operations this process served without Redis.",
        errors=(),
    ),
    Route(
        "post",
        "/v1/chat",
        "chat",
        "chat",
        "Run ``body.workflow`` (or the default) through the usage layer.",
        body=ChatBody,
        response=ChatResponse,
        success="JSON, or SSE when streaming",
        streams=True,
        params=(CACHE,),
        errors=ALL_ERRORS,
    ),
    Route(
        "post",
        "/v1/chat/completions",
        "chat_completions",
        "openai-compatible",
        "A chat completion, plain or streamed (``stream: true``).",
        body=ChatCompletionRequest,
        response=ChatCompletion,
        streams=True,
        params=(CACHE,),
        errors=ALL_ERRORS,
    ),
    Route(
        "get",
        "/v1/models",
        "list_models",
        "openai-compatible",
        "``auto`` and the models the caller's tier may use.",
        response=ModelList,
        errors=ALL_ERRORS,
    ),
    Route(
        "get",
        "/v1/usage",
        "get_usage",
        "usage",
        "The caller's usage; owners may ask for any user of their workspace.",
        response=UsageReport,
        params=(Param("user", str | None, description="Owners: a user id or email, or `all`."),),
    ),
    Route(
        "get",
        "/v1/credits",
        "get_credits",
        "credits",
        "The workspace's credit balance.",
        response=CreditBalance,
    ),
    Route(
        "post",
        "/v1/credits",
        "grant_credits",
        "credits",
        "Add credits to any workspace (operators only).",
        body=CreditGrantBody,
        response=CreditGrantResult,
        status=201,
    ),
    Route(
        "get",
        "/v1/prompts",
        "list_prompts",
        "prompts",
        "Every prompt's versions, experiment, and the version that serves the caller.",
        response=PromptList,
    ),
    Route(
        "post",
        "/v1/prompts",
        "publish_prompt",
        "prompts",
        "Publish a new, immutable version of a prompt (operators only).",
        body=PublishPromptBody,
        response=PublishedPrompt,
        status=201,
    ),
    Route(
        "post",
        "/v1/usage/{event_id}/feedback",
        "give_feedback",
        "usage",
        "Record whether a call's answer was usable (members: their own calls).",
        body=FeedbackBody,
        response=FeedbackResult,
        params=(Param("event_id", str, "path"),),
    ),
    Route(
        "get",
        "/v1/keys",
        "list_keys",
        "keys",
        "The workspace's keys, revoked ones included (owners; operators: any workspace).",
        response=ApiKeyList,
        params=(Param("workspace", str | None, description=WORKSPACE_HELP),),
    ),
    Route(
        "post",
        "/v1/keys",
        "create_key",
        "keys",
        "A new owner or member key; the key is shown in this answer only.",
        body=CreateKeyBody,
        response=CreatedApiKey,
        status=201,
    ),
    Route(
        "delete",
        "/v1/keys/{key_id}",
        "revoke_key",
        "keys",
        "Revoke a key: it fails from the next request on, in every worker.",
        response=ApiKeyInfo,
        params=(Param("key_id", str, "path"),),
    ),
    Route(
        "get",
        "/v1/reports/margins",
        "get_margins",
        "reports",
        "Revenue, spend and margin per workspace; cost per request and per usable answer.",
        response=MarginsReportOut,
        params=REPORT_PARAMS,
    ),
    Route(
        "get",
        "/v1/reports/outliers",
        "get_outliers",
        "reports",
        "Users spending more than three times the median user.",
        response=OutliersReportOut,
        params=REPORT_PARAMS,
    ),
    Route(
        "get",
        "/v1/reports/retries",
        "get_retries",
        "reports",
        "Retry and failure spend per workspace and workflow.",
        response=RetriesReportOut,
        params=REPORT_PARAMS,
    ),
    Route(
        "get",
        "/metrics",
        "metrics",
        "operations",
        "Prometheus text: requests, provider calls, breakers, cache, spend, backlogs.",
        empty=True,
    ),
    Route(
        "post",
        "/v1/billing/checkout",
        "billing_checkout",
        "billing",
        "A Stripe Checkout session for a tier or a credit pack (owners only).",
        body=CheckoutBody,
        response=CheckoutSessionOut,
        errors=BILLING_ERRORS,
    ),
    Route(
        "post",
        "/v1/billing/portal",
        "billing_portal",
        "billing",
        "A Stripe customer-portal session (owners only).",
        response=PortalSessionOut,
        errors=BILLING_ERRORS,
    ),
    Route(
        "post",
        "/v1/billing/webhook",
        "billing_webhook",
        "billing",
        "Stripe's events, verified by their ``Stripe-Signature`` and applied once.",
        response=WebhookAck,
        params=(Param("stripe-signature", str | None, "header"),),
        errors=BILLING_ERRORS,
    ),
)
# The optional features' routes come last.
ROUTES: tuple[Route, ...] = (*CORE_ROUTES, *FEATURE_ROUTES)
