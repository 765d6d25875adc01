"""``archgen blueprints``: the ready specs, one line each."""

from __future__ import annotations

from typing import Annotated

import typer

from archgen.cli._io import emit_json, reporting
from archgen.spec import list_blueprints


def blueprints(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the ready specs to start from (use one with `archgen new --blueprint NAME`)."""
    with reporting(as_json=as_json):
        found = list_blueprints()
        if as_json:
            emit_json([{"name": b.name, "summary": b.summary, "path": str(b.path)} for b in found])
            return
        width = max((len(b.name) for b in found), default=0)
        for blueprint in found:
            typer.echo(f"{blueprint.name:<{width}}  {blueprint.summary}")
