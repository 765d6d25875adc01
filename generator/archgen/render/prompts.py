"""The generated project's prompt files: ``app/prompts/<name>/v1.md`` per workflow prompt.

Copier cannot loop over paths, and the prompt names come from the spec, so the
pipeline writes these files itself (``prompt_files``) after the template layers.
Together with the lock file and the experiments file they form the project's
starting prompt catalogue; from then on the project owns them (``python -m app
prompts publish`` adds versions, and published versions are immutable).

The content hash recorded in ``prompts.lock`` must match the project's own
definition (``app/services/prompts/model.py``: sha256 of the UTF-8 text with
line endings normalised to LF).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from archgen.render.escape import prompt_text

PROMPTS_DIR = "app/prompts"
LOCK_FILE = f"{PROMPTS_DIR}/prompts.lock"
EXPERIMENTS_FILE = f"{PROMPTS_DIR}/experiments.toml"


class PromptSource(Protocol):
    """What the catalogue is written from (a ``RenderContext`` is one)."""

    @property
    def product(self) -> Mapping[str, Any]: ...

    @property
    def workflows(self) -> Sequence[Mapping[str, Any]]: ...


_LOCK_ABOUT = (
    "Published prompt versions and the sha256 of their files. A published version is "
    "immutable: change a prompt by publishing a new version (python -m app prompts publish), "
    "never by editing this file or a listed version."
)


def content_sha256(text: str) -> str:
    """The hash the project's lock file records for a prompt file's text."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _prompt_users(context: PromptSource) -> dict[str, list[Mapping[str, Any]]]:
    """Prompt name -> the workflows using it, in spec order (a prompt may be shared)."""
    users: dict[str, list[Mapping[str, Any]]] = {}
    for workflow in context.workflows:
        users.setdefault(workflow["prompt"], []).append(workflow)
    return users


def _v1(name: str, workflows: list[Mapping[str, Any]], product: Mapping[str, Any]) -> str:
    names = ", ".join(w["name"] for w in workflows)
    units = sorted({w["unit"] for w in workflows})
    unit = units[0] if len(units) == 1 else " or ".join(units)
    # Only the name: the product description is marketing copy for buyers ("prepaid
    # credits, no surprise bills"), not an instruction the model should act on.
    # Spec text in the body is literal: "${x}" in a product name is not a placeholder.
    about = prompt_text(product["name"])
    # JSON strings are valid YAML scalars: safe for any product or workflow name.
    plural = "s" if len(workflows) > 1 else ""
    description = json.dumps(f"Starting instructions for the {names} workflow{plural}.")
    if any(w.get("collection") for w in workflows):
        work_from = (
            "Answer only from the numbered sources given with the request (passages from\n"
            "the customer's own documents) and cite them as [1], [2]. When the sources do\n"
            "not contain the answer, say so instead of guessing.\n"
        )
    else:
        work_from = (
            "Work only from the user's input;\n"
            "when it is not enough to do the task, say what is missing instead of guessing.\n"
        )
    return (
        "---\n"
        f"# Prompt {name}, version 1, written by archgen. Published versions are immutable\n"
        "# (app/prompts/prompts.lock): change it with `python -m app prompts publish`.\n"
        "# Optional hints: model (a catalog model id), temperature, max_output_tokens.\n"
        "# Variables: a list of required names, or a mapping of name -> default;\n"
        "# the body uses them as ${name}.\n"
        f"description: {description}\n"
        "variables: []\n"
        "---\n"
        f"You are the assistant behind {about}.\n"
        "\n"
        f"Each request you answer produces one {unit}. {work_from}"
        "Be accurate and concise, and answer in the language of the input.\n"
    )


def _experiments(names: list[str]) -> str:
    lines = [
        "# Which published version of each prompt serves traffic.",
        "#",
        "# Per prompt: weighted versions (weights are relative). With several versions,",
        "# each user gets one by a stable hash of (user id, experiment name) and keeps it",
        "# until the experiment's name or weights change. `name` defaults to the prompt's.",
        "# A prompt without an entry here serves its latest published version.",
        "#",
        "# [summarize]",
        '# name = "summarize-shorter-2025-06"',
        "# versions = { v3 = 80, v4 = 20 }",
    ]
    for name in names:
        lines += ["", f"[{name}]", "versions = { v1 = 100 }"]
    return "\n".join(lines) + "\n"


def prompt_files(context: PromptSource) -> dict[str, str]:
    """{relative path: text} of the prompt catalogue for a render ``context``.

    One ``v1.md`` per distinct workflow prompt, ``prompts.lock`` publishing them,
    and ``experiments.toml`` pinning each prompt to v1.
    """
    users = _prompt_users(context)
    files: dict[str, str] = {}
    lock: dict[str, dict[str, str]] = {}
    for name in sorted(users):
        text = _v1(name, users[name], context.product)
        files[f"{PROMPTS_DIR}/{name}/v1.md"] = text
        lock[name] = {"v1": content_sha256(text)}
    files[LOCK_FILE] = json.dumps({"about": _LOCK_ABOUT, "prompts": lock}, indent=2) + "\n"
    files[EXPERIMENTS_FILE] = _experiments(sorted(users))
    return files
