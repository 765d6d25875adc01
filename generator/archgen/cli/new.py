"""``archgen new``: render a project from a spec, a blueprint, or answers to questions."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from archgen.cli._io import emit_json, err, reporting
from archgen.errors import UsageError
from archgen.render import RenderedProject, render_project, write_tree, write_zip
from archgen.spec import blueprint_path, load_spec
from archgen.spec.models import Framework
from archgen.update.git import init_repository
from archgen.verify import VerifyResult, verify_project


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
    from archgen.cli.interview import interview  # only needed on a terminal

    return interview(console=err)


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
        Path | None, typer.Option("--zip", help="Also (or only) write the project as this ZIP.")
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
    """Generate a project, then prove it works (ruff + its own tests).

    With neither --spec nor --blueprint, asks on a terminal and writes the spec too.
    """
    with reporting(as_json=as_json):
        source = _spec_source(blueprint, spec)
        product = load_spec(source)
        chosen = framework or product.framework
        if out is None and zip_path is None:
            assert product.product.slug is not None
            out = Path(product.product.slug)
        if out is not None and out.exists() and any(out.iterdir()) and not force:
            raise UsageError(f"--out {out} is not empty; use --force to write into it")

        with err.status(f"rendering {product.product.name} ({chosen.value})"):
            project = render_project(
                product, spec_text=source.read_text(encoding="utf-8-sig"), framework=chosen
            )
        if out is not None:
            write_tree(project, out, force=force, pristine=True)
            err.print(f"[green]wrote[/] {len(project.files)} files to {out}")
            if init_repository(out, f"archgen new: {project.slug}"):
                err.print(f"[green]initialised[/] a git repository in {out} (first commit)")
        if zip_path is not None:
            write_zip(project, zip_path, pristine=True)
            err.print(f"[green]wrote[/] {zip_path}")

        summary: dict[str, object] = {
            "product": project.slug,
            "framework": chosen.value,
            "files": len(project.files),
            "out": str(out) if out is not None else None,
            "zip": str(zip_path) if zip_path is not None else None,
            "verified": False,
        }
        if not no_verify:
            result = _verify(project, out)
            summary["verified"] = True
            summary["tests"] = result.tests
            summary["python"] = result.python
            err.print(f"[green]verified[/]: {result.summary}")
        if as_json:
            emit_json(summary)


def _verify(project: RenderedProject, out: Path | None) -> VerifyResult:
    """Verify the written tree, or (ZIP only) the same tree in a scratch directory."""
    if out is not None:
        return verify_project(out, log=lambda msg: err.print(f"[dim]verify:[/] {msg}"))
    with tempfile.TemporaryDirectory(prefix="archgen-verify-") as tmp:
        scratch = Path(tmp) / project.slug
        write_tree(project, scratch)
        return verify_project(scratch, log=lambda msg: err.print(f"[dim]verify:[/] {msg}"))
