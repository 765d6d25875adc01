"""Who owns which file of a generated project, and so how update may touch it.

Most files are generated: archgen's changes are merged into the user's edits.
Some are the project's own state from the moment they exist and are never
overwritten: published prompt versions (immutable, hashed in the lock), the
prompt lock (merged entry by entry), Alembic migrations (a database may have run
them: new ones are added, existing ones never rewritten or removed) and ``.env``.
"""

from __future__ import annotations

import re
from enum import StrEnum

from archgen.render.manifest import MANIFEST_PATH, PRISTINE_DIR

SPEC_PATH = "archgen.yaml"
PROMPTS_DIR = "app/prompts"
PROMPT_LOCK = f"{PROMPTS_DIR}/prompts.lock"

_PROMPT_VERSION = re.compile(rf"^{PROMPTS_DIR}/[^/]+/v\d+\.md$")
_MIGRATION = re.compile(r"^app/migrations/versions/[^/]+\.py$")
_USER_STATE = {".env"}


class Kind(StrEnum):
    generated = "generated"  # three-way merged
    spec = "spec"  # archgen.yaml: always the spec the project was rendered from
    prompt_version = "prompt_version"  # added when new, never rewritten or removed
    prompt_lock = "prompt_lock"  # the user's entries kept, new prompts' entries added
    migration = "migration"  # added when new, never rewritten or removed
    user_state = "user_state"  # never touched
    archgen_state = "archgen_state"  # .archgen/: rewritten by update itself


def kind_of(path: str) -> Kind:
    """How update treats ``path`` (relative, POSIX)."""
    if path == MANIFEST_PATH or path.startswith(PRISTINE_DIR + "/"):
        return Kind.archgen_state
    if path == SPEC_PATH:
        return Kind.spec
    if path == PROMPT_LOCK:
        return Kind.prompt_lock
    if _PROMPT_VERSION.match(path):
        return Kind.prompt_version
    if _MIGRATION.match(path):
        return Kind.migration
    if path in _USER_STATE:
        return Kind.user_state
    return Kind.generated


def user_owned(path: str) -> bool:
    """Files that are the project's own state once written (``archgen check`` skips them).

    The whole prompt catalogue: publishing and running experiments change it.
    """
    return path.startswith(PROMPTS_DIR + "/") or kind_of(path) is Kind.user_state
