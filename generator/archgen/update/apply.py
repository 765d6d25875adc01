"""Carry out an update plan: write merged files, delete removed ones, renew ``.archgen/``."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from archgen.render.manifest import MANIFEST_PATH, PRISTINE_DIR
from archgen.render.output import file_mode
from archgen.update.plan import Plan


def _write(root: Path, rel: str, data: bytes) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".archgen-part")
    partial.write_bytes(data)
    partial.chmod(file_mode(rel))
    os.replace(partial, target)  # never a half-written file


def _remove(root: Path, rel: str) -> None:
    target = root / rel
    target.unlink(missing_ok=True)
    parent = target.parent
    while parent != root:  # drop folders the removal left empty
        with contextlib.suppress(OSError):
            parent.rmdir()
        if parent.exists():
            break
        parent = parent.parent


def apply_plan(root: Path, plan: Plan) -> None:
    """Write ``plan`` into the project at ``root``: files, then the store and the manifest."""
    for change in plan.changes:
        if change.delete:
            _remove(root, change.path)
        elif change.content is not None:
            _write(root, change.path, change.content)
    store = root / PRISTINE_DIR
    for rel, data in plan.store.items():
        if not (root / rel).is_file():
            _write(root, rel, data)
    if store.is_dir():
        wanted = {Path(rel).name for rel in plan.store}
        for blob in store.iterdir():
            if blob.name not in wanted:
                blob.unlink()
    _write(root, MANIFEST_PATH, plan.manifest)
