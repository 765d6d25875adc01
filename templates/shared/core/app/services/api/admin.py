"""Account endpoints: ``/v1/usage`` (and call feedback), ``/v1/credits``, ``/v1/prompts``.

Who may do what is ``app.services.accounts.permissions``; each method checks its action."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from app.core.catalog import WORKFLOWS
from app.schemas.credits import CreditBalance, CreditGrantBody, CreditGrantResult
from app.schemas.feedback import FeedbackBody, FeedbackResult
from app.schemas.prompts import (
    ExperimentInfo,
    PromptInfo,
    PromptList,
    PublishedPrompt,
    PublishPromptBody,
)
from app.schemas.usage import UsageReport
from app.services.api import reports
from app.services.api.auth import Caller
from app.services.api.calls import (
    MeteredCalls,
    assignment_key,
    usd,
)
from app.services.api.errors import not_found
from app.services.api.scope import target_workspace
from app.services.prompts.publishing import publish_rate_limited


class AdminApi(MeteredCalls):
    """What a workspace has used and holds, and its prompts (publishing: operators)."""

    # -- GET /v1/usage, /v1/credits, /v1/prompts -----------------------------------------

    async def usage(self, caller: Caller, user: str | None) -> UsageReport:
        """This period's usage for the caller, or (owners) any user of the workspace."""
        user_id = await reports.resolve_user(self.runtime.db, caller, user)
        status = await self.runtime.usage.budget_status(caller.workspace_id, caller.entitlement)
        return await reports.usage_report(self.runtime.db, caller, user_id, status)

    async def feedback(self, caller: Caller, event_id: str, body: FeedbackBody) -> FeedbackResult:
        """Record whether a call's answer was usable: a call of the caller's workspace
        (members: their own calls); 404 for any other id."""
        own_calls_only = caller.require("give_feedback") == "self"
        event = _event_id(event_id)
        # A member's key without a user has no calls of its own to mark.
        if own_calls_only and caller.user_id is None:
            event = None
        found = event is not None and await reports.mark_usable(
            self.runtime.db,
            caller.workspace_id,
            event,
            body.usable,
            user_id=caller.user_id if own_calls_only else None,
        )
        if not found:
            raise not_found("unknown_event", "There is no such call in your workspace.")
        return FeedbackResult(event_id=str(event), usable=body.usable)

    async def credits(self, caller: Caller) -> CreditBalance:
        """The workspace's prepaid credit balance."""
        caller.require("view_credits")
        balance = await self.runtime.usage.credit_balance(caller.workspace_id)
        return reports.credit_balance(caller.workspace_id, balance)

    async def grant_credits(self, caller: Caller, body: CreditGrantBody) -> CreditGrantResult:
        """Add credits to any workspace (operators only: owners buy them through Checkout)."""
        workspace_id = await target_workspace(
            self.runtime.db, caller, "grant_credits", body.workspace
        )
        try:
            grant_id = await self._grant(workspace_id, body)
        except IntegrityError:
            if body.reference is None:
                raise
            # A concurrent grant with the same reference won the race: it is the grant.
            grant_id = await self._grant(workspace_id, body)
        balance = await self.runtime.usage.credit_balance(workspace_id)
        return CreditGrantResult(
            grant_id=str(grant_id),
            amount_usd=usd(body.amount_usd),
            balance=reports.credit_balance(workspace_id, balance),
        )

    async def _grant(self, workspace_id: uuid.UUID, body: CreditGrantBody) -> uuid.UUID:
        return await self.runtime.usage.grant_credits(
            workspace_id,
            body.amount_usd,
            reason=body.reason,
            expires_at=body.expires_at,
            reference=body.reference,
        )

    def prompts(self, caller: Caller) -> PromptList:
        """Every published prompt: versions, experiment, and the version serving the caller."""
        caller.require("list_prompts")
        store = self.runtime.prompts
        experiments = store.experiments()
        data = []
        for name, versions in sorted(store.published().items()):
            experiment = experiments.get(name)
            data.append(
                PromptInfo(
                    name=name,
                    versions=list(versions),
                    latest=versions[-1],
                    serving=store.resolve(name, assignment_key(caller)).ref,
                    experiment=ExperimentInfo(
                        name=experiment.name,
                        weights={f"v{v}": int(w) for v, w in experiment.weights},
                    )
                    if experiment
                    else None,
                    workflows=[w.name for w in WORKFLOWS.values() if w.prompt == name],
                )
            )
        return PromptList(data=data)

    async def publish_prompt(self, caller: Caller, body: PublishPromptBody) -> PublishedPrompt:
        """Publish a new version of an existing prompt (operators only: a version serves
        every workspace; rate-limited)."""
        caller.require("publish_prompts")
        store = self.runtime.prompts
        if body.name not in store.published():
            raise not_found(
                "unknown_prompt", f"There is no prompt named {body.name}.", param="name"
            )
        version = await publish_rate_limited(
            store,  # the database: every instance serves it within PROMPT_REFRESH_SECONDS
            self.runtime.limiter,
            workspace_id=caller.workspace_id,
            name=body.name,
            text=body.text,
            per_minute=self.runtime.settings.prompt_publishes_per_minute,
        )
        return PublishedPrompt(
            name=version.name, version=version.version, ref=version.ref, sha256=version.sha256
        )


def _event_id(value: str) -> uuid.UUID | None:
    """A ledger id as the API shows it: a UUID, or a completion's ``chatcmpl-<hex>``."""
    try:
        return uuid.UUID(value.strip().removeprefix("chatcmpl-"))
    except ValueError:
        return None
