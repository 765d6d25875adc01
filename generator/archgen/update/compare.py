"""``archgen diff`` and ``archgen check``: the project against a fresh render, as a diff."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

from archgen.update.policy import Kind, kind_of, user_owned
from archgen.update.project import FreshRender, Project, render_fresh


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", "replace").splitlines(keepends=True)


def _file_diff(path: str, fresh: bytes, current: bytes | None) -> str:
    """One file's unified diff, fresh render (a/) to project (b/)."""
    after = f"b/{path}" if current is not None else "/dev/null"
    text = "".join(difflib.unified_diff(_lines(fresh), _lines(current), f"a/{path}", after))
    if text and not text.endswith("\n"):
        text += "\n\\ No newline at end of file\n"
    return text


def diff_against(project: Project, fresh: FreshRender, include: Callable[[str], bool]) -> str:
    """Unified diff of every generated file ``include`` accepts that differs from ``fresh``."""
    parts = []
    for path, data in fresh.project.files.items():
        if kind_of(path) is Kind.archgen_state or not include(path):
            continue
        current = project.read(path)
        if current != data:
            parts.append(_file_diff(path, data, current))
    return "".join(parts)


def project_diff(root: Path, spec_file: Path | None = None) -> str:
    """``archgen diff``: every generated file that differs from a fresh render."""
    project = Project.open(root)
    return diff_against(project, render_fresh(project, spec_file), lambda _: True)


def check_project(root: Path, spec_file: Path | None = None) -> str:
    """``archgen check``: the drift in files the user has not taken over ('' when none).

    Skipped: files recorded as taken over at the last update (edited or deleted on
    purpose) and the project's own state (the prompt catalogue, ``.env``).
    """
    project = Project.open(root)
    taken = project.manifest.taken_over

    def checked(path: str) -> bool:
        return path not in taken and not user_owned(path)

    return diff_against(project, render_fresh(project, spec_file), checked)
