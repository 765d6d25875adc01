"""``GET/POST /v1/prompts``: published prompt versions and experiments; operators publish."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import ApiDep, CallerDep, JsonCallerDep
from app.schemas.errors import ErrorBody
from app.schemas.prompts import PromptList, PublishedPrompt, PublishPromptBody

router = APIRouter(prefix="/v1", tags=["prompts"])


@router.get("/prompts", response_model=PromptList, responses={"4XX": {"model": ErrorBody}})
async def list_prompts(caller: CallerDep, api: ApiDep) -> PromptList:
    """Every prompt's versions, experiment, and the version that serves the caller."""
    return api.prompts(caller)


@router.post(
    "/prompts",
    response_model=PublishedPrompt,
    status_code=201,
    responses={"4XX": {"model": ErrorBody}},
)
async def publish_prompt(
    caller: JsonCallerDep, body: PublishPromptBody, api: ApiDep
) -> PublishedPrompt:
    """Publish a new, immutable version of a prompt (operators only)."""
    return await api.publish_prompt(caller, body)
