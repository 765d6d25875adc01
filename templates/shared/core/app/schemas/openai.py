"""OpenAI-compatible chat completions and model list, so existing OpenAI clients work.

Only what this API serves is modelled; other request fields (tools, logprobs, n,
seed, ...) are accepted and ignored rather than half-supported.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.chat import MAX_MESSAGES


class TextPart(BaseModel):
    """A text content part (other part types are not served)."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["text"]
    text: str


class CompletionMessage(BaseModel):
    """One message, with text or text parts as content."""

    model_config = ConfigDict(extra="ignore")

    # "developer" is the newer name OpenAI uses for "system".
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]

    def text(self) -> str:
        """The message's text, with content parts joined."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(BaseModel):
    """``include_usage``: a last chunk with the usage."""

    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``. The workflow comes from the ``X-Workflow`` header
    or ``metadata.workflow``; ``model`` is a model the tier allows, or ``auto``."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(max_length=120)
    messages: list[CompletionMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    temperature: float | None = Field(default=None, ge=0, le=2)
    stop: str | list[str] | None = None
    metadata: dict[str, str] | None = None
    user: str | None = Field(default=None, description="Accepted and ignored: the key says who.")


class CompletionUsageDetails(BaseModel):
    """Cached prompt tokens (counted inside ``prompt_tokens``)."""

    cached_tokens: int = 0


class CompletionUsage(BaseModel):
    """Token counts, OpenAI-style."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: CompletionUsageDetails = Field(default_factory=CompletionUsageDetails)


class AssistantMessage(BaseModel):
    """The answer."""

    role: Literal["assistant"] = "assistant"
    content: str


class CompletionChoice(BaseModel):
    """The one choice of a completion."""

    index: int = 0
    message: AssistantMessage
    finish_reason: str | None = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    """A non-streamed completion."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: CompletionUsage
    system_fingerprint: str | None = None


class ChunkDelta(BaseModel):
    """What a chunk adds to the answer."""

    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    """The one choice of a chunk."""

    index: int = 0
    delta: ChunkDelta
    finish_reason: str | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    """One streamed chunk; the last one (``choices: []``) may carry the usage."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None


class ModelCard(BaseModel):
    """A model the caller may name."""

    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str


class ModelList(BaseModel):
    """``GET /v1/models``: the models the caller's tier may use (and ``auto``)."""

    object: Literal["list"] = "list"
    data: list[ModelCard]
