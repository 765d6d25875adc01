"""The prompt catalogue on disk: published versions, the lock file, experiments.

Layout (under ``app/prompts/``)::

    summarize/v1.md, summarize/v2.md, ...   one file per version
    prompts.lock                            published versions and their sha256
    experiments.toml                        which versions serve traffic, weighted

A version is published when the lock lists it; from then on its file must not
change (``check()`` and the test suite fail, naming the file, and ``get()``
refuses to serve it). Changes are new versions, written by ``publish()``.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: publishes are serialised within one process only
    fcntl = None  # type: ignore[assignment]

from app.core.catalog import MODELS, WORKFLOWS
from app.services.prompts.experiments import Experiment, parse_experiments
from app.services.prompts.model import (
    NAME_RE,
    VERSION_FILE_RE,
    PromptError,
    PromptFormatError,
    PromptIntegrityError,
    PromptNotFoundError,
    PromptTooLargeError,
    PromptVersion,
    PromptVersionLimitError,
    content_sha256,
    format_ref,
    parse_prompt,
)

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
LOCK_FILE = "prompts.lock"
EXPERIMENTS_FILE = "experiments.toml"

_LOCK_ABOUT = (
    "Published prompt versions and the sha256 of their files. A published version is "
    "immutable: change a prompt by publishing a new version (python -m app prompts publish), "
    "never by editing this file or a listed version."
)

LockTable = dict[str, dict[int, str]]  # prompt name -> version -> sha256

# Defaults of PROMPT_MAX_BYTES and PROMPT_MAX_VERSIONS (see app/core/config.py).
DEFAULT_MAX_PROMPT_BYTES = 64 * 1024
DEFAULT_MAX_PROMPT_VERSIONS = 100


@dataclass(frozen=True, slots=True)
class PublishLimits:
    """How large one version may be, and how many versions one prompt may have."""

    max_bytes: int = DEFAULT_MAX_PROMPT_BYTES
    max_versions: int = DEFAULT_MAX_PROMPT_VERSIONS


_PUBLISH_GUARD = threading.Lock()


@contextmanager
def _publishing(root: Path) -> Iterator[None]:
    """Serialise publishes: threads in this process, and processes via flock on the folder.

    The lock file is read, changed and replaced; without this two publishes of
    different prompts could each drop the other's new entry.
    """
    with _PUBLISH_GUARD:
        fd = None
        if fcntl is not None:
            with suppress(OSError):
                fd = os.open(root, os.O_RDONLY)
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            if fd is not None:
                os.close(fd)  # closing releases the flock


def display_path(path: Path) -> str:
    """``path`` as an operator would type it: relative to the working directory if inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True, slots=True)
class PromptProblem:
    """One thing ``check()`` found wrong, and the file it is about."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{display_path(self.path)}: {self.message}"


class PromptStore:
    """Reads and publishes the prompt catalogue rooted at ``root`` (``app/prompts``).

    The lock and experiments are read once and cached, as are loaded versions
    (a deploy restarts the process); ``reload()`` forgets them.
    """

    def __init__(self, root: Path = PROMPTS_DIR, *, limits: PublishLimits | None = None) -> None:
        self.root = root
        self.limits = limits or PublishLimits()
        self.lock_path = root / LOCK_FILE
        self.experiments_path = root / EXPERIMENTS_FILE
        self._lock: LockTable | None = None
        self._experiments: dict[str, Experiment] | None = None
        self._loaded: dict[tuple[str, int], PromptVersion] = {}

    def reload(self) -> None:
        """Forget cached state (after files changed on disk)."""
        self._lock = None
        self._experiments = None
        self._loaded = {}

    def path_of(self, name: str, version: int) -> Path:
        """Where version ``version`` of prompt ``name`` lives."""
        _check_name(name)
        return self.root / name / f"v{version}.md"

    # -- reading -------------------------------------------------------------------

    def published(self) -> dict[str, tuple[int, ...]]:
        """Every published prompt and its versions, oldest first."""
        return {name: tuple(sorted(versions)) for name, versions in self._cached_lock().items()}

    def versions(self, name: str) -> tuple[int, ...]:
        """The published versions of ``name``, oldest first."""
        _check_name(name)
        versions = self._cached_lock().get(name)
        if not versions:
            raise PromptNotFoundError(f"prompt {name} has no published version in {self.lock_path}")
        return tuple(sorted(versions))

    def get(self, name: str, version: int | None = None) -> PromptVersion:
        """A published version (the latest when ``version`` is None), verified by hash."""
        version = self.versions(name)[-1] if version is None else version
        key = (name, version)
        if key in self._loaded:
            return self._loaded[key]
        path = self.path_of(name, version)
        expected = self._cached_lock().get(name, {}).get(version)
        if expected is None:
            raise PromptNotFoundError(f"{format_ref(name, version)} is not published")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PromptIntegrityError(f"{path}: published version is missing") from None
        if content_sha256(text) != expected:
            # Serving it would record a version label that no longer describes the text.
            raise PromptIntegrityError(
                f"{path}: published version was edited (sha256 differs from {self.lock_path})"
            )
        prompt = parse_prompt(text, name=name, version=version, path=path)
        self._loaded[key] = prompt
        return prompt

    def experiments(self) -> dict[str, Experiment]:
        """The experiments file's entries, by prompt name (empty when there is no file)."""
        if self._experiments is None:
            self._experiments = self._read_experiments()
        return self._experiments

    def resolve(self, name: str, user_id: str) -> PromptVersion:
        """The version of ``name`` that serves ``user_id``: its experiment's, else the latest.

        Stable: the same user gets the same version until the experiment changes.
        Record ``.ref`` (e.g. ``summarize@v3``) on the request's ledger rows.
        """
        experiment = self.experiments().get(name)
        if experiment is None:
            return self.get(name)
        return self.get(name, experiment.assign(user_id))

    # -- checking ------------------------------------------------------------------

    def check(self, *, required: Iterable[str] | None = None) -> list[PromptProblem]:
        """Everything wrong with the catalogue on disk; empty when all is well.

        Finds edited or missing published versions (naming the file), version files
        that were never published, invalid files, experiments naming unpublished
        versions, and prompts in ``required`` (default: every workflow's prompt in
        the catalog) without a published version.
        """
        problems: list[PromptProblem] = []
        try:
            lock = self._read_lock()
        except PromptFormatError as exc:
            problems.append(PromptProblem(self.lock_path, str(exc)))
            lock = {}
        if not self.lock_path.exists():
            problems.append(PromptProblem(self.lock_path, "missing: no version is published"))
        for name, versions in sorted(lock.items()):
            for version, expected in sorted(versions.items()):
                problems += self._check_version(name, version, expected)
        problems += self._check_unpublished(lock)
        problems += self._check_experiments(lock)
        needed = (
            sorted({w.prompt for w in WORKFLOWS.values()}) if required is None else list(required)
        )
        for name in needed:
            if not lock.get(name):
                users = ", ".join(w.name for w in WORKFLOWS.values() if w.prompt == name)
                problems.append(
                    PromptProblem(
                        self.root / name,
                        f"prompt {name} has no published version"
                        + (f" (used by workflow {users})" if users else ""),
                    )
                )
        return problems

    def _check_version(self, name: str, version: int, expected: str) -> list[PromptProblem]:
        path = self.root / name / f"v{version}.md"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return [PromptProblem(path, f"published version {name}@v{version} is missing")]
        actual = content_sha256(text)
        if actual != expected:
            return [
                PromptProblem(
                    path,
                    f"published version {name}@v{version} was edited (sha256 {actual[:12]}…, "
                    f"{LOCK_FILE} records {expected[:12]}…). Published versions are immutable: "
                    f"restore the file and publish the change as a new version "
                    f"(python -m app prompts publish {name} FILE).",
                )
            ]
        try:
            prompt = parse_prompt(text, name=name, version=version, path=path)
        except PromptFormatError as exc:
            return [PromptProblem(path, str(exc))]
        if prompt.hints.model is not None and prompt.hints.model not in MODELS:
            return [PromptProblem(path, f"model hint {prompt.hints.model} is not in the catalog")]
        return []

    def _check_unpublished(self, lock: LockTable) -> list[PromptProblem]:
        problems = []
        if not self.root.is_dir():
            return [PromptProblem(self.root, "the prompts directory is missing")]
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for path in sorted(folder.iterdir()):
                match = VERSION_FILE_RE.fullmatch(path.name)
                if match and int(match.group(1)) not in lock.get(folder.name, {}):
                    problems.append(
                        PromptProblem(
                            path,
                            f"not published (missing from {LOCK_FILE}); publish it with "
                            f"python -m app prompts publish {folder.name} {display_path(path)}",
                        )
                    )
        return problems

    def _check_experiments(self, lock: LockTable) -> list[PromptProblem]:
        try:
            experiments = self._read_experiments()
        except PromptFormatError as exc:
            return [PromptProblem(self.experiments_path, str(exc))]
        problems = []
        for name, experiment in sorted(experiments.items()):
            for version in experiment.versions:
                if version not in lock.get(name, {}):
                    problems.append(
                        PromptProblem(
                            self.experiments_path,
                            f"[{name}] routes traffic to {name}@v{version}, which is not published",
                        )
                    )
        return problems

    # -- publishing ----------------------------------------------------------------

    def publish(self, name: str, text: str) -> PromptVersion:
        """Publish ``text`` (front matter + body) as the next version of ``name``.

        Writes ``<name>/v<N+1>.md`` and records its hash in the lock. An existing
        unpublished file at that path is published in place if its content is
        ``text`` (publishing a draft); otherwise it is an error, as is a body
        identical to the latest version. Publishing does not route traffic: that is
        the experiments file's job (a prompt without an entry serves its latest).

        Raises PromptTooLargeError over ``limits.max_bytes`` (checked before any
        parsing) and PromptVersionLimitError when ``limits.max_versions`` are published.
        """
        _check_name(name)
        size = len(text.encode("utf-8"))
        if size > self.limits.max_bytes:
            raise PromptTooLargeError(
                f"a prompt version may be at most {self.limits.max_bytes} bytes "
                f"(PROMPT_MAX_BYTES); this one is {size}",
                self.limits.max_bytes,
            )
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text if text.endswith("\n") else text + "\n"
        self.root.mkdir(parents=True, exist_ok=True)
        with _publishing(self.root):
            prompt = self._publish_locked(name, text)
        self.reload()
        return prompt

    def _publish_locked(self, name: str, text: str) -> PromptVersion:
        lock = self._read_lock()
        versions = lock.setdefault(name, {})
        if len(versions) >= self.limits.max_versions:
            raise PromptVersionLimitError(
                f"prompt {name} already has {len(versions)} published versions, the most "
                f"allowed (PROMPT_MAX_VERSIONS={self.limits.max_versions})",
                self.limits.max_versions,
            )
        version = max(versions, default=0) + 1
        path = self.path_of(name, version)
        prompt = parse_prompt(text, name=name, version=version, path=path)
        if prompt.hints.model is not None and prompt.hints.model not in MODELS:
            raise PromptFormatError(
                f"{path}: model hint {prompt.hints.model} is not in the catalog"
            )
        digest = content_sha256(text)
        if versions and versions[version - 1] == digest:
            raise PromptError(f"identical to {format_ref(name, version - 1)}: nothing to publish")
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            if content_sha256(path.read_text(encoding="utf-8")) != digest:
                raise PromptError(
                    f"{path} exists but is not published and differs from the given text: "
                    "publish that file's content, or move it away"
                )
        else:
            try:
                # "x": two concurrent publishes cannot both write the same version.
                with path.open("x", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            except FileExistsError:
                raise PromptError(f"{path} was just written by another publish; retry") from None
        versions[version] = digest
        self._write_lock(lock)
        return prompt

    # -- files ---------------------------------------------------------------------

    def _cached_lock(self) -> LockTable:
        if self._lock is None:
            self._lock = self._read_lock()
        return self._lock

    def _read_lock(self) -> LockTable:
        try:
            raw = json.loads(self.lock_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError as exc:
            raise PromptFormatError(f"{self.lock_path}: not valid JSON: {exc}") from exc
        prompts = raw.get("prompts") if isinstance(raw, dict) else None
        if not isinstance(prompts, dict):
            raise PromptFormatError(f"{self.lock_path}: " + 'expected {"prompts": {...}}')
        lock: LockTable = {}
        for name, versions in prompts.items():
            if not isinstance(name, str) or not NAME_RE.fullmatch(name):
                raise PromptFormatError(f"{self.lock_path}: {name!r} is not a prompt name")
            if not isinstance(versions, dict):
                raise PromptFormatError(f"{self.lock_path}: {name} must map versions to hashes")
            lock[name] = {}
            for key, digest in versions.items():
                match = VERSION_FILE_RE.fullmatch(f"{key}.md")
                if not match or not isinstance(digest, str) or len(digest) != 64:
                    raise PromptFormatError(f"{self.lock_path}: bad entry {name}.{key}")
                lock[name][int(match.group(1))] = digest
        return lock

    def _write_lock(self, lock: LockTable) -> None:
        data = {
            "about": _LOCK_ABOUT,
            "prompts": {
                name: {f"v{v}": digest for v, digest in sorted(versions.items())}
                for name, versions in sorted(lock.items())
                if versions
            },
        }
        # Write a sibling and rename: readers never see a half-written lock. The
        # sibling gets the lock's current mode (a new lock: the umask's), not 0600.
        try:
            mode: int | None = stat.S_IMODE(self.lock_path.stat().st_mode)
        except FileNotFoundError:
            mode = None
        tmp = self.root / f".{LOCK_FILE}.{secrets.token_hex(8)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            if mode is not None:
                os.chmod(tmp, mode)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(json.dumps(data, indent=2) + "\n")
            os.replace(tmp, self.lock_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _read_experiments(self) -> dict[str, Experiment]:
        try:
            text = self.experiments_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        return parse_experiments(text, source=str(self.experiments_path))


def _check_name(name: str) -> None:
    # Names become paths: only identifiers, never "..", separators or dots.
    if not NAME_RE.fullmatch(name):
        raise PromptNotFoundError(f"{name!r} is not a prompt name (lowercase identifier)")


@lru_cache(maxsize=1)
def get_prompt_store() -> PromptStore:
    """The process-wide store for the app's own ``app/prompts``."""
    return PromptStore()


def resolve_prompt(name: str, user_id: str) -> PromptVersion:
    """The version of prompt ``name`` serving ``user_id`` (see ``PromptStore.resolve``)."""
    return get_prompt_store().resolve(name, user_id)
