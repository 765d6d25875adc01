"""The two flavours of a generated project, one frozen record each.

Every framework fact archgen needs (which web layer, whether the core stays async,
where the web package lives, how to serve it, what it depends on, how to name it)
is here and nowhere else: the context, the layers, the sync derivation, the
dependency lists, verify and the CLI all read the ``Flavour`` of the framework.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass
from typing import Any

from archgen.render.dependencies import runtime_dependencies, test_dependencies
from archgen.spec.models import Framework


@dataclass(frozen=True, slots=True)
class Flavour:
    """What differs between the FastAPI and the Flask version of a product."""

    framework: Framework
    label: str  # for humans: "FastAPI (async)"
    is_async: bool  # False: the core layer is converted to its sync form
    web_layer: str  # the template layer under templates/
    web_dir: str  # the generated web package
    web_unit: str  # what one HTTP area is called in that framework
    entry_point: str  # what a WSGI/ASGI server is pointed at
    app_module: str  # the file defining create_app()
    serve_command: str  # `make run` (development server)
    # The production server command, one argument each: the image's CMD and the
    # README's documented command are both printed from it.
    production_argv: tuple[str, ...]
    server_intro: str  # README: which server runs it in production
    concurrency_note: str  # README: how one worker serves streams
    # Lines added to the generated [tool.pytest.ini_options].
    pytest_options: tuple[str, ...]
    dependencies: tuple[str, ...]  # PEP 508, sorted
    test_dependencies: tuple[str, ...]

    def to_template_data(self) -> dict[str, Any]:
        """Plain JSON-able data for the templates (``ctx.flavour.*``)."""
        data = asdict(self)
        data["framework"] = self.framework.value
        data["dependencies"] = list(self.dependencies)
        data["test_dependencies"] = list(self.test_dependencies)
        data["pytest_options"] = list(self.pytest_options)
        data["production_argv"] = list(self.production_argv)
        data["production_command"] = self.production_command
        data["production_exec_form"] = self.production_exec_form
        return data

    @property
    def production_command(self) -> str:
        """The production command for a shell (README), one option per line."""
        return shell_command(self.production_argv)

    @property
    def production_exec_form(self) -> str:
        """The production command as a Dockerfile exec-form JSON array."""
        return json.dumps(list(self.production_argv))


def shell_command(argv: tuple[str, ...]) -> str:
    """``argv`` quoted for a POSIX shell: the program and its target on the first line,
    then each option with its value on a continuation line."""
    words = [shlex.quote(word) for word in argv]
    head: list[str] = [words[0]]
    lines: list[str] = []
    rest = words[1:]
    while rest and not rest[0].startswith("-"):
        head.append(rest.pop(0))
    for word in rest:
        if word.startswith("-") or not lines:
            lines.append(word)
        else:
            lines[-1] += f" {word}"
    return " \\\n  ".join([" ".join(head), *lines])


# The production servers, one option and its value per pair. Graceful shutdown:
# 25 s for requests in flight (streams) to finish; docs/deploy.md explains each.
_UVICORN = (
    "uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000",
    "--workers", "4", "--proxy-headers", "--timeout-keep-alive", "5",
    "--timeout-graceful-shutdown", "25",
)  # fmt: skip
_GUNICORN = (
    "gunicorn", "app:create_app()", "--config", "python:app.gunicorn_conf",
    "--bind", "0.0.0.0:8000", "--worker-class", "gthread",
    "--workers", "4", "--threads", "16", "--timeout", "30",
    "--graceful-timeout", "25", "--keep-alive", "5",
    "--limit-request-field_size", "16384",
)  # fmt: skip

FASTAPI = Flavour(
    framework=Framework.fastapi,
    label="FastAPI (async)",
    is_async=True,
    web_layer="fastapi-saas",
    web_dir="app/routers",
    web_unit="router",
    entry_point="app.main:app",
    app_module="app/main.py",
    serve_command="$(BIN)/uvicorn app.main:app --host 127.0.0.1 --port 8000",
    production_argv=_UVICORN,
    server_intro="Serve it with uvicorn, one worker process per CPU core (4 here):",
    concurrency_note=(
        "Each worker is one event loop: a streamed answer costs a coroutine, not a\n"
        "thread, and a client that disconnects stops its model call at once."
    ),
    pytest_options=(
        'asyncio_mode = "auto"',
        'asyncio_default_fixture_loop_scope = "function"',
    ),
    dependencies=tuple(runtime_dependencies(Framework.fastapi)),
    test_dependencies=tuple(test_dependencies(Framework.fastapi)),
)

FLASK = Flavour(
    framework=Framework.flask,
    label="Flask (sync)",
    is_async=False,
    web_layer="flask-saas",
    web_dir="app/blueprints",
    web_unit="blueprint",
    entry_point="app:create_app()",
    app_module="app/__init__.py",
    serve_command='$(BIN)/flask --app "app:create_app()" run --host 127.0.0.1 --port 8000',
    production_argv=_GUNICORN,
    server_intro=(
        "Serve it with gunicorn and threaded workers, 4 processes of 16 threads\n"
        "(`flask run`, which `make run` uses, is for development only):"
    ),
    concurrency_note=(
        "A streamed answer holds one thread for its whole length, so size `--threads` for\n"
        "your concurrent streams (or put a few more workers behind the load balancer).\n"
        "In a synchronous worker a disconnect is noticed at the next piece of text, and\n"
        "the model call is stopped then."
    ),
    pytest_options=(),
    dependencies=tuple(runtime_dependencies(Framework.flask)),
    test_dependencies=tuple(test_dependencies(Framework.flask)),
)

FLAVOURS: dict[Framework, Flavour] = {FASTAPI.framework: FASTAPI, FLASK.framework: FLASK}


def flavour_of(framework: Framework | str) -> Flavour:
    """The flavour record of ``framework`` (an enum member or its value)."""
    return FLAVOURS[Framework(framework)]
