"""Operator commands (``python -m app GROUP COMMAND``), one module per group.

Each group module defines ``register(subparsers)`` that adds its commands, with
help written for operators (``--help`` prints it as is); a command's handler takes
the parsed arguments and returns an exit code. Results scripts need go to stdout;
everything for humans goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from app.cli.features import FEATURE_GROUPS
from app.core.config import get_settings
from app.core.flavour import run
from app.core.logging import configure_logging

# Command groups, in the order `--help` lists them.
GROUPS: tuple[str, ...] = (
    "db",
    "keys",
    "prompts",
    "workspaces",
    "credits",
    "report",
    "billing",
    "worker",
)
GROUPS += FEATURE_GROUPS  # the optional features' groups (app/cli/features.py)

DESCRIPTION = (
    "Operator commands for this app: the database, API keys, prompts, workspaces "
    "and their plans, credits, reports, Stripe billing and the background worker."
)
EPILOG = (
    'Run "python -m app GROUP --help" for a group\'s commands. Output that scripts '
    "read (a new key, JSON) goes to stdout; messages go to stderr. Settings come from "
    "the environment and .env (DATABASE_URL, LOG_LEVEL)."
)


def add_group(subparsers: Any, name: str, help_text: str, description: str) -> Any:
    """Add the command group ``name``; returns what its commands are added to."""
    group = subparsers.add_parser(name, help=help_text, description=description)
    return group.add_subparsers(dest="command", metavar="COMMAND", required=True)


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m app`` parser, with every group's commands."""
    parser = argparse.ArgumentParser(prog="python -m app", description=DESCRIPTION, epilog=EPILOG)
    groups = parser.add_subparsers(dest="group", metavar="GROUP", required=True)
    for name in GROUPS:
        module = importlib.import_module(f"app.cli.{name}")
        module.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        configure_logging(get_settings().log_level, get_settings().log_format)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"error: invalid settings: {problems}", file=sys.stderr)
        return 2
    handler = args.handler
    try:
        return int(run(lambda: handler(args)))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
