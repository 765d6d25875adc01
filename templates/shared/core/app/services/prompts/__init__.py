"""Versioned prompts: immutable published versions, experiments, stable assignment.

See ``docs/prompts-and-cache.md``. The usage layer calls ``resolve_prompt(name,
user_id)`` once per request and records the returned version's ``ref`` (e.g.
``summarize@v3``) on every ledger row of that request.
"""

from app.services.prompts.experiments import Experiment, parse_experiments
from app.services.prompts.model import (
    PromptError,
    PromptFormatError,
    PromptHints,
    PromptIntegrityError,
    PromptNotFoundError,
    PromptTooLargeError,
    PromptVariableError,
    PromptVersion,
    PromptVersionLimitError,
    Variable,
    content_sha256,
    format_ref,
    parse_prompt,
)
from app.services.prompts.store import (
    PROMPTS_DIR,
    PromptProblem,
    PromptStore,
    PublishLimits,
    get_prompt_store,
    resolve_prompt,
)

__all__ = [
    "PROMPTS_DIR",
    "Experiment",
    "PromptError",
    "PromptFormatError",
    "PromptHints",
    "PromptIntegrityError",
    "PromptNotFoundError",
    "PromptProblem",
    "PromptStore",
    "PromptTooLargeError",
    "PromptVariableError",
    "PromptVersion",
    "PromptVersionLimitError",
    "PublishLimits",
    "Variable",
    "content_sha256",
    "format_ref",
    "get_prompt_store",
    "parse_experiments",
    "parse_prompt",
    "resolve_prompt",
]
