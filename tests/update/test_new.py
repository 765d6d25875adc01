"""`archgen new` leaves what update needs: a first commit and the pristine store, in a ZIP too."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from archgen.render.manifest import PRISTINE_DIR

from .conftest import archgen, git, manifest


def test_new_commits_the_project_and_stores_its_pristine_output(tmp_path: Path) -> None:
    out, archive = tmp_path / "acme", tmp_path / "acme.zip"
    result = archgen("new", "-b", "ai-saas", "--out", out, "--zip", archive, "--no-verify")

    assert result.exit_code == 0, result.output
    assert "initialised a git repository" in result.stderr
    assert git(out, "status", "--porcelain") == ""
    assert git(out, "log", "--format=%s") == "archgen new: acme-ai\n"
    hashes = set(manifest(out)["files"].values())  # type: ignore[union-attr]
    stored = {p.name for p in (out / PRISTINE_DIR).iterdir()}
    assert stored == hashes
    with zipfile.ZipFile(archive) as unpacked:
        names = set(unpacked.namelist())
        assert {f"acme-ai/{PRISTINE_DIR}/{digest}" for digest in hashes} <= names
        assert json.loads(unpacked.read("acme-ai/.archgen/manifest.json")) == manifest(out)


def test_new_inside_an_existing_repository_leaves_its_history_alone(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    result = archgen("new", "-b", "ai-saas", "--out", tmp_path / "acme", "--no-verify")

    assert result.exit_code == 0, result.output
    assert not (tmp_path / "acme" / ".git").exists()
    assert git(tmp_path, "status", "--porcelain") == "?? acme/\n"
