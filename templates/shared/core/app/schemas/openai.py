"""OpenAI-compatible chat completions and model list, so existing OpenAI clients work.

Only what this API serves is modelled. A request field that would change the
answer and is not served (``n`` above 1, ``tools``, ``response_format``,
``logprobs``, ...) is refused with 400 ``unsupported_parameter`` naming it
(``ChatCompletionRequest.unsupported``), never silently dropped; its "off" value
(``n: 1``, ``null``) is accepted. Fields that do not change the answer (``user``,
``seed``, ``store``, ``service_tier``, ...) and unknown ones are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.chat import MAX_MESSAGES

# OpenAI request fields this API does not serve, each with the values that mean
# "not used" (accepted). Any other value is refused, naming the field.
UNSERVED_FIELDS: dict[str, tuple[object, ...]] = {
    "n": (None, 1),
    "tools": (None, []),
    "tool_choice": (None, "none"),
    "parallel_tool_calls": (None,),
    "functions": (None, []),
    "function_call": (None, "none"),
    "response_format": (None, {"type": "text"}),
    "logprobs": (None, False),
    "top_logprobs": (None, 0),
    "logit_bias": (None, {}),
    "top_p": (None, 1),
    "presence_penalty": (None, 0),
    "frequency_penalty": (None, 0),
    "audio": (None,),
    "modalities": (None, ["text"]),
    "prediction": (None,),
    "reasoning_effort": (None,),
    "web_search_options": (None,),
}


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Why a request cannot be served as sent: the answer is a 400 naming ``param``."""

    code: str  # unsupported_parameter or empty_content
    param: str
    message: str


def _unused(value: object, allowed: tuple[object, ...]) -> bool:
    # `True == 1` in Python: a boolean only matches a boolean.
    return any(
        value == option and isinstance(value, bool) == isinstance(option, bool)
        for option in allowed
    )


class TextPart(BaseModel):
    """A content part; only ``text`` parts are served (others are refused by name)."""

    model_config = ConfigDict(extra="ignore")

    type: str = Field(max_length=64)
    text: str = ""


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

    # Fields not modelled are kept (``model_extra``) so ``unsupported`` can name them.
    model_config = ConfigDict(extra="allow")

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

    def unsupported(self) -> Unsupported | None:
        """The first thing in this request the API cannot serve as asked, if any."""
        for name, allowed in UNSERVED_FIELDS.items():
            value = (self.model_extra or {}).get(name)
            if not _unused(value, allowed):
                return Unsupported(
                    "unsupported_parameter",
                    name,
                    f"{name} is not supported by this API"
                    + (f" (only {name}: 1)" if name == "n" else "")
                    + "; leave it out or set it to null.",
                )
        for index, message in enumerate(self.messages):
            parts = message.content if isinstance(message.content, list) else []
            for number, part in enumerate(parts):
                if part.type != "text":
                    return Unsupported(
                        "unsupported_parameter",
                        f"messages[{index}].content[{number}].type",
                        f"messages[{index}].content[{number}] is a {part.type[:64]} part; "
                        "only text parts are supported.",
                    )
            if not message.text():
                return Unsupported(
                    "empty_content",
                    f"messages[{index}].content",
                    f"messages[{index}].content is empty; every message needs text.",
                )
        return None


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

    # Optional features the spec turns on may add fields of their own, which
    # OpenAI clients ignore.
    model_config = ConfigDict(extra="allow")

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
