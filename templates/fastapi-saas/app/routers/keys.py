"""``GET/POST /v1/keys``, ``DELETE /v1/keys/{key_id}``: a workspace's API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import ApiDep, CallerDep, JsonCallerDep
from app.schemas.errors import ErrorBody
from app.schemas.keys import ApiKeyInfo, ApiKeyList, CreatedApiKey, CreateKeyBody

router = APIRouter(prefix="/v1", tags=["keys"])


@router.get("/keys", response_model=ApiKeyList, responses={"4XX": {"model": ErrorBody}})
async def list_keys(
    caller: CallerDep,
    api: ApiDep,
    workspace: Annotated[
        str | None, Query(description="Operators: the workspace's id or name.")
    ] = None,
) -> ApiKeyList:
    """The workspace's keys, revoked ones included (owners; operators: any workspace)."""
    return await api.keys(caller, workspace)


@router.post(
    "/keys", response_model=CreatedApiKey, status_code=201, responses={"4XX": {"model": ErrorBody}}
)
async def create_key(caller: JsonCallerDep, body: CreateKeyBody, api: ApiDep) -> CreatedApiKey:
    """A new owner or member key; the key is shown in this answer only."""
    return await api.create_key(caller, body)


@router.delete("/keys/{key_id}", response_model=ApiKeyInfo, responses={"4XX": {"model": ErrorBody}})
async def revoke_key(key_id: str, caller: CallerDep, api: ApiDep) -> ApiKeyInfo:
    """Revoke a key: it fails from the next request on, in every worker."""
    return await api.revoke_key(caller, key_id)
