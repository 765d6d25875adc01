"""A generated project on disk: its manifest, its pristine store, its spec."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archgen.errors import UsageError
from archgen.render import RenderedProject, render_project
from archgen.render.manifest import MANIFEST_PATH, PRISTINE_DIR, Manifest, parse_manifest, sha256
from archgen.spec import parse_spec
from archgen.spec.migrations import SpecUpgrade, upgrade_text
from archgen.spec.models import Framework
from archgen.update.policy import SPEC_PATH

_CONFLICT_START = b"<<<<<<< "
_CONFLICT_END = b">>>>>>> "


@dataclass(frozen=True)
class Project:
    """An archgen project directory and the manifest of its last generation or update."""

    root: Path
    manifest: Manifest

    @classmethod
    def open(cls, root: Path) -> Project:
        """Read ``root``'s manifest; ``UsageError`` if it is not an archgen project."""
        if not root.is_dir():
            raise UsageError(f"{root} is not a directory")
        path = root / MANIFEST_PATH
        if not path.is_file():
            raise UsageError(
                f"{root} is not an archgen project (no {MANIFEST_PATH}; "
                "create one with archgen new)"
            )
        try:
            manifest = parse_manifest(path.read_bytes())
        except ValueError as exc:
            raise UsageError(f"{path} is unreadable: {exc}") from None
        return cls(root, manifest)

    @property
    def framework(self) -> Framework | None:
        try:
            return Framework(self.manifest.framework)
        except ValueError:
            return None

    def read(self, path: str) -> bytes | None:
        """The file's current content, or None if it does not exist."""
        target = self.root / path
        return target.read_bytes() if target.is_file() else None

    def base(self, path: str, *known: bytes | None) -> bytes | None:
        """The pristine content ``path`` had when last generated, or None if unknown.

        Read from the pristine store by hash; a project whose store lacks it (made
        before the store existed) still has a base wherever any ``known`` content
        has the recorded hash (an unedited file, an unchanged template).
        """
        digest = self.manifest.files.get(path)
        if digest is None:
            return None
        stored = self.root / PRISTINE_DIR / digest
        if stored.is_file():
            return stored.read_bytes()
        for content in known:
            if content is not None and sha256(content) == digest:
                return content
        return None

    def files_with_markers(self, paths: set[str]) -> list[str]:
        """Those of ``paths`` that still hold unresolved conflict markers."""
        found = []
        for path in sorted(paths):
            data = self.read(path)
            if data is None:
                continue
            lines = data.splitlines()
            if any(line.startswith(_CONFLICT_START) for line in lines) and any(
                line.startswith(_CONFLICT_END) for line in lines
            ):
                found.append(path)
        return found


@dataclass(frozen=True)
class FreshRender:
    """The project as this archgen renders it now, and the spec upgrade that preceded it."""

    project: RenderedProject
    upgrade: SpecUpgrade
    spec_source: Path
    notes: tuple[str, ...] = ()


def render_fresh(project: Project, spec_file: Path | None = None) -> FreshRender:
    """Render ``project`` anew from ``spec_file`` (default: its ``archgen.yaml``).

    The spec is upgraded to the current ``schema_version`` first; the project's
    framework (from its manifest) is kept. Raises ``SpecError`` for an invalid spec.
    """
    source = spec_file or project.root / SPEC_PATH
    try:
        text = source.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"spec file {source} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the spec file {source}: {exc}") from None
    upgraded = upgrade_text(text)
    spec = parse_spec(upgraded.after, str(source))
    framework = project.framework or spec.framework
    notes: tuple[str, ...] = ()
    if framework is not spec.framework:
        # Switching frameworks rewrites the whole web layer: that is a new project.
        notes = (
            f"the spec says framework {spec.framework.value}; this project is "
            f"{framework.value}, so it is rendered as {framework.value} "
            "(archgen new makes a project in the other framework)",
        )
    rendered = render_project(spec, spec_text=upgraded.after, framework=framework)
    return FreshRender(rendered, upgraded, source, notes)
