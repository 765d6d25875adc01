"""``GET/POST /v1/prompts``: published prompt versions and experiments; operators publish."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ExperimentInfo(BaseModel):
    """How traffic is split between a prompt's versions."""

    name: str
    weights: dict[str, int] = Field(description="Version ref (v2) -> relative weight.")


class PromptInfo(BaseModel):
    """One prompt of the catalogue."""

    name: str
    versions: list[int] = Field(description="Published versions, oldest first.")
    latest: int
    serving: str = Field(description="The version that serves the caller, e.g. summarize@v2.")
    experiment: ExperimentInfo | None = None
    workflows: list[str] = Field(description="Workflows using this prompt.")


class PromptList(BaseModel):
    """Every published prompt."""

    data: list[PromptInfo]


class PublishPromptBody(BaseModel):
    """A new version of ``name``: the whole file, front matter and body."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=64)
    # PROMPT_MAX_BYTES (413) is the real limit; this only bounds what is validated.
    text: str = Field(min_length=1, max_length=1_048_576)


class PublishedPrompt(BaseModel):
    """The version just published."""

    name: str
    version: int
    ref: str
    sha256: str
