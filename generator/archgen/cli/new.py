"""``archgen new``: render a project from a spec, a blueprint, or answers to questions."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archgen.cli._io import emit_json, progress_steps, reporting, say
from archgen.errors import UsageError
from archgen.generate import generate
from archgen.spec import blueprint_path, load_spec
from archgen.spec.models import Framework

if TYPE_CHECKING:
    from archgen.render.pipeline import RenderedProject
    from archgen.verify import VerifyResult


def _spec_source(blueprint: str | None, spec: Path | None) -> Path:
    if blueprint and spec:
        raise UsageError("give either --spec or --blueprint, not both")
    if spec is not None:
        return spec
    if blueprint is not None:
        return blueprint_path(blueprint)
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise UsageError(
            "no spec given: pass --spec FILE or --blueprint NAME "
            "(questions are only asked on a terminal)"
        )
    from archgen.cli._io import err
    from archgen.cli.interview import interview  # only needed on a terminal

    return interview(console=err)


def _check_outputs(out: Path | None, zip_path: Path | None, force: bool) -> None:
    """Refuse before rendering what writing would refuse after it."""
    if out is not None and out.exists():
        if not out.is_dir():
            raise UsageError(f"--out {out} exists and is not a directory")
        if any(out.iterdir()) and not force:
            raise UsageError(f"--out {out} is not empty; use --force to write into it")
    if zip_path is not None and not zip_path.parent.is_dir():
        raise UsageError(f"--zip {zip_path}: the directory {zip_path.parent} does not exist")


def new(
    spec: Annotated[
        Path | None, typer.Option("--spec", "-s", help="Spec file (YAML) to generate from.")
    ] = None,
    blueprint: Annotated[
        str | None,
        typer.Option("--blueprint", "-b", help="Ready spec to start from (`archgen blueprints`)."),
    ] = None,
    framework: Annotated[
        Framework | None, typer.Option("--framework", "-f", help="Override the spec's framework.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Directory to write (default: ./<slug>, unless --zip)."),
    ] = None,
    zip_path: Annotated[
        Path | None,
        typer.Option(
            "--zip", help="Also (or only) write the project as this ZIP (its directory must exist)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a non-empty --out directory.")
    ] = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Skip the generated project's checks and tests.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary on stdout.")
    ] = False,
) -> None:
    """Generate a project, then prove it works (ruff, mypy when configured, its own tests).

    With neither --spec nor --blueprint, asks on a terminal and writes the spec too.
    Exit 1 when the generated checks or tests fail, 2 on bad input or a file that
    cannot be written, 70 on an internal error.
    """
    with reporting(as_json=as_json):
        source = _spec_source(blueprint, spec)
        product = load_spec(source)
        chosen = framework or product.framework
        if out is None and zip_path is None:
            assert product.product.slug is not None
            out = Path(product.product.slug)
        _check_outputs(out, zip_path, force)

        from archgen.render.flavour import flavour_of

        label = flavour_of(chosen).label
        with progress_steps(f"rendering {product.product.name} ({label})") as progress:
            result = generate(
                product,
                spec_text=source.read_text(encoding="utf-8-sig"),
                framework=chosen,
                out=out,
                zip_path=zip_path,
                force=force,
                progress=progress,
            )
        project = result.project
        if out is not None:
            say("wrote", f"{len(project.files)} files to {out}", style="green")
            if result.repository_initialised:
                say("initialised", f"a git repository in {out} (first commit)", style="green")
        if zip_path is not None:
            say("wrote", str(zip_path), style="green")

        summary: dict[str, object] = {
            "product": project.slug,
            "framework": chosen.value,
            "files": len(project.files),
            "out": str(out) if out is not None else None,
            "zip": str(zip_path) if zip_path is not None else None,
            "verified": False,
        }
        if not no_verify:
            verified = _verify(project, out)
            summary["verified"] = True
            summary["tests"] = verified.tests
            summary["python"] = verified.python
            say("verified:", verified.summary, style="green")
        if as_json:
            emit_json(summary)


def _verify(project: RenderedProject, out: Path | None) -> VerifyResult:
    """Verify the written tree, or (ZIP only) the same tree in a scratch directory."""
    from archgen.render.output import write_tree
    from archgen.verify import verify_project

    with progress_steps("verifying") as progress:
        if out is not None:
            return verify_project(out, log=progress)
        with tempfile.TemporaryDirectory(prefix="archgen-verify-") as tmp:
            scratch = Path(tmp) / project.slug
            write_tree(project, scratch)
            return verify_project(scratch, log=progress)
