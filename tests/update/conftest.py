"""Generated projects on real git repositories, and the CLI run in-process."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from archgen.cli import app
from archgen.render import RenderedProject, render_project, write_tree
from archgen.spec import parse_spec
from archgen.update.git import init_repository

from .specs import base_spec

runner = CliRunner()


@cache
def base_render() -> RenderedProject:
    """The base project, rendered once per session (each update still renders for real)."""
    text = base_spec()
    return render_project(parse_spec(text, "base.yaml"), spec_text=text)


def archgen(*args: str | Path) -> Result:
    """Run ``archgen ARGS`` in-process; stdout and stderr stay apart."""
    return runner.invoke(app, [str(a) for a in args])


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def commit(root: Path, message: str = "work") -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)


def tree(root: Path) -> dict[str, bytes]:
    """Every file of the project (the .git directory aside), by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def manifest(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / ".archgen" / "manifest.json").read_text())
    return data


def edit(root: Path, rel: str, change: Callable[[str], str]) -> None:
    path = root / rel
    before = path.read_text(encoding="utf-8")
    after = change(before)
    assert after != before, f"the edit did not change {rel}"
    path.write_text(after, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh project as `archgen new` leaves it: files, pristine store, one commit."""
    root = tmp_path / "docask"
    write_tree(base_render(), root, pristine=True)
    assert init_repository(root, "archgen new")
    return root
