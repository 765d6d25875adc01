"""``POST /v1/chat``: run one workflow and answer in its units, plain or streamed (SSE)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_MESSAGES = 200


class ChatMessage(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class ChatBody(BaseModel):
    """A workflow run: the conversation (``messages``), or the prompt's ``variables``, or both.

    The workflow's published prompt is always the system prompt; ``variables``
    fill its placeholders and ``input`` is a shorthand for one user message.
    """

    # Unknown fields are dropped, never honoured (no debug or test switches from clients).
    model_config = ConfigDict(extra="ignore")

    workflow: str | None = Field(
        default=None, max_length=64, description="The workflow to run; the default when absent."
    )
    messages: list[ChatMessage] | None = Field(default=None, max_length=MAX_MESSAGES)
    input: str | None = Field(default=None, min_length=1, description="One user message.")
    variables: dict[str, str | int | float] | None = Field(
        default=None, description="Values for the prompt's placeholders."
    )
    model: str | None = Field(
        default=None,
        max_length=120,
        description="A model the tier allows, or `auto` (the default) for routing's choice.",
    )
    max_output_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    temperature: float | None = Field(default=None, ge=0, le=2)
    stream: bool = False

    @model_validator(mode="after")
    def _needs_something_to_answer(self) -> ChatBody:
        if not self.messages and self.input is None and self.variables is None:
            raise ValueError("give messages, input or variables")
        return self


class ChatUsage(BaseModel):
    """What a call used, in tokens and in the units the product sells."""

    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    unit: str = Field(description="The workflow's unit, e.g. report.")
    units: int = Field(description="How many units this call counts as (0 when it failed).")
    cost_usd: str | None = Field(
        default=None, description="Provider cost in USD: workspace owners only, null if unknown."
    )


class ChatResponse(BaseModel):
    """A finished workflow run (``stream: false``)."""

    # Optional features the spec turns on may add fields of their own.
    model_config = ConfigDict(extra="allow")

    id: str = Field(description="The ledger row of this call.")
    object: Literal["chat.result"] = "chat.result"
    workflow: str
    model: str
    provider: str
    prompt_version: str | None = None
    text: str
    finish_reason: str | None = None
    cached: bool = False
    usage: ChatUsage
    warnings: list[str] = Field(default_factory=list)


class ChatDelta(BaseModel):
    """SSE ``event: delta``: a piece of the answer."""

    text: str


class ChatStreamEnd(BaseModel):
    """SSE ``event: end``: the last event of a successful stream."""

    id: str
    workflow: str
    model: str
    provider: str
    prompt_version: str | None = None
    finish_reason: str | None = None
    cached: bool = False
    usage: ChatUsage
    warnings: list[str] = Field(default_factory=list)
