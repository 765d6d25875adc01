"""Decide, file by file, what an update does: base (last pristine), ours (disk), theirs (new).

Nothing here writes: ``plan_update`` returns the decisions, ``archgen.update.apply``
carries them out (or a dry run only shows them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum

from archgen import __version__
from archgen.render.manifest import MANIFEST_PATH, pristine_files, with_taken_over
from archgen.update.git import merge_file
from archgen.update.policy import Kind, kind_of, user_owned
from archgen.update.project import FreshRender, Project


class Outcome(StrEnum):
    new = "new"  # archgen added the file
    unchanged = "unchanged"  # nothing to do
    merged = "merged"  # archgen's change applied (merged into your edits where needed)
    conflict = "conflict"  # written with conflict markers to resolve
    removed = "removed"  # no longer generated and not edited by you: deleted
    kept = "kept"  # archgen changed it, but your version stays (reason given)


@dataclass(frozen=True)
class Change:
    """What happens to one file. ``content`` is written when not None; ``delete`` removes."""

    path: str
    outcome: Outcome
    content: bytes | None = None
    delete: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Plan:
    changes: list[Change]
    manifest: bytes  # the project's manifest after the update
    store: dict[str, bytes]  # the pristine store after the update
    taken_over: dict[str, str] = field(default_factory=dict)

    def paths(self, outcome: Outcome) -> list[str]:
        return [c.path for c in self.changes if c.outcome is outcome]


def _labels(project: Project) -> tuple[str, str, str]:
    old = project.manifest.archgen_version
    return ("yours", f"archgen {old} (last generated)", f"archgen {__version__} (new)")


def _merge(
    path: str, ours: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str]
) -> Change:
    try:
        result = merge_file(ours, base, theirs, labels)
    except ValueError as exc:
        # Not text git can merge: the user's file stays as it is.
        return Change(path, Outcome.kept, reason=f"cannot be merged ({exc}); yours kept")
    if result.conflicts:
        return Change(
            path, Outcome.conflict, result.content, reason=f"{result.conflicts} conflict(s)"
        )
    return Change(path, Outcome.merged, result.content)


def _missing(path: str, base: bytes | None, theirs: bytes, was_generated: bool) -> Change:
    """A file archgen produces that is not on disk: new, or deleted by the user."""
    if not was_generated:
        return Change(path, Outcome.new, theirs)
    if base == theirs:
        return Change(path, Outcome.unchanged)
    return Change(path, Outcome.kept, reason="deleted by you: stays deleted")


def _generated(
    path: str,
    base: bytes | None,
    ours: bytes | None,
    theirs: bytes | None,
    labels: tuple[str, str, str],
    was_generated: bool,
) -> Change:
    if theirs is None:  # the spec or archgen no longer produces it
        if ours is None:
            return Change(path, Outcome.unchanged)
        if base is not None and ours == base:
            return Change(path, Outcome.removed, delete=True)
        return Change(path, Outcome.kept, reason="no longer generated; edited by you, so kept")
    if ours is None:
        return _missing(path, base, theirs, was_generated)
    if ours == theirs or base == theirs:
        return Change(path, Outcome.unchanged)
    if base is not None and ours == base:
        return Change(path, Outcome.merged, theirs)
    return _merge(path, ours, base or b"", theirs, labels)


def _append_only(
    path: str,
    base: bytes | None,
    ours: bytes | None,
    theirs: bytes | None,
    what: str,
    was_generated: bool,
) -> Change:
    """Migrations and published prompt versions: added when new, otherwise left alone."""
    if ours is None:
        if theirs is None:
            return Change(path, Outcome.unchanged)
        return _missing(path, base, theirs, was_generated)
    if theirs is None or ours == theirs or base == theirs:
        return Change(path, Outcome.unchanged)
    return Change(path, Outcome.kept, reason=f"{what} are never rewritten")


def merge_lock(ours: bytes, theirs: bytes) -> bytes:
    """The user's prompt lock plus the new pristine lock's prompts it does not list yet.

    Published versions are never changed or dropped. Written the way the project's
    own ``publish`` writes it. Raises ``ValueError`` if either side is not a lock.
    """
    mine, new = json.loads(ours), json.loads(theirs)
    if not isinstance(mine, dict) or not isinstance(new, dict):
        raise ValueError("not a JSON object")
    prompts = dict(mine.get("prompts") or {})
    for name, versions in (new.get("prompts") or {}).items():
        prompts.setdefault(name, versions)
    data = {"about": mine.get("about", new.get("about")), "prompts": dict(sorted(prompts.items()))}
    return (json.dumps(data, indent=2) + "\n").encode()


def _lock(path: str, ours: bytes | None, theirs: bytes | None) -> Change:
    if theirs is None or ours is None:
        return (
            Change(path, Outcome.new, theirs)
            if ours is None and theirs
            else Change(path, Outcome.unchanged)
        )
    try:
        merged = merge_lock(ours, theirs)
    except (ValueError, AttributeError, TypeError):
        return Change(path, Outcome.kept, reason="not a readable prompt lock; yours kept")
    if merged == ours or json.loads(merged) == json.loads(ours):
        return Change(path, Outcome.unchanged)
    return Change(path, Outcome.merged, merged)


def _decide(
    project: Project, path: str, theirs: bytes | None, labels: tuple[str, str, str]
) -> Change:
    ours = project.read(path)
    kind = kind_of(path)
    if kind is Kind.spec:  # the spec just rendered from replaces the kept one
        if theirs is None or ours == theirs:
            return Change(path, Outcome.unchanged)
        return Change(path, Outcome.merged, theirs)
    if kind is Kind.prompt_lock:
        return _lock(path, ours, theirs)
    base = project.base(path, ours, theirs)
    was_generated = path in project.manifest.files
    if kind is Kind.prompt_version:
        return _append_only(path, base, ours, theirs, "published prompt versions", was_generated)
    if kind is Kind.migration:
        return _append_only(path, base, ours, theirs, "migrations", was_generated)
    return _generated(path, base, ours, theirs, labels, was_generated)


def _taken_over(project: Project, changes: list[Change], new: dict[str, bytes]) -> dict[str, str]:
    """Generated files whose content after the update differs from the fresh render."""
    taken = {}
    for change in changes:
        theirs = new.get(change.path)
        if theirs is None or kind_of(change.path) is not Kind.generated or user_owned(change.path):
            continue
        if change.delete:
            final = None
        elif change.content is not None:
            final = change.content
        else:
            final = project.read(change.path)
        if final is None:
            taken[change.path] = "deleted"
        elif final != theirs:
            taken[change.path] = "edited"
    return taken


def plan_update(project: Project, fresh: FreshRender) -> Plan:
    """Every file's decision for updating ``project`` to ``fresh``."""
    new = fresh.project.files
    labels = _labels(project)
    paths = (set(project.manifest.files) | set(new)) - {MANIFEST_PATH}
    changes = []
    for path in sorted(paths):
        if kind_of(path) in (Kind.archgen_state, Kind.user_state):
            continue
        changes.append(_decide(project, path, new.get(path), labels))
    taken = _taken_over(project, changes, new)
    return Plan(
        changes=changes,
        manifest=with_taken_over(new[MANIFEST_PATH], taken),
        store=pristine_files(new),
        taken_over=taken,
    )
