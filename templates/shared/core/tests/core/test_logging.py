"""``LOG_LEVEL`` sets the level of every log line, in the web app and the operator CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.core.flavour import IS_ASYNC

PROJECT = Path(__file__).resolve().parents[2]
# Builds the app as its production entry point does, then logs one INFO line.
BUILD_APP = (
    "import app.main" if IS_ASYNC else "from app import create_app; create_app()"
) + "; import logging; logging.getLogger('app.probe').info('probe line')"


def run_python(
    tmp_path: Path, log_level: str, *args: str, log_format: str = "text"
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in the project, with a fresh SQLite database, ``LOG_LEVEL`` and
    ``LOG_FORMAT``."""
    env = {
        **os.environ,
        "LOG_LEVEL": log_level,
        "LOG_FORMAT": log_format,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_log_level_is_case_insensitive_and_checked() -> None:
    assert Settings(log_level=" debug ").log_level == "DEBUG"
    with pytest.raises(ValidationError, match="LOG_LEVEL must be one of DEBUG, INFO"):
        Settings(log_level="loud")


@pytest.mark.parametrize(("level", "shown"), [("INFO", True), ("warning", False)])
def test_the_web_app_logs_at_log_level(tmp_path: Path, level: str, shown: bool) -> None:
    done = run_python(tmp_path, level, "-c", BUILD_APP)
    assert done.returncode == 0, done.stderr
    assert ("INFO    app.probe: probe line" in done.stderr) is shown, done.stderr


@pytest.mark.parametrize(("level", "shown"), [("INFO", True), ("WARNING", False)])
def test_the_operator_cli_logs_at_log_level(tmp_path: Path, level: str, shown: bool) -> None:
    done = run_python(tmp_path, level, "-m", "app", "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert ("INFO    alembic.runtime.migration: Running upgrade" in done.stderr) is shown
    assert "database at revision" in done.stderr


def test_a_bad_log_level_is_a_clear_cli_error(tmp_path: Path) -> None:
    done = run_python(tmp_path, "loud", "-m", "app", "db", "current")
    assert done.returncode == 2
    assert "error: invalid settings: log_level: " in done.stderr
    assert "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL" in done.stderr
    assert "Traceback" not in done.stderr


def test_log_format_json_writes_one_object_per_line(tmp_path: Path) -> None:
    done = run_python(tmp_path, "INFO", "-c", BUILD_APP, log_format="JSON")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    probe = [line for line in lines if line["logger"] == "app.probe"]
    assert probe == [
        {"time": probe[0]["time"], "level": "INFO", "logger": "app.probe", "message": "probe line"}
    ]


def test_a_bad_log_format_is_a_clear_cli_error(tmp_path: Path) -> None:
    done = run_python(tmp_path, "INFO", "-m", "app", "db", "current", log_format="xml")
    assert done.returncode == 2
    assert "LOG_FORMAT must be one of text, json" in done.stderr
    assert "Traceback" not in done.stderr
