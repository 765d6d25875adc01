"""The built-in ``local`` provider: deterministic answers with no network and no keys.

Used only when no real provider has a key, so a freshly generated app runs and
demos offline. Same input, same answer; token counts are estimated from the text
(about four characters a token) and the cost is zero.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncGenerator
from decimal import Decimal

from app.core.catalog_types import ModelInfo
from app.core.flavour import sleep
from app.services.llm.attempts import elapsed_ms
from app.services.llm.pricing import estimate_input_tokens, estimate_tokens
from app.services.llm.results import build_result
from app.services.llm.routing import Route
from app.services.llm.types import (
    Attempt,
    AttemptOutcome,
    ChatRequest,
    ChatResult,
    ChatStream,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
    UsageSource,
)

logger = logging.getLogger(__name__)

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


def answer_locally(request: ChatRequest, route: Route) -> ChatResult:
    """The local provider's whole answer to ``request`` on the route's first model."""
    started = time.perf_counter()
    model = route.models[0]
    return _local_result(request, model, _full_answer(request, route), started, route, "stop")


async def stream_locally(
    out: ChatStream, request: ChatRequest, route: Route
) -> AsyncGenerator[StreamEvent, None]:
    """The local answer as a paced stream; a consumer that leaves gets a partial result."""
    started = time.perf_counter()
    model = route.models[0]
    full = _full_answer(request, route)
    sent: list[str] = []
    try:
        for index, piece in enumerate(local_chunks(full)):
            if index:
                await sleep(STREAM_DELAY_SECONDS)
            sent.append(piece)
            yield TextDelta(piece)
    except BaseException:
        out.result = _local_result(request, model, "".join(sent), started, route, "cancelled")
        raise
    out.result = _local_result(request, model, full, started, route, "stop")
    yield StreamEnd(out.result)


def _full_answer(request: ChatRequest, route: Route) -> str:
    model = route.models[0]
    max_tokens = min(route.max_output_tokens, model.max_output_tokens)
    return local_answer(request, model=model.id, max_output_tokens=max_tokens)


def _local_result(
    request: ChatRequest,
    model: ModelInfo,
    text: str,
    started: float,
    route: Route,
    finish_reason: str,
) -> ChatResult:
    cancelled = finish_reason == "cancelled"
    attempt = Attempt(
        provider=PROVIDER,
        model=model.id,
        key_index=None,
        outcome=AttemptOutcome.cancelled if cancelled else AttemptOutcome.ok,
        status=None,
        latency_ms=elapsed_ms(started),
        usage=local_usage(request, text),
        cost_usd=Decimal(0),
    )
    logger.info(
        "LLM call answered by the offline local provider as %s (no provider key configured)",
        model.id,
    )
    return build_result(
        text,
        routing=route.decision,
        finish_reason=finish_reason,
        answered_by=attempt,
        attempts=(attempt,),
        local=True,
    )
