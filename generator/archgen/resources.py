"""Where archgen's shipped data lives: templates and blueprints.

In a wheel they are inside the package (``archgen/_data``); in a source checkout
(editable install) they are the repository's top-level folders.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


@cache
def data_root() -> Path:
    """The folder holding ``templates/`` and ``blueprints/``."""
    packaged = _PACKAGE / "_data"
    if (packaged / "templates").is_dir():
        return packaged
    return _CHECKOUT


def templates_dir() -> Path:
    return data_root() / "templates"


def blueprints_dir() -> Path:
    return data_root() / "blueprints"
