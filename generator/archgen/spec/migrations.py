"""Spec ``schema_version`` migrations: an older spec is upgraded, never reinterpreted.

``MIGRATIONS[n]`` turns a version-``n`` spec (as YAML data) into version ``n + 1``
and says what it changed. ``upgrade`` applies every step from the spec's version
to ``SCHEMA_VERSION``; ``upgrade_text`` does the same on YAML text, keeping the
author's comments and layout, so ``archgen update`` can show the upgrade and write
it back. Version 1 is the first schema: no migration exists yet. When a field
changes meaning, bump ``SCHEMA_VERSION`` and register the step here.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from archgen.spec.models import SCHEMA_VERSION

Migration = Callable[[MutableMapping[str, Any]], str]
"""Changes a spec's data in place to the next version; returns a one-line description."""

MIGRATIONS: dict[int, Migration] = {}
"""From-version -> the step to the next version. Complete from 1 to ``SCHEMA_VERSION``."""

_INDENTED_LISTS = re.compile(r"^ +- ", re.MULTILINE)

FIRST_VERSION = 1  # a spec without ``schema_version`` is read as this version


class MigrationError(ValueError):
    """No migration path from a spec's version to the current one (an archgen bug)."""


def spec_version(data: Mapping[str, Any]) -> int | None:
    """The spec's ``schema_version`` (``FIRST_VERSION`` when absent), or None if not an int."""
    version = data.get("schema_version", FIRST_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    return version


def upgrade(
    data: MutableMapping[str, Any],
    *,
    current: int = SCHEMA_VERSION,
    registry: Mapping[int, Migration] = MIGRATIONS,
) -> list[str]:
    """Upgrade ``data`` in place to ``current``; returns what each step did (empty if none).

    A version that is not an int, below 1 or above ``current`` is left for validation
    to report.
    """
    version = spec_version(data)
    if version is None or version < FIRST_VERSION or version >= current:
        return []
    notes = []
    while version < current:
        step = registry.get(version)
        if step is None:
            raise MigrationError(f"no migration from schema_version {version} to {version + 1}")
        notes.append(f"schema_version {version} -> {version + 1}: {step(data)}")
        version += 1
        data["schema_version"] = version
    return notes


@dataclass(frozen=True)
class SpecUpgrade:
    """A spec's text before and after upgrading, and what changed."""

    before: str
    after: str
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.after != self.before

    def diff(self, name: str = "archgen.yaml") -> str:
        """The upgrade as a unified diff, to show the user."""
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"{name} (schema as written)",
                f"{name} (upgraded)",
            )
        )


def upgrade_text(
    text: str,
    *,
    current: int = SCHEMA_VERSION,
    registry: Mapping[int, Migration] = MIGRATIONS,
) -> SpecUpgrade:
    """Upgrade spec YAML ``text`` to ``current``, keeping comments and layout.

    Text that is not a readable mapping is returned unchanged: loading it reports why.
    """
    yaml = YAML()  # round-trip: comments, order and quoting survive
    yaml.preserve_quotes = True
    if _INDENTED_LISTS.search(text):  # keep "key:\n  - item" rather than "key:\n- item"
        yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        data = yaml.load(text)
    except YAMLError:
        return SpecUpgrade(text, text)
    if not isinstance(data, MutableMapping):
        return SpecUpgrade(text, text)
    notes = upgrade(data, current=current, registry=registry)
    if not notes:
        return SpecUpgrade(text, text)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return SpecUpgrade(text, buffer.getvalue(), notes)
