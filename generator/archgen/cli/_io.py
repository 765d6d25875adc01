"""Output conventions shared by the commands: humans read stderr, scripts read stdout.

User text (file names, spec values, messages quoting them) is never interpreted by
the terminal library: no markup, no emoji codes (``file.yaml:100:16`` must not print
a 💯). Everything goes through ``say``, which styles only archgen's own labels.
"""

from __future__ import annotations

import errno
import json
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
import typer
from rich.console import Console
from rich.text import Text

from archgen.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    ArchgenError,
    RenderError,
    SpecError,
    VerifyFailed,
)

err = Console(stderr=True, highlight=False, emoji=False, markup=False)

# Set by the root `--debug` option: show tracebacks of internal errors.
DEBUG = {"enabled": False}

Progress = Callable[[str], object]


def say(label: str, message: str = "", *, style: str = "") -> None:
    """One line on stderr: ``label`` in ``style``, then ``message`` exactly as given."""
    line = Text(label, style=style)
    if message:
        line.append(" ")
        line.append(message)
    err.print(line, soft_wrap=True)


def emit_json(data: object) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def show_error(error: ArchgenError) -> None:
    """Print an archgen error and its details (problems, failed tests) on stderr."""
    label = "internal error, please report:" if isinstance(error, RenderError) else "error:"
    say(label, error.message, style="bold red")
    if isinstance(error, SpecError):
        for problem in error.problems:
            say(f"  {problem}")
    if isinstance(error, VerifyFailed):
        for failure in error.failures:
            say(f"  FAILED {failure}")


def describe_os_error(exc: OSError) -> str:
    """``<path>: <reason>`` for a failed file operation, with a hint for the usual causes."""
    reason = exc.strerror or str(exc)
    where = exc.filename if exc.filename is not None else "a file"
    hint = {
        errno.ENOSPC: " (the disk is full)",
        errno.EFBIG: " (the file size limit or the disk is exhausted)",
        errno.EACCES: " (no permission to write there)",
        errno.EROFS: " (read-only file system)",
    }.get(exc.errno or 0, "")
    return f"{where}: {reason}{hint}"


def _internal_error(exc: BaseException) -> None:
    say(
        "internal error, please report:",
        f"{type(exc).__name__}: {exc}",
        style="bold red",
    )
    if DEBUG["enabled"]:
        err.print(Text("".join(traceback.format_exception(exc))), soft_wrap=True)
    else:
        say("  (run with `archgen --debug ...` to see the traceback)")


@contextmanager
def reporting(*, as_json: bool) -> Iterator[None]:
    """Turn every failure into its exit code, shown once; a traceback only with --debug.

    archgen's own errors keep theirs; a failed file operation is bad input (2);
    anything else is a bug in archgen (70, "internal error, please report").
    """
    try:
        yield
    except (click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except ArchgenError as error:
        if as_json:
            emit_json(error.to_dict())
        show_error(error)
        raise typer.Exit(error.exit_code) from None
    except OSError as exc:
        message = describe_os_error(exc)
        if as_json:
            emit_json({"error": "OSError", "message": message})
        say("error:", message, style="bold red")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        say("interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:
        if as_json:
            emit_json({"error": "InternalError", "message": f"{type(exc).__name__}: {exc}"})
        _internal_error(exc)
        raise typer.Exit(EXIT_INTERNAL) from None


@contextmanager
def progress_steps(what: str) -> Iterator[Progress]:
    """A progress callback: a live status line on a terminal, nothing on a pipe."""
    if not err.is_terminal:
        yield lambda _message: None
        return
    with err.status(Text(what)) as status:

        def update(message: str) -> None:
            # Naming the spinner redraws at once: a quick step still shows (a bare text
            # update waits for the next refresh tick and may be overwritten first).
            status.update(Text(f"{what}: {message}"), spinner="dots")

        yield update
