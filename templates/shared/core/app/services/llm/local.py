"""The built-in ``local`` provider: deterministic answers with no network and no keys.

Used only when no real provider has a key, so a freshly generated app runs and
demos offline. Same input, same answer; token counts are estimated from the text
(about four characters a token) and the cost is zero.
"""

from __future__ import annotations

import hashlib

from app.services.llm.pricing import estimate_input_tokens, estimate_tokens
from app.services.llm.types import ChatRequest, Usage, UsageSource

PROVIDER = "local"
# Streams are paced like a fast real model, so demos look live and a client that
# leaves mid-stream is noticed (the next write fails) exactly as with a provider.
STREAM_DELAY_SECONDS = 0.01

_OPENINGS = (
    "Here is a short answer",
    "A quick take",
    "In brief",
    "Summary",
)


def local_answer(request: ChatRequest, *, model: str, max_output_tokens: int) -> str:
    """A deterministic reply that echoes the start of the last user message."""
    last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    digest = hashlib.sha256(f"{model}\n{last_user}".encode()).digest()
    opening = _OPENINGS[digest[0] % len(_OPENINGS)]
    words = " ".join(last_user.split()[:24])
    text = (
        f"{opening} from the local demo model (no provider key is configured, so no "
        f'real model was called). You asked about: "{words}". Set a provider key such '
        f"as OPENAI_API_KEY to get real answers from {model}."
    )
    # Respect the output budget the way a real model would: stop at max_output_tokens.
    return text[: max_output_tokens * 4]


def local_usage(request: ChatRequest, text: str) -> Usage:
    """Usage counted from the text: estimated, never reported."""
    return Usage(
        input_tokens=estimate_input_tokens(request.messages),
        output_tokens=estimate_tokens(text),
        source=UsageSource.estimated,
    )


def local_chunks(text: str, words_per_chunk: int = 3) -> list[str]:
    """Split ``text`` into stream deltas of a few words that join back to ``text``."""
    words = text.split(" ")
    return [
        " ".join(words[i : i + words_per_chunk]) + (" " if i + words_per_chunk < len(words) else "")
        for i in range(0, len(words), words_per_chunk)
    ]
