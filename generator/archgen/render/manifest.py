"""``.archgen/manifest.json``: what archgen generated, for later regeneration."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

MANIFEST_PATH = ".archgen/manifest.json"
MANIFEST_VERSION = 1


def sha256(data: bytes) -> str:
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
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
