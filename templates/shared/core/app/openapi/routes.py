"""Every endpoint of the API, as the OpenAPI document describes it.

A new route gets one ``Route`` here, beside its handler in each web layer:
``tests/web/test_openapi.py`` fails, naming the route, when a served route is
missing from this table or differs from it (FastAPI: its own document; Flask: its
URL map). ``name`` is the handler's function name: FastAPI derives the operation's
id and summary from it, and so does ``build_document``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from app.schemas.chat import ChatBody, ChatResponse
from app.schemas.credits import CreditBalance, CreditGrantBody, CreditGrantResult
from app.schemas.errors import ErrorBody
from app.schemas.openai import ChatCompletion, ChatCompletionRequest, ModelList
from app.schemas.prompts import PromptList, PublishedPrompt, PublishPromptBody
from app.schemas.usage import UsageReport

CLIENT_ERRORS = ("4XX",)
ALL_ERRORS = ("4XX", "5XX")


@dataclass(frozen=True, slots=True)
class Param:
    """A query or path parameter."""

    name: str
    annotation: Any  # its Python type, e.g. ``str | None``
    where: str = "query"  # "query" or "path"
    description: str | None = None

    @property
    def required(self) -> bool:
        # Path parameters always are; the API's query parameters are all optional.
        return self.where == "path"


@dataclass(frozen=True, slots=True)
class Route:
    """One operation: what it reads, what it answers, and its error responses."""

    method: str  # lowercase: "get", "post", "delete"
    path: str  # OpenAPI form: "/v1/keys/{key_id}"
    name: str  # the handler's function name
    tag: str
    description: str = ""
    body: type[BaseModel] | None = None  # the JSON request body
    response: type[BaseModel] | None = None  # the success body; None: any JSON
    status: int = 200
    success: str = "Successful Response"  # the success response's description
    streams: bool = False  # the success response may also be text/event-stream
    params: tuple[Param, ...] = ()
    errors: tuple[str, ...] = CLIENT_ERRORS  # statuses answered with ErrorBody


CACHE = Param("cache", str | None)

ROUTES: tuple[Route, ...] = (
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
        "Whether every dependency answers: the database, and Redis when configured.\n\n"
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
        "Add credits to the caller's workspace (owners only).",
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
        "Publish a new, immutable version of a prompt (owners only).",
        body=PublishPromptBody,
        response=PublishedPrompt,
        status=201,
    ),
    Route(
        "post",
        "/v1/billing/webhook",
        "billing_webhook",
        "billing",
        "Not implemented yet: always 501.",
        response=ErrorBody,
        status=501,
        errors=(),
    ),
)
