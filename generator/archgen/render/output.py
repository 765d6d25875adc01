"""Write a rendered project to a directory or a ZIP, byte for byte the same tree.

With ``pristine=True`` (what ``archgen new`` writes) the tree also carries the
pristine store, ``.archgen/pristine/<sha256>``: the content each generated file
had, which ``archgen update`` uses as the base of its three-way merge.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from archgen.errors import UsageError
from archgen.render.manifest import pristine_files
from archgen.render.pipeline import RenderedProject

# Fixed ZIP timestamp: the same spec must give the same bytes.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_EXECUTABLE_SUFFIXES = (".sh",)


def _mode(path: str) -> int:
    return 0o755 if path.endswith(_EXECUTABLE_SUFFIXES) else 0o644


def file_mode(path: str) -> int:
    """The permission bits a generated file is written with."""
    return _mode(path)


def _with_store(project: RenderedProject, pristine: bool) -> dict[str, bytes]:
    if not pristine:
        return project.files
    return dict(sorted({**project.files, **pristine_files(project.files)}.items()))


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def write_tree(
    project: RenderedProject, dest: Path, *, force: bool = False, pristine: bool = False
) -> None:
    """Write the project into ``dest``, which must be absent or empty unless ``force``.

    Files are staged next to ``dest`` and moved in, so a failure leaves no half tree.
    With ``force``, existing files the project does not produce are left alone.
    With ``pristine``, the pristine store is written too.
    """
    files = _with_store(project, pristine)
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"--out {dest} exists and is not a directory")
    if dest.exists() and not _is_empty_dir(dest) and not force:
        raise UsageError(f"--out {dest} is not empty; use --force to write into it")
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".archgen-", dir=dest))
    try:
        for rel, data in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(_mode(rel))
        for rel in files:
            final = dest / rel
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_zip(
    project: RenderedProject, zip_path: Path, *, root: str | None = None, pristine: bool = False
) -> None:
    """Write the project as a ZIP whose entries sit under ``root/`` (the slug by default).

    With ``pristine``, the pristine store is included, so an unpacked ZIP can be updated.
    """
    files = _with_store(project, pristine)
    prefix = (root or project.slug).strip("/")
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_name(zip_path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel, data in sorted(files.items()):
            info = zipfile.ZipInfo(f"{prefix}/{rel}", date_time=_ZIP_EPOCH)
            info.external_attr = (stat.S_IFREG | _mode(rel)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    os.replace(tmp, zip_path)
