"""``archgen.generate``: the one way to turn a spec into a project.

The CLI, archgen's tests and the benchmarks all call it::

    from archgen import generate
    result = generate("acme.yaml", framework="flask", out="acme")
    result.project.files["app/core/catalog.py"]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archgen.errors import UsageError

if TYPE_CHECKING:
    from archgen.render.pipeline import Progress, RenderedProject
    from archgen.spec.models import Framework, ProductSpec


@dataclass(frozen=True)
class GenerateResult:
    """What ``generate`` produced: the rendered files and where they were written."""

    project: RenderedProject
    out: Path | None
    zip: Path | None
    # True when ``out`` was made a git repository with a first commit (for ``update``).
    repository_initialised: bool = False


def _load(spec: ProductSpec | Path | str, spec_text: str | None) -> tuple[ProductSpec, str]:
    """The validated spec and the text the project keeps as ``archgen.yaml``."""
    from archgen.spec import dump_spec, load_spec

    if isinstance(spec, Path | str):
        path = Path(spec)
        loaded = load_spec(path)
        try:
            return loaded, path.read_text(encoding="utf-8-sig")
        except OSError as exc:  # vanished between the two reads
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return spec, spec_text if spec_text is not None else dump_spec(spec)


def generate(
    spec: ProductSpec | Path | str,
    *,
    framework: Framework | str | None = None,
    out: Path | str | None = None,
    zip_path: Path | str | None = None,
    force: bool = False,
    spec_text: str | None = None,
    progress: Progress | None = None,
) -> GenerateResult:
    """Render ``spec`` (a spec file, or a loaded ``ProductSpec``) for ``framework``.

    The framework defaults to the spec's. With ``out`` the project is written to that
    directory (absent or empty unless ``force``); with ``zip_path`` to that ZIP; with
    neither it is only returned. A loaded spec is kept in the project as ``spec_text``
    (the text it was loaded from, comments and all) or else in its canonical form.
    ``progress`` receives a short message at each step. What ``archgen update`` needs
    is written too: the pristine store in ``.archgen/``, and for a directory outside any
    git repository, a repository with a first commit. Raises ``SpecError`` for an
    invalid spec, ``UsageError`` for a bad output path, ``OSError`` when writing fails
    and ``RenderError`` for a template bug.
    """
    from archgen.render.output import write_tree, write_zip
    from archgen.render.pipeline import render_project
    from archgen.spec.models import Framework
    from archgen.update.git import init_repository

    product, kept_text = _load(spec, spec_text)
    chosen = Framework(framework) if framework is not None else product.framework
    out_dir = Path(out) if out is not None else None
    zip_file = Path(zip_path) if zip_path is not None else None
    project = render_project(
        product,
        spec_text=kept_text,
        framework=chosen,
        progress=progress,
    )
    initialised = False
    if out_dir is not None:
        write_tree(project, out_dir, force=force, pristine=True)
        initialised = init_repository(out_dir, f"archgen new: {project.slug}")
    if zip_file is not None:
        write_zip(project, zip_file, pristine=True)
    return GenerateResult(
        project=project, out=out_dir, zip=zip_file, repository_initialised=initialised
    )
