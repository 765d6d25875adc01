"""What a cache lookup is keyed on, and how a request turns caching off.

An exact entry is keyed by a hash of (workspace, workflow, model, prompt version,
system prompt, normalised conversation, generation parameters). Semantic entries
share a *scope* (the same fields minus the conversation, plus the embedder) and
are compared by embedding within it, so a different system prompt or prompt
version can never be served a look-alike answer.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote
from uuid import UUID

from app.core.catalog_types import WorkflowInfo
from app.services.llm.types import ChatRequest, Message

KEY_FORMAT = 1  # bump to invalidate every entry when the key derivation changes
AUTO_MODEL = "auto"  # the key's model when routing picks it (ChatRequest.model is None)
CACHE_PARAM = "cache"  # the request parameter: on | off | refresh


class CacheMode(StrEnum):
    use = "use"  # look up; store a fresh answer on a miss
    refresh = "refresh"  # skip the lookup, store the fresh answer (Cache-Control: no-cache)
    off = "off"  # neither (Cache-Control: no-store, ?cache=off, or the workflow opts out)


def normalize_text(text: str) -> str:
    """Unicode NFC, LF line endings, no trailing spaces on lines, no outer whitespace.

    Deliberately no case folding or inner-whitespace collapsing: those can change
    meaning (code, names); near-duplicates are the semantic cache's job.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _digest(parts: list[object]) -> str:
    # JSON gives every part an unambiguous boundary: ("a:b", "c") != ("a", "b:c").
    encoded = json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True, slots=True)
class CacheQuery:
    """One request, as the cache sees it. Build it with ``from_request``."""

    workspace_id: str  # a UUID is accepted and stored as its canonical text
    workflow: str
    model: str  # the requested catalog model id, or AUTO_MODEL
    prompt_version: str  # e.g. "summarize@v3"
    system_prompt: str
    messages: tuple[Message, ...]  # the conversation after the system prompt
    max_output_tokens: int | None = None
    temperature: float | None = None
    stop: tuple[str, ...] = ()
    mode: CacheMode = CacheMode.use

    def __post_init__(self) -> None:
        if isinstance(self.workspace_id, UUID):
            object.__setattr__(self, "workspace_id", str(self.workspace_id))
        # An empty workspace id would pool every anonymous caller into one tenant.
        if not isinstance(self.workspace_id, str) or not self.workspace_id:
            raise ValueError("CacheQuery needs a workspace id")

    @classmethod
    def from_request(
        cls,
        request: ChatRequest,
        *,
        workspace_id: str | UUID,
        workflow: WorkflowInfo,
        prompt_version: str,
        mode: CacheMode = CacheMode.use,
    ) -> CacheQuery:
        """The query for a gateway request; a workflow with ``cache: false`` gets mode off."""
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        return cls(
            workspace_id=str(workspace_id),
            workflow=workflow.name,
            model=request.model or AUTO_MODEL,
            prompt_version=prompt_version,
            system_prompt=system,
            messages=tuple(m for m in request.messages if m.role != "system"),
            max_output_tokens=request.max_output_tokens,
            temperature=request.temperature,
            stop=request.stop,
            mode=mode if workflow.cache else CacheMode.off,
        )

    @property
    def namespace(self) -> str:
        """The workspace's key namespace: ``{<url-quoted id>}`` (a Redis Cluster hash tag)."""
        return "{" + quote(self.workspace_id, safe="") + "}"

    def _scope_parts(self) -> list[object]:
        return [
            KEY_FORMAT,
            self.workspace_id,
            self.workflow,
            self.model,
            self.prompt_version,
            normalize_text(self.system_prompt),
            self.max_output_tokens,
            self.temperature,
            list(self.stop),
        ]

    def exact_digest(self) -> str:
        """The exact entry's hash (the workspace is hashed in as well as namespaced)."""
        conversation = [[m.role, normalize_text(m.content)] for m in self.messages]
        return _digest([*self._scope_parts(), conversation])

    def scope_digest(self, embedder_name: str) -> str:
        """The semantic scope: every key field except the conversation, plus the embedder."""
        return _digest([*self._scope_parts(), embedder_name])

    def semantic_text(self) -> str:
        """The text the semantic cache embeds: the conversation's contents."""
        return "\n".join(normalize_text(m.content) for m in self.messages)


_PARAM_MODES = {
    **dict.fromkeys(("", "on", "true", "1", "yes", "use"), CacheMode.use),
    **dict.fromkeys(("off", "false", "0", "no", "bypass"), CacheMode.off),
    "refresh": CacheMode.refresh,
}
_STRICTNESS = (CacheMode.use, CacheMode.refresh, CacheMode.off)


def cache_mode_from_request(
    headers: Mapping[str, str] | None = None, param: str | None = None
) -> CacheMode:
    """The caller's cache mode from its headers and ``?cache=`` / body parameter.

    ``Cache-Control: no-store`` or ``cache=off`` turn caching off for the request;
    ``Cache-Control: no-cache`` or ``cache=refresh`` skip the lookup but store the
    fresh answer. The strictest wins. Raises ValueError for an unknown parameter
    value (answer 400). Header names match case-insensitively, for any mapping.
    """
    modes = [CacheMode.use]
    if param is not None:
        mode = _PARAM_MODES.get(param.strip().lower())
        if mode is None:
            raise ValueError(f"{CACHE_PARAM}={param!r}: expected on, off or refresh")
        modes.append(mode)
    for name, value in (headers or {}).items():
        if name.lower() != "cache-control":
            continue
        directives = {part.split("=", 1)[0].strip().lower() for part in value.split(",")}
        if "no-store" in directives:
            modes.append(CacheMode.off)
        elif "no-cache" in directives:
            modes.append(CacheMode.refresh)
    return max(modes, key=_STRICTNESS.index)
