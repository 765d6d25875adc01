"""``archgen validate SPEC``: check a spec, report every problem with file:line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archgen.cli._io import emit_json, reporting, say
from archgen.spec import load_spec


def validate(
    spec: Annotated[Path, typer.Argument(help="The spec file (YAML).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Validate a spec. Exit 0 when valid, 2 with every problem otherwise."""
    with reporting(as_json=as_json):
        product = load_spec(spec)
        if as_json:
            emit_json({"valid": True, "file": str(spec), "product": product.product.slug})
        say("ok", f"{spec}: {product.product.name} ({product.product.slug})", style="green")
