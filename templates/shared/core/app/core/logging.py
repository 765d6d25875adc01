"""Process-wide logging, configured once from ``LOG_LEVEL`` (human-readable lines on stderr).

The web app factories and the operator CLI call ``configure_logging`` at start-up.
Records go through the root logger, so the app's modules (``logging.getLogger(__name__)``)
and its libraries share one level and one format. ``formatter()`` is the seam for
structured (JSON) logs: swap the formatter, keep the rest.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
HUMAN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_HANDLER_NAME = "app"


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to the current ``sys.stderr`` (a test harness may swap it after start-up)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


def formatter() -> logging.Formatter:
    """The format of every log line."""
    return logging.Formatter(HUMAN_FORMAT)


def configure_logging(level: str) -> None:
    """Set the root level to ``level`` and log to stderr unless logging is configured already.

    Safe to call more than once (later calls only change the level). When the root
    logger already has handlers (an operator's own logging config, a test harness),
    they are kept and none is added.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = _StderrHandler()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(formatter())
        root.addHandler(handler)
    root.setLevel(level.upper())
