"""The operator CLI's ``--help`` reads as help text: plain sentences, no reST markup."""

from __future__ import annotations

import re

import pytest

from app.cli import GROUPS, main

COMMANDS = {
    "db": ("upgrade", "current", "sweep"),
    "keys": ("create", "demo", "list", "revoke", "rotate"),
    "prompts": ("list", "check", "publish"),
    "workspaces": ("list", "set-tier"),
    "credits": ("grant",),
    "report": ("margins", "outliers", "retries"),
    "billing": ("setup", "push", "reconcile"),
    "worker": (),
}


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_the_top_level_help_describes_the_groups(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys)
    assert text.startswith("usage: python -m app [-h] GROUP ...")
    assert "Operator commands for this app" in text
    assert 'Run "python -m app GROUP --help"' in text
    for name in GROUPS:
        # A long group name puts its help on the next line.
        assert re.search(rf"^    {name}( |\n)", text, re.MULTILINE), name
    assert "register(subparsers)" not in text  # the developer docstring stays in the code


@pytest.mark.parametrize(
    "argv",
    [(group,) for group in COMMANDS]
    + [(group, command) for group, commands in COMMANDS.items() for command in commands],
)
def test_every_group_and_command_has_plain_help(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    text = help_of(capsys, *argv)
    usage, _, rest = text.partition("\n\n")
    assert usage.startswith(f"usage: python -m app {' '.join(argv)} ")
    description = rest.split("\n\n")[0]
    assert description and not description.startswith(("positional arguments", "options"))
    assert "``" not in text and ":class:" not in text
