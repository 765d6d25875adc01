"""``.archgen/manifest.json``: what archgen generated, for later regeneration.

The manifest names every generated file and the sha256 of its pristine content;
the content itself is kept by hash in ``.archgen/pristine/`` (``PRISTINE_DIR``),
so ``archgen update`` finds the base of its three-way merge offline.
``taken_over`` lists the generated files the user has deliberately diverged from
(edited or deleted) as of the last ``archgen update``; ``archgen check`` skips them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

MANIFEST_PATH = ".archgen/manifest.json"
PRISTINE_DIR = ".archgen/pristine"
MANIFEST_VERSION = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256(data: bytes) -> str:
    """Hex sha256 of ``data``: the key of a file in the manifest and the pristine store."""
    return hashlib.sha256(data).hexdigest()


def build_manifest(
    *,
    archgen_version: str,
    framework: str,
    layers: list[str],
    spec_sha256: str,
    files: Mapping[str, bytes],
) -> bytes:
    """Deterministic JSON: sorted keys, no timestamps, trailing newline."""
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "archgen_version": archgen_version,
        "framework": framework,
        "layers": layers,
        "spec": {"path": "archgen.yaml", "sha256": spec_sha256},
        "files": {path: sha256(data) for path, data in sorted(files.items())},
    }
    return _dump(manifest)


def _dump(data: Mapping[str, object]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


@dataclass(frozen=True)
class Manifest:
    """A project's manifest as read back: generated paths and their pristine hashes."""

    archgen_version: str
    framework: str
    files: dict[str, str]  # relative path -> sha256 of the pristine content
    taken_over: dict[str, str] = field(default_factory=dict)  # path -> "edited" | "deleted"


def parse_manifest(data: bytes) -> Manifest:
    """Read manifest bytes; raises ``ValueError`` saying what is wrong."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    files = raw.get("files")
    taken = raw.get("taken_over", {})
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _SHA256.fullmatch(v) for k, v in files.items()
    ):
        raise ValueError("'files' must map paths to sha256 strings")
    if not isinstance(taken, dict):
        raise ValueError("'taken_over' must map paths to reasons")
    unsafe = sorted(p for p in files if not _inside(p))
    if unsafe:  # update writes and deletes these paths: never outside the project
        raise ValueError(f"paths outside the project: {', '.join(unsafe[:3])}")
    return Manifest(
        archgen_version=str(raw.get("archgen_version", "unknown")),
        framework=str(raw.get("framework", "")),
        files=dict(files),
        taken_over={str(k): str(v) for k, v in taken.items()},
    )


def _inside(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts and "\\" not in path


def with_taken_over(manifest: bytes, taken_over: Mapping[str, str]) -> bytes:
    """``manifest`` with its ``taken_over`` table replaced (omitted when empty).

    A freshly rendered project has none, so its manifest stays byte-identical.
    """
    data = json.loads(manifest)
    data.pop("taken_over", None)
    if taken_over:
        data["taken_over"] = dict(sorted(taken_over.items()))
    return _dump(data)


def pristine_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The pristine store for a rendered tree: ``.archgen/pristine/<sha256>`` -> content.

    Every generated file but the manifest itself (which indexes the store).
    """
    return {
        f"{PRISTINE_DIR}/{sha256(data)}": data
        for path, data in files.items()
        if path != MANIFEST_PATH
    }
