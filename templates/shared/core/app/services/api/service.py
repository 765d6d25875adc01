"""What every endpoint does, framework-free: the web layers only translate HTTP.

Each method takes the authenticated ``Caller`` and a validated request body
(``app.schemas``) and returns a response body, or raises an exception that
``app.services.api.errors.to_api_error`` turns into the HTTP answer. Streams
are *opened* here (every refusal happens before the first byte) and encoded to
server-sent events by ``chat_events`` / ``completion_events``.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.core.catalog import MODELS, PRODUCT_SLUG
from app.schemas.openai import ModelCard, ModelList
from app.services.api import reports
from app.services.api.admin import AdminApi
from app.services.api.auth import Caller, authenticate
from app.services.api.billing import BillingApi
from app.services.api.calls import AUTO_MODEL, OpenedStream, Prepared, note_rate, warning_text
from app.services.api.chat import ChatApi
from app.services.api.completions import CompletionsApi
from app.services.api.features import FeatureApis
from app.services.api.keys import KeysApi
from app.services.api.observability import ObservabilityApi
from app.services.api.reporting import ReportsApi
from app.services.usage.ratelimit import rate_key

# The web layers import these from here.
__all__ = ["ApiService", "OpenedStream", "Prepared", "warning_text"]


class ApiService(
    FeatureApis,
    ChatApi,
    CompletionsApi,
    AdminApi,
    KeysApi,
    ObservabilityApi,
    ReportsApi,
    BillingApi,
):
    """The HTTP API's behaviour, shared by the FastAPI and Flask apps: chat
    (``chat.py``), completions (``completions.py``) and account endpoints
    (``admin.py``), key management (``keys.py``), metrics (``observability.py``) and
    reports (``reporting.py``) over the shared steps of ``calls.py``; optional features
    the spec turns on come first (``features.py``)."""

    # -- who is calling ------------------------------------------------------------------

    async def authenticate(self, authorization: str | None, headers: Mapping[str, str]) -> Caller:
        """The caller behind the API key (401/403 otherwise), with its response headers."""
        caller = await authenticate(self.runtime.accounts, authorization, headers)
        # Prompt versions published on other instances: one cheap query per interval.
        await self.runtime.prompts.refresh()
        # Where the caller's bucket stands; model calls update it as they count.
        entitlement = caller.entitlement
        decision = await self.runtime.limiter.peek(
            rate_key(caller.workspace_id, caller.user_id),
            per_minute=entitlement.requests_per_minute,
            burst=entitlement.requests_per_minute,  # the usage layer's default burst
        )
        note_rate(caller, decision)
        status = await self.runtime.usage.budget_status(caller.workspace_id, caller.entitlement)
        caller.meta.warnings.extend(reports.standing_warnings(caller, status))
        return caller

    # -- models --------------------------------------------------------------------------

    def models(self, caller: Caller) -> ModelList:
        """``auto`` and the catalog models the caller's tier allows."""
        caller.require("call_models")
        cards = [ModelCard(id=AUTO_MODEL, owned_by=PRODUCT_SLUG)]
        cards += [
            ModelCard(id=model, owned_by=MODELS[model].routes[0][0] if MODELS[model].routes else "")
            for model in caller.entitlement.allowed_models
            if model in MODELS
        ]
        return ModelList(data=cards)
