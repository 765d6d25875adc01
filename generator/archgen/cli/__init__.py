"""The ``archgen`` command line: one module per command, registered here.

Exit codes: 0 ok, 1 the generated project's checks failed (or, for diff and check,
generated files differ), 2 bad input, 3 ``archgen update`` left conflicts.
"""

from __future__ import annotations

from typing import Annotated

import typer

from archgen import __version__
from archgen.cli import blueprints, check, diff, new, schema, tco, update, validate, verify

HELP = """Generate AI-SaaS backends (Flask or FastAPI) that protect your margin from request one.

Exit codes: 0 ok; 1 the generated project's checks or tests failed (diff, check:
generated files differ); 2 bad input (spec, options, paths, not a clean archgen
project); 3 `archgen update` left merge conflicts.

Human output goes to stderr; --json output goes to stdout.
"""

app = typer.Typer(
    name="archgen",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"archgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Generate AI-SaaS backends that protect your margin from the first request."""


app.command("new")(new.new)
app.command("validate")(validate.validate)
app.command("blueprints")(blueprints.blueprints)
app.command("schema")(schema.schema)
app.command("verify")(verify.verify)
app.command("update")(update.update)
app.command("diff")(diff.diff)
app.command("check")(check.check)
app.command("tco")(tco.tco)


def main() -> None:
    """Console entry point."""
    app()
