"""The commands the deploy files run and the README documents, read from the files."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).absolute().parents[2]
# The README's production command: the first `sh` block of its "Deploy" section.
_SECTION = re.compile(r"^## Deploy\n(.*?)(?=^## )", re.MULTILINE | re.DOTALL)
_SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def image_command() -> list[str]:
    """The Dockerfile's CMD (exec form): what the app's container runs."""
    lines = (PROJECT / "Dockerfile").read_text().splitlines()
    cmds = [line for line in lines if line.startswith("CMD ")]
    assert len(cmds) == 1, cmds
    argv = json.loads(cmds[0].removeprefix("CMD "))
    assert isinstance(argv, list)
    return [str(word) for word in argv]


def readme_deploy_section() -> str:
    """The README's "Deploy" section."""
    found = _SECTION.search((PROJECT / "README.md").read_text())
    assert found is not None, "README.md has no '## Deploy' section"
    return found.group(1)


def readme_command() -> list[str]:
    """The production command the README documents, as argv."""
    block = _SH_BLOCK.search(readme_deploy_section())
    assert block is not None, "the Deploy section has no sh block"
    return shlex.split(block.group(1).replace("\\\n", " "))


def compose() -> dict[str, Any]:
    """compose.yaml, parsed."""
    data = yaml.safe_load((PROJECT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def with_options(argv: list[str], **options: str) -> list[str]:
    """``argv`` with each ``--option value`` replaced (``workers`` -> ``--workers``)."""
    out = list(argv)
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        index = out.index(flag)
        out[index + 1] = value
    return out
