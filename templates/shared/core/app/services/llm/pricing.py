"""Token counts and money. Decimal USD only; unknown cost is None, never zero."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from app.core.catalog_types import ModelPrice
from app.services.llm.types import Message, Usage, UsageSource

_PER_TOKEN = Decimal(1_000_000)
CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text and common tokenizers
MESSAGE_OVERHEAD_TOKENS = 4  # role markers and separators around each message
# Reply priming and wrappers a provider adds once per request (OpenAI adds 3).
REQUEST_OVERHEAD_TOKENS = 8


def estimate_tokens(text: str) -> int:
    """About one token per four characters (rounded up), zero for empty text."""
    return -(-len(text) // CHARS_PER_TOKEN)


def estimate_input_tokens(messages: Iterable[Message]) -> int:
    """A provider-independent estimate of a prompt's size, used when none is reported."""
    return sum(estimate_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages)


def max_tokens(text: str) -> int:
    """An upper bound on the tokens ``text`` takes with any catalog model: its UTF-8 bytes.

    Every model family the gateway serves tokenizes bytes: byte-level BPE (OpenAI,
    Anthropic, DeepSeek, Llama, Qwen, Mistral) or SentencePiece with byte fallback
    (Gemini, Gemma), so each token stands for at least one byte. English averages
    about four bytes per token and CJK about three, so the bound over-counts typical
    text; only dense text (rare characters, random bytes) comes near it. A real
    tokenizer (tiktoken) would be tighter but downloads its vocabulary at run time.
    """
    return len(text.encode("utf-8"))


def max_input_tokens(messages: Iterable[Message]) -> int:
    """An upper bound on a prompt's input tokens (for reservations: never undershoots)."""
    return REQUEST_OVERHEAD_TOKENS + sum(
        max_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages
    )


def cost_usd(usage: Usage, price: ModelPrice) -> Decimal | None:
    """What ``usage`` costs at ``price``; None when the usage itself is unknown."""
    if usage.source is UsageSource.unknown:
        return None
    total = (
        usage.input_tokens * price.input_per_mtok
        + usage.cached_input_tokens * price.cached_input_per_mtok
        + usage.output_tokens * price.output_per_mtok
    )
    return total / _PER_TOKEN


def max_cost_usd(input_tokens: int, max_output_tokens: int, price: ModelPrice) -> Decimal:
    """The most a request can cost: all input uncached, every output token used."""
    return (
        input_tokens * price.input_per_mtok + max_output_tokens * price.output_per_mtok
    ) / _PER_TOKEN
