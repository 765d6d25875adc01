"""One prompt version: its file format, its hash, and strict variable rendering.

A prompt file is ``app/prompts/<name>/v<N>.md``: YAML front matter between ``---``
lines (hints and variables), then the body, which is the system prompt template::

    ---
    description: Shorter summaries for mobile.
    model: gpt-4.1-mini          # optional hints
    temperature: 0.2
    max_output_tokens: 600
    variables: {audience: general readers}   # or a list of required names
    ---
    Summarize for ${audience} in at most five sentences.

Placeholders are ``${name}`` (``$${name}`` is a literal ``${name}``); every
placeholder must be declared and every declared variable used. Rendering is
strict: a missing variable is an error, never an empty string. There is no
logic (no filters, loops or conditions): a prompt version is plain text.
"""

from __future__ import annotations

import hashlib
import re
import reprlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from app.core.catalog_types import WorkflowInfo
from app.services.llm.types import ChatRequest, Message

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")  # use fullmatch
VERSION_FILE_RE = re.compile(r"v([1-9][0-9]*)\.md")  # use fullmatch
VARIABLE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# ${name}, spaces allowed inside the braces; group 1 is "$" for the $${name} escape.
PLACEHOLDER_RE = re.compile(r"\$(\$?)\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")
# Jinja/Mustache-style double braces: not this format's syntax, reported as an error.
DOUBLE_BRACE_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
FRONT_MATTER_KEYS = ("description", "model", "temperature", "max_output_tokens", "variables")
# Front matter is a few hints: it never needs more than this, or deeper nesting.
MAX_FRONT_MATTER_BYTES = 16 * 1024
MAX_FRONT_MATTER_DEPTH = 8
QUOTED_RE = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"")
# Error messages quote the input: at most this much of one value, this many names.
MAX_QUOTED_CHARS = 60
MAX_QUOTED_NAMES = 5
MAX_NAME_CHARS = 40


class PromptError(Exception):
    """Base of the prompt errors; the message names the prompt or file concerned."""


class PromptFormatError(PromptError):
    """A prompt file (or a body to publish) is not a valid prompt."""


class PromptVariableError(PromptError):
    """Rendering got a missing, unknown or unusable variable."""


class PromptNotFoundError(PromptError):
    """No such prompt, or no such published version."""


class PromptIntegrityError(PromptError):
    """A published version's file no longer matches its hash in the lock file."""


class PromptTooLargeError(PromptFormatError):
    """A version to publish is over the size limit (``PROMPT_MAX_BYTES``)."""

    def __init__(self, message: str, max_bytes: int) -> None:
        super().__init__(message)
        self.max_bytes = max_bytes


class PromptVersionLimitError(PromptError):
    """A prompt already has as many versions as allowed (``PROMPT_MAX_VERSIONS``)."""

    def __init__(self, message: str, max_versions: int) -> None:
        super().__init__(message)
        self.max_versions = max_versions


def content_sha256(text: str) -> str:
    """The hash recorded in ``prompts.lock``: sha256 of the UTF-8 text, LF line endings.

    Line endings are normalised so a checkout with CRLF (git autocrlf) is not
    mistaken for an edit.
    """
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def format_ref(name: str, version: int) -> str:
    """The label recorded on ledger rows, e.g. ``summarize@v3``."""
    return f"{name}@v{version}"


@dataclass(frozen=True, slots=True)
class PromptHints:
    """What the prompt's author suggests; the workflow's limits still apply."""

    model: str | None = None
    temperature: float | None = None
    max_output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    default: str | None = None  # None: the caller must give it

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True, slots=True)
class PromptVersion:
    """A published prompt version, loaded and verified against the lock file."""

    name: str
    version: int
    body: str  # the system prompt template
    description: str
    hints: PromptHints
    variables: tuple[Variable, ...]
    sha256: str
    path: Path

    @property
    def ref(self) -> str:
        """``name@vN``: what the usage layer records on every ledger row."""
        return format_ref(self.name, self.version)

    def render(self, variables: Mapping[str, object] | None = None) -> str:
        """The system prompt with ``variables`` substituted (defaults fill the gaps).

        Raises PromptVariableError for a missing required variable, an undeclared
        one, or a value that is not text or a number (``None`` would render "None").
        """
        given = dict(variables or {})
        declared = {v.name: v for v in self.variables}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise PromptVariableError(
                f"{self.ref} does not declare variable(s) {listed(unknown)} "
                f"(declared: {', '.join(declared) or 'none'}; see {self.path})"
            )
        missing = sorted(n for n, v in declared.items() if v.required and n not in given)
        if missing:
            raise PromptVariableError(
                f"{self.ref} needs variable(s) {listed(missing)} (declared in {self.path})"
            )
        values: dict[str, str] = {
            n: v.default for n, v in declared.items() if v.default is not None
        }
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
                raise PromptVariableError(
                    f"{self.ref}: variable {quoted(key)} must be text or a number, "
                    f"not {type(value).__name__}"
                )
            values[key] = str(value)
        # One pass: a value containing "${x}" is inserted verbatim, never expanded.
        return PLACEHOLDER_RE.sub(
            lambda m: "${" + m.group(2) + "}" if m.group(1) else values[m.group(2)], self.body
        )

    def messages(
        self, user_input: str, variables: Mapping[str, object] | None = None
    ) -> tuple[Message, ...]:
        """The rendered system prompt followed by the user's input."""
        return (Message("system", self.render(variables)), Message("user", user_input))

    def chat_request(
        self,
        user_input: str,
        *,
        workflow: WorkflowInfo,
        variables: Mapping[str, object] | None = None,
        model: str | None = None,
    ) -> ChatRequest:
        """A gateway request for this version: hints apply within the workflow's limits.

        ``model`` (the caller's explicit choice) wins over the prompt's model hint.
        """
        limit = workflow.max_output_tokens
        hinted = self.hints.max_output_tokens
        return ChatRequest(
            messages=self.messages(user_input, variables),
            max_output_tokens=min(limit, hinted) if hinted else limit,
            temperature=self.hints.temperature,
            model=model or self.hints.model,
        )


_REPR = reprlib.Repr()  # keyword arguments need Python 3.12
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 2, 4, 4
_REPR.maxstring = _REPR.maxother = MAX_QUOTED_CHARS


def quoted(value: object) -> str:
    """``repr(value)``, cut to ``MAX_QUOTED_CHARS``: errors echo input, never amplify it."""
    text = _REPR.repr(value)
    return text if len(text) <= MAX_QUOTED_CHARS else text[: MAX_QUOTED_CHARS - 1] + "…"


def listed(names: Iterable[object]) -> str:
    """The first ``MAX_QUOTED_NAMES`` names, comma-separated, with a count of the rest."""
    items = [str(name) for name in names]
    shown = ", ".join(
        name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"
        for name in items[:MAX_QUOTED_NAMES]
    )
    rest = len(items) - MAX_QUOTED_NAMES
    return shown + (f" and {rest} more" if rest > 0 else "")


def _refuse_amplification(text: str) -> None:
    """Raise ValueError for YAML anchors, aliases or deep nesting, from the events alone.

    An alias repeats a node without repeating its text, so a few hundred bytes can
    stand for millions of values (the "billion laughs"); deep nesting recurses.
    Hints never need either. Events are read before anything is built.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = f" (front matter line {event.start_mark.line + 1})" if event.start_mark else ""
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ValueError("YAML anchors and aliases (& and *) are not allowed" + line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_FRONT_MATTER_DEPTH:
                raise ValueError(f"nested deeper than {MAX_FRONT_MATTER_DEPTH} levels" + line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _bracket_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest outside quoted strings (an upper bound for YAML's)."""
    depth = deepest = 0
    for char in QUOTED_RE.sub("", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _load_front_matter(text: str, source: str) -> object:
    if len(text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise PromptFormatError(
            f"{source}: front matter is larger than {MAX_FRONT_MATTER_BYTES} bytes"
        )
    # PyYAML's scanner looks far ahead on a line of open brackets: refuse those first.
    if _bracket_depth(text) > MAX_FRONT_MATTER_DEPTH:
        raise PromptFormatError(
            f"{source}: front matter: nested deeper than {MAX_FRONT_MATTER_DEPTH} levels"
        )
    try:
        _refuse_amplification(text)
        return yaml.safe_load(text)
    except ValueError as exc:
        raise PromptFormatError(f"{source}: front matter: {exc}") from None
    except yaml.YAMLError as exc:
        # PyYAML quotes a short snippet of the input; bound it anyway.
        detail = str(exc)[:300]
        raise PromptFormatError(f"{source}: front matter is not valid YAML: {detail}") from None


def _split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end == -1 and text.endswith("\n---"):
        end = len(text) - 4
    if end == -1:
        raise PromptFormatError(f"{source}: front matter opened with --- is never closed")
    meta = _load_front_matter(text[4 : end + 1], source)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise PromptFormatError(f"{source}: front matter must be a mapping of keys to values")
    return meta, text[end + 5 :]


def _variables(raw: object, source: str) -> tuple[Variable, ...]:
    if raw is None:
        return ()
    if isinstance(raw, list):
        items: list[tuple[object, object]] = [(name, None) for name in raw]
    elif isinstance(raw, dict):
        items = list(raw.items())
    else:
        raise PromptFormatError(f"{source}: variables must be a list of names or a mapping")
    result = []
    for name, default in items:
        if not isinstance(name, str) or not VARIABLE_RE.fullmatch(name):
            raise PromptFormatError(f"{source}: variable name {quoted(name)} is not an identifier")
        if default is not None and not isinstance(default, str | int | float):
            raise PromptFormatError(f"{source}: default of variable {name} must be text")
        result.append(Variable(name, None if default is None else str(default)))
    return tuple(result)


def _optional(meta: dict[str, Any], key: str, kind: type | tuple[type, ...], source: str) -> Any:
    value = meta.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
        raise PromptFormatError(f"{source}: {key} has the wrong type ({quoted(value)})")
    return value


def parse_prompt(text: str, *, name: str, version: int, path: Path) -> PromptVersion:
    """Parse and validate one prompt file's ``text`` (nothing is checked against the lock)."""
    source = str(path)
    meta, body = _split_front_matter(text, source)
    unknown = sorted(map(str, set(meta) - set(FRONT_MATTER_KEYS)))
    if unknown:
        raise PromptFormatError(
            f"{source}: unknown front matter key(s) {listed(unknown)} "
            f"(allowed: {', '.join(FRONT_MATTER_KEYS)})"
        )
    body = body.strip()
    if not body:
        raise PromptFormatError(f"{source}: the prompt body is empty")
    variables = _variables(meta.get("variables"), source)
    declared = {v.name for v in variables}
    used = {name for escaped, name in PLACEHOLDER_RE.findall(body) if not escaped}
    braced = sorted(set(DOUBLE_BRACE_RE.findall(body)))
    if braced:
        raise PromptFormatError(
            f"{source}: double-brace placeholder(s) {listed(braced)}: this format's "
            "placeholders are written like ${" + braced[0][:MAX_QUOTED_CHARS] + "}"
        )
    if used - declared:
        raise PromptFormatError(
            f"{source}: body uses undeclared variable(s) {listed(sorted(used - declared))}"
        )
    if declared - used:
        raise PromptFormatError(
            f"{source}: declared variable(s) {listed(sorted(declared - used))} are never used"
        )
    temperature = _optional(meta, "temperature", (int, float), source)
    max_tokens = _optional(meta, "max_output_tokens", int, source)
    if max_tokens is not None and max_tokens <= 0:
        raise PromptFormatError(f"{source}: max_output_tokens must be positive")
    return PromptVersion(
        name=name,
        version=version,
        body=body,
        description=_optional(meta, "description", str, source) or "",
        hints=PromptHints(
            model=_optional(meta, "model", str, source),
            temperature=None if temperature is None else float(temperature),
            max_output_tokens=max_tokens,
        ),
        variables=variables,
        sha256=content_sha256(text),
        path=path,
    )
