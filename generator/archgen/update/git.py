"""The few git operations update needs: a first commit, a clean-tree check, file merges.

``git merge-file`` merges three versions of one file without a repository, so the
merge itself works on any project; a repository is needed only so that an update
starts from committed work the user can always get back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from archgen.errors import UsageError

# Used only when the user has no git identity configured (a fresh machine, CI).
_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "archgen",
    "GIT_AUTHOR_EMAIL": "archgen@localhost",
    "GIT_COMMITTER_NAME": "archgen",
    "GIT_COMMITTER_EMAIL": "archgen@localhost",
}


def _git(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def have_git() -> bool:
    """Whether a ``git`` executable is on PATH."""
    return shutil.which("git") is not None


def inside_work_tree(path: Path) -> bool:
    """Whether ``path`` lies inside a git working tree."""
    done = _git(["rev-parse", "--is-inside-work-tree"], path)
    return done.returncode == 0 and done.stdout.strip() == "true"


def init_repository(path: Path, message: str) -> bool:
    """Make ``path`` a git repository with everything in a first commit.

    Does nothing (returns False) when git is missing or ``path`` is already inside
    a repository: that repository is the user's, and so are its commits.
    """
    if not have_git() or inside_work_tree(path):
        return False
    steps = {
        "init": ["init", "-q"],
        "add": ["add", "-A"],
        "commit": ["-c", "commit.gpgsign=false", "commit", "-q", "-m", message],
    }
    identity = None if _git(["config", "user.email"], path).returncode == 0 else _FALLBACK_IDENTITY
    for name, args in steps.items():
        done = _git(args, path, identity)
        if done.returncode != 0:
            raise UsageError(f"git {name} failed in {path}: {done.stderr.strip()}")
    return True


def uncommitted_changes(path: Path) -> list[str]:
    """Paths under ``path`` with uncommitted changes or untracked files (git status)."""
    done = _git(["status", "--porcelain", "--untracked-files=all", "--", "."], path)
    if done.returncode != 0:
        raise UsageError(f"git status failed in {path}: {done.stderr.strip()}")
    return [line[3:] for line in done.stdout.splitlines() if line.strip()]


@dataclass(frozen=True)
class MergeResult:
    content: bytes
    conflicts: int  # 0 = merged cleanly


def merge_file(
    ours: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str]
) -> MergeResult:
    """Three-way merge of one file's versions with ``git merge-file``.

    Conflicting hunks carry the usual ``<<<<<<<``/``=======``/``>>>>>>>`` markers,
    labelled ``labels`` (ours, base, theirs). Raises ``ValueError`` if git cannot
    merge the contents (binary data).
    """
    with tempfile.TemporaryDirectory(prefix="archgen-merge-") as tmp:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            (Path(tmp) / name).write_bytes(data)
            names.append(name)
        args = ["merge-file", "-p"]
        for label in labels:
            args += ["-L", label]
        done = subprocess.run(["git", *args, *names], cwd=tmp, capture_output=True, check=False)
    if done.returncode < 0 or done.returncode >= 128:
        raise ValueError(done.stderr.decode("utf-8", "replace").strip() or "git merge-file failed")
    return MergeResult(done.stdout, done.returncode)
