"""Operator commands (``python -m app GROUP COMMAND``), one module per group.

Each group module defines ``register(subparsers)`` that adds its commands; a
command's handler takes the parsed arguments and returns an exit code. Results
scripts need go to stdout; everything for humans goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from app.core.flavour import run

# Command groups, in the order `--help` lists them.
GROUPS: tuple[str, ...] = ("db", "keys", "prompts")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    groups = parser.add_subparsers(dest="group", metavar="GROUP", required=True)
    for name in GROUPS:
        module = importlib.import_module(f"app.cli.{name}")
        module.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    try:
        return int(run(lambda: handler(args)))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
