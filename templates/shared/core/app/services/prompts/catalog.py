"""The prompt versions every instance serves: immutable rows in the database.

Two sources feed one store, the ``prompt_versions`` table:

- the reviewed files in ``app/prompts/`` (``PromptStore``), loaded into it by
  ``sync_files`` (each process on its first refresh, or ``python -m app prompts
  sync``); a file that differs from its stored version is reported, never stored;
- versions published over the API (``publish``), which exist only as rows.

Rows are never updated or deleted (the app's PostgreSQL role may only SELECT and
INSERT them), so an instance keeps a copy in memory and, at most every
``refresh_seconds``, loads the rows past the highest id it has seen: a version
published on one instance is served by all of them within seconds, with one cheap
query per interval and none per request. When the database cannot be read the
instance keeps serving what it has, and the files.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.core.catalog import MODELS
from app.models.prompts import PromptVersionRow
from app.services.prompts.experiments import Experiment
from app.services.prompts.model import (
    NAME_RE,
    PromptError,
    PromptFormatError,
    PromptNotFoundError,
    PromptTooLargeError,
    PromptVersion,
    PromptVersionLimitError,
    content_sha256,
    format_ref,
    parse_prompt,
)
from app.services.prompts.store import PromptProblem, PromptStore, PublishLimits
from app.services.usage.tenancy import TenantDatabase

logger = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 2.0  # PROMPT_REFRESH_SECONDS's default
# Concurrent publishes of one prompt race for its next version number.
_PUBLISH_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What ``sync_files`` did: versions it stored, and files that disagree with the store."""

    stored: tuple[str, ...]  # refs newly stored
    problems: tuple[PromptProblem, ...]


class PromptCatalog:
    """Published prompt versions from the database (and the files), refreshed by polling."""

    def __init__(
        self,
        db: TenantDatabase,
        files: PromptStore,
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
    ) -> None:
        self.db = db
        self.files = files
        self.limits: PublishLimits = files.limits
        self.refresh_seconds = refresh_seconds
        self._rows: dict[str, dict[int, PromptVersion]] = {}
        self._last_id = 0
        self._next_check = 0.0
        self._synced = False
        # Guards the copy-on-write of ``_rows`` (no I/O happens while it is held).
        self._merge_guard = threading.Lock()

    # -- keeping up with other instances --------------------------------------------------

    async def refresh(self, *, force: bool = False) -> None:
        """Load versions published since the last look; no I/O until the interval is up.

        A database error is logged and the current versions keep serving.
        """
        now = time.monotonic()
        if not force and now < self._next_check:
            return
        self._next_check = now + self.refresh_seconds
        try:
            if not self._synced:
                report = await self.sync_files()
                for problem in report.problems:
                    logger.error("prompt catalogue: %s", problem)
                self._synced = True
            await self.load_stored()
        except SQLAlchemyError as exc:
            logger.warning("prompt catalogue not refreshed (serving what it has): %s", exc)

    async def load_stored(self) -> None:
        """Load the stored versions not loaded yet (database errors propagate)."""
        after = self._last_id
        async with self.db.system() as session:  # prompts belong to no tenant
            rows = (
                await session.scalars(
                    select(PromptVersionRow)
                    .where(PromptVersionRow.id > after)
                    .order_by(PromptVersionRow.id)
                )
            ).all()
        loaded = [(row.id, self._parsed(row)) for row in rows]
        with self._merge_guard:
            merged = {name: dict(versions) for name, versions in self._rows.items()}
            for row_id, prompt in loaded:
                if prompt is not None:
                    merged.setdefault(prompt.name, {})[prompt.version] = prompt
                self._last_id = max(self._last_id, row_id)
            self._rows = merged

    def _parsed(self, row: PromptVersionRow) -> PromptVersion | None:
        path = self.files.path_of(row.name, row.version)
        try:
            return parse_prompt(row.text, name=row.name, version=row.version, path=path)
        except PromptError as exc:  # stored by an older release with other rules
            logger.error("prompt catalogue: stored %s is unreadable: %s", row.name, exc)
            return None

    # -- the files: app/prompts loaded into the store -------------------------------------

    async def sync_files(self, *, store: bool = True) -> SyncReport:
        """Store every published file version the database lacks; report the ones that differ.

        Safe to run from several instances at once: a version stored meanwhile by
        another is compared, not stored twice. Files the lock does not match are left
        to ``prompts check``. ``store=False`` only compares (``prompts check --database``).
        """
        lock = {name: self.files.versions(name) for name in self.files.published()}
        texts: dict[tuple[str, int], str] = {}
        for name, versions in lock.items():
            for version in versions:
                try:
                    texts[(name, version)] = self.files.get(name, version).path.read_text(
                        encoding="utf-8"
                    )
                except (PromptError, OSError):
                    continue  # an edited or missing file: prompts check names it
        stored: list[str] = []
        existing = await self._stored_hashes(set(lock))
        missing = [key for key in texts if key not in existing] if store else []
        for name, version in missing:
            try:
                # LF line endings only: the stored hash stays the lock's (content_sha256).
                text = texts[(name, version)].replace("\r\n", "\n").replace("\r", "\n")
                await self._insert(name, version, text, "file")
            except IntegrityError:
                continue  # another instance stored it meanwhile: compared below
            stored.append(format_ref(name, version))
        existing = await self._stored_hashes(set(lock))
        problems = [
            PromptProblem(
                self.files.path_of(name, version),
                f"differs from the stored immutable version {format_ref(name, version)} "
                f"(sha256 {content_sha256(text)[:12]}…, stored {existing[(name, version)][:12]}…). "
                "Restore the file and publish the change as a new version.",
            )
            for (name, version), text in sorted(texts.items())
            if (name, version) in existing and existing[(name, version)] != content_sha256(text)
        ]
        return SyncReport(tuple(stored), tuple(problems))

    async def _stored_hashes(self, names: set[str]) -> dict[tuple[str, int], str]:
        if not names:
            return {}
        async with self.db.system() as session:
            rows = await session.execute(
                select(
                    PromptVersionRow.name, PromptVersionRow.version, PromptVersionRow.sha256
                ).where(PromptVersionRow.name.in_(sorted(names)))
            )
            return {(name, version): digest for name, version, digest in rows}

    async def _insert(self, name: str, version: int, text: str, source: str) -> None:
        async with self.db.system() as session:
            session.add(
                PromptVersionRow(
                    name=name,
                    version=version,
                    text=text,
                    sha256=content_sha256(text),
                    source=source,
                )
            )

    # -- reading (from memory) ------------------------------------------------------------

    def published(self) -> dict[str, tuple[int, ...]]:
        """Every published prompt and its versions, oldest first (files and stored rows)."""
        names = set(self._rows) | set(self.files.published())
        return {name: self._versions_of(name) for name in sorted(names)}

    def _versions_of(self, name: str) -> tuple[int, ...]:
        from_files: tuple[int, ...] = ()
        if name in self.files.published():
            from_files = self.files.versions(name)
        return tuple(sorted(set(from_files) | set(self._rows.get(name, {}))))

    def versions(self, name: str) -> tuple[int, ...]:
        """The published versions of ``name``, oldest first."""
        _check_name(name)
        versions = self._versions_of(name)
        if not versions:
            raise PromptNotFoundError(f"prompt {name} has no published version")
        return versions

    def get(self, name: str, version: int | None = None) -> PromptVersion:
        """A published version (the latest when ``version`` is None).

        The stored row wins over the file: it is what every instance serves.
        """
        version = self.versions(name)[-1] if version is None else version
        stored = self._rows.get(name, {}).get(version)
        if stored is not None:
            return stored
        return self.files.get(name, version)

    def experiments(self) -> dict[str, Experiment]:
        """Which versions serve traffic: ``app/prompts/experiments.toml`` (reviewed in git)."""
        return self.files.experiments()

    def resolve(self, name: str, user_id: str) -> PromptVersion:
        """The version of ``name`` that serves ``user_id``: its experiment's, else the latest."""
        experiment = self.experiments().get(name)
        if experiment is None:
            return self.get(name)
        return self.get(name, experiment.assign(user_id))

    # -- publishing -----------------------------------------------------------------------

    async def publish(self, name: str, text: str) -> PromptVersion:
        """Store ``text`` (front matter + body) as the next version of ``name``.

        Raises PromptTooLargeError over ``limits.max_bytes`` (before any parsing),
        PromptVersionLimitError at ``limits.max_versions``, PromptFormatError for an
        invalid version, and PromptError for one identical to the latest.
        """
        _check_name(name)
        size = len(text.encode("utf-8"))
        if size > self.limits.max_bytes:
            raise PromptTooLargeError(
                f"a prompt version may be at most {self.limits.max_bytes} bytes "
                f"(PROMPT_MAX_BYTES); this one is {size}",
                self.limits.max_bytes,
            )
        text = _normalised(text)
        parse_prompt(text, name=name, version=1, path=self.files.path_of(name, 1))
        if not self._synced:
            # The files' versions come first: a new version numbers after them. A
            # database error propagates here (503): nothing can be published without it.
            await self.sync_files()
            self._synced = True
        for _ in range(_PUBLISH_ATTEMPTS):
            version = await self._next_version(name, text)
            try:
                await self._insert(name, version, text, "api")
            except IntegrityError:
                continue  # another instance took this number: count again
            await self.refresh(force=True)
            return self.get(name, version)
        raise PromptError(f"prompt {name} is being published concurrently; retry")

    async def _next_version(self, name: str, text: str) -> int:
        async with self.db.system() as session:
            count, latest = (
                await session.execute(
                    select(func.count(), func.max(PromptVersionRow.version)).where(
                        PromptVersionRow.name == name
                    )
                )
            ).one()
            latest_text = None
            if latest is not None:
                latest_text = await session.scalar(
                    select(PromptVersionRow.text).where(
                        PromptVersionRow.name == name, PromptVersionRow.version == latest
                    )
                )
        if count >= self.limits.max_versions:
            raise PromptVersionLimitError(
                f"prompt {name} already has {count} published versions, the most "
                f"allowed (PROMPT_MAX_VERSIONS={self.limits.max_versions})",
                self.limits.max_versions,
            )
        version = int(latest or 0) + 1
        prompt = parse_prompt(text, name=name, version=version, path=self.files.path_of(name, version))
        if prompt.hints.model is not None and prompt.hints.model not in MODELS:
            raise PromptFormatError(
                f"{prompt.path}: model hint {prompt.hints.model} is not in the catalog"
            )
        if latest_text is not None and content_sha256(latest_text) == content_sha256(text):
            raise PromptError(f"identical to {format_ref(name, version - 1)}: nothing to publish")
        return version


def _normalised(text: str) -> str:
    """LF line endings and a final newline: how a version is stored and hashed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def _check_name(name: str) -> None:
    if not NAME_RE.fullmatch(name):
        raise PromptNotFoundError(f"{name!r} is not a prompt name (lowercase identifier)")

