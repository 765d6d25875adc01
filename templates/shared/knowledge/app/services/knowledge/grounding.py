"""Retrieved passages into the prompt, within the workflow's context limit.

The passages go in as a system message after the workflow's prompt. It names the
collection's version, so the response cache (keyed on the system prompt) never
serves an answer made from documents that have since changed or been deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.schemas.knowledge import Source
from app.services.knowledge.store import Passage, Retrieved
from app.services.llm.pricing import MESSAGE_OVERHEAD_TOKENS, estimate_tokens

SNIPPET_CHARS = 240
# What the model is told when no passage is relevant (or none fits the context limit):
# say so, rather than answer from general knowledge. The call is still made, metered,
# rate-limited and cached like every call (docs/knowledge.md says why).
NO_SOURCES_INSTRUCTION = (
    "No passage of the customer's documents matches this request. Say that their "
    "documents do not answer it, and do not answer from general knowledge."
)


@dataclass(frozen=True, slots=True)
class Grounding:
    """The system message carrying the passages, and the sources it cites (in order)."""

    message: str
    sources: tuple[Source, ...]


def snippet(text: str) -> str:
    """The start of a passage, cut on a word boundary."""
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return text[: cut if cut > 0 else SNIPPET_CHARS] + "…"


def _block(number: int, passage: Passage) -> str:
    return f"[{number}] {passage.title}, page {passage.page}:\n{passage.text}"


def ground(retrieved: Retrieved, budget_tokens: int) -> Grounding:
    """The passages (best first) that fit ``budget_tokens``; none may fit, and then the
    message tells the model it has no sources."""
    # The version is in the message, so in every cache key made from it.
    about = f"the {retrieved.collection} collection (version {retrieved.version})"
    header = (
        f"Sources from {about}. Answer only from them and cite them as [1], [2]; if they "
        "do not answer the question, say so."
    )
    used = estimate_tokens(header) + MESSAGE_OVERHEAD_TOKENS
    blocks: list[str] = []
    sources: list[Source] = []
    for passage in retrieved.passages:
        block = _block(len(blocks) + 1, passage)
        cost = estimate_tokens(block) + 1
        if used + cost > budget_tokens:
            break
        used += cost
        blocks.append(block)
        sources.append(
            Source(
                document_id=str(passage.document_id),
                title=passage.title,
                page=passage.page,
                snippet=snippet(passage.text),
            )
        )
    if not sources:
        return Grounding(f"Searched {about}. {NO_SOURCES_INSTRUCTION}", ())
    return Grounding("\n\n".join([header, *blocks]), tuple(sources))
