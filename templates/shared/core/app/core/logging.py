"""Process-wide logging, configured once from ``LOG_LEVEL`` and ``LOG_FORMAT`` (stderr).

The web app factories and the operator CLI call ``configure_logging`` at start-up.
Records go through the root logger, so the app's modules (``logging.getLogger(__name__)``)
and its libraries share one level and one format: ``text`` (human-readable lines, for
development) or ``json`` (one JSON object per line, for log collectors; the container's
default). Structured fields travel in a record's ``fields`` attribute
(``logger.info("request", extra={"fields": {...}})``) and become top-level JSON keys.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
HUMAN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_HANDLER_NAME = "app"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then its ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (an exception's traceback as ``exc_info``)."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in line})
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The human format, with a record's ``fields`` appended as ``key=value``."""

    def __init__(self) -> None:
        super().__init__(HUMAN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """The human line, then the structured fields (if any)."""
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        return line


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


def formatter(log_format: str = "text") -> logging.Formatter:
    """The format of every log line: ``text`` (human) or ``json`` (one object a line)."""
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(level: str, log_format: str = "text") -> None:
    """Set the root level to ``level`` and log to stderr unless logging is configured already.

    Safe to call more than once (later calls change the level, and the format of
    the handler added here). When the root logger already has other handlers (an
    operator's own logging config, a test harness), they are kept and none is added.
    """
    root = logging.getLogger()
    ours = [h for h in root.handlers if h.get_name() == _HANDLER_NAME]
    if not root.handlers:
        added = _StderrHandler()
        added.set_name(_HANDLER_NAME)
        root.addHandler(added)
        ours = [added]
    for handler in ours:
        handler.setFormatter(formatter(log_format))
    root.setLevel(level.upper())
    if ours:
        _route_server_loggers()


def _route_server_loggers() -> None:
    """uvicorn's own lines in this format too; its access line is replaced by the app's
    request line (``app.access``), which carries the request id, workspace and ledger id."""
    for name in ("uvicorn", "uvicorn.error"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
