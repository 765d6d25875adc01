"""Account endpoints: ``/v1/usage``, ``/v1/credits`` and ``/v1/prompts``."""

from __future__ import annotations

from app.core.catalog import WORKFLOWS
from app.schemas.credits import CreditBalance, CreditGrantBody, CreditGrantResult
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
from app.services.prompts.publishing import publish_rate_limited


class AdminApi(MeteredCalls):
    """What a workspace has used and holds, and its prompts (publishing: owners only)."""

    # -- GET /v1/usage, /v1/credits, /v1/prompts -----------------------------------------

    async def usage(self, caller: Caller, user: str | None) -> UsageReport:
        """This period's usage for the caller, or (owners) any user of the workspace."""
        user_id = await reports.resolve_user(self.runtime.db, caller, user)
        status = await self.runtime.usage.budget_status(caller.workspace_id, caller.entitlement)
        return await reports.usage_report(self.runtime.db, caller, user_id, status)

    async def credits(self, caller: Caller) -> CreditBalance:
        """The workspace's prepaid credit balance."""
        balance = await self.runtime.usage.credit_balance(caller.workspace_id)
        return reports.credit_balance(caller, balance)

    async def grant_credits(self, caller: Caller, body: CreditGrantBody) -> CreditGrantResult:
        """Add credits to the caller's workspace (owners only)."""
        caller.require_owner("grant credits")
        grant_id = await self.runtime.usage.grant_credits(
            caller.workspace_id,
            body.amount_usd,
            reason=body.reason,
            expires_at=body.expires_at,
            reference=body.reference,
        )
        balance = await self.runtime.usage.credit_balance(caller.workspace_id)
        return CreditGrantResult(
            grant_id=str(grant_id),
            amount_usd=usd(body.amount_usd),
            balance=reports.credit_balance(caller, balance),
        )

    def prompts(self, caller: Caller) -> PromptList:
        """Every published prompt: versions, experiment, and the version serving the caller."""
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
        """Publish a new version of an existing prompt (owners only, rate-limited)."""
        caller.require_owner("publish prompts")
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
