"""``/v1/keys``: a workspace's API keys (owners: their own workspace; operators: any)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ApiKeyInfo(BaseModel):
    """An API key as listed: never its secret or its hash."""

    id: str
    workspace_id: str
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    user_id: str | None
    user: str | None = Field(description="The user's email, or the product's own user id.")
    role: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most every five minutes.")
    revoked_at: datetime | None = Field(
        description="When the key stopped (or, after a rotation's grace, stops) working."
    )


class ApiKeyList(BaseModel):
    """A workspace's keys, revoked ones included, oldest first."""

    workspace_id: str
    data: list[ApiKeyInfo]


class CreateKeyBody(BaseModel):
    """A new key for a user of the workspace (added when missing).

    Operator keys are created only from the command line (``python -m app keys create``).
    """

    model_config = ConfigDict(extra="ignore")

    user: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^\S(.*\S)?$",
        description="The user's email, or the product's own user id.",
    )
    role: Literal["owner", "member"] = "member"
    name: str | None = Field(default=None, min_length=1, max_length=100)
    workspace: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Operators: the workspace's id or name (default: the caller's own).",
    )


class CreatedApiKey(ApiKeyInfo):
    """A new key: ``key`` is shown this once and stored only as a hash."""

    key: str
