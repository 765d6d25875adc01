"""``archgen check``: fail CI when generated files drift from the spec."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from archgen.cli._io import err, reporting, say
from archgen.errors import EXIT_CHECKS_FAILED


def check(
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec", "-s", help="The spec to render (default: the project's archgen.yaml)."
        ),
    ] = None,
    against: Annotated[
        Path, typer.Option("--against", help="The committed project to compare.")
    ] = Path("."),
) -> None:
    """Exit 1 with the diff when the project differs from a fresh render of --spec.

    Files you have taken over (edited or deleted, recorded by `archgen update`) and
    the project's own state (app/prompts/, .env) are not compared.
    """
    from archgen.update import check_project  # the render pipeline: only when run

    with reporting(as_json=False), err.status("rendering"):
        text = check_project(against, spec)
    if text:
        sys.stdout.write(text)
        say(
            "generated files differ from the spec:",
            "run `archgen update` (it merges, and records deliberate edits as taken over),"
            " then commit",
            style="bold red",
        )
        raise typer.Exit(EXIT_CHECKS_FAILED)
    say("generated files match the spec", style="green")
