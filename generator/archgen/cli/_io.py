"""Output conventions shared by the commands: humans read stderr, scripts read stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from archgen.errors import ArchgenError, SpecError, VerifyFailed

err = Console(stderr=True, highlight=False)


def emit_json(data: object) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def show_error(error: ArchgenError) -> None:
    if isinstance(error, SpecError):
        err.print(f"[bold red]error:[/] {error.message}", soft_wrap=True)
        for problem in error.problems:
            err.print(f"  {problem}", markup=False, soft_wrap=True)
        return
    err.print(f"[bold red]error:[/] {error.message}", soft_wrap=True)
    if isinstance(error, VerifyFailed):
        for failure in error.failures:
            err.print(f"  FAILED {failure}", markup=False, soft_wrap=True)


@contextmanager
def reporting(*, as_json: bool) -> Iterator[None]:
    """Turn archgen errors into their exit codes, shown once; never a traceback."""
    try:
        yield
    except ArchgenError as error:
        if as_json:
            emit_json(error.to_dict())
        show_error(error)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
