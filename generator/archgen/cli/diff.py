"""``archgen diff``: how the project differs from a fresh render of its spec."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from archgen.cli._io import err, reporting
from archgen.errors import EXIT_CHECKS_FAILED


def diff(
    directory: Annotated[
        Path, typer.Argument(help="The generated project (default: the current directory).")
    ] = Path("."),
    spec: Annotated[
        Path | None,
        typer.Option("--spec", "-s", help="Render from this spec instead of archgen.yaml."),
    ] = None,
) -> None:
    """Unified diff (on stdout) from a fresh render to the project, generated files only.

    Exit 0 when they are the same, 1 when any generated file differs.
    """
    from archgen.update import project_diff  # the render pipeline: only when run

    with reporting(as_json=False), err.status("rendering"):
        text = project_diff(directory, spec)
    sys.stdout.write(text)
    if text:
        raise typer.Exit(EXIT_CHECKS_FAILED)
    err.print("no difference from a fresh render")
