"""A writable copy of the app's real prompt catalogue, for tests that change it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.core.catalog import DEFAULT_WORKFLOW, WORKFLOWS
from app.services.prompts import PROMPTS_DIR, PromptStore


@pytest.fixture
def prompts_dir(tmp_path: Path) -> Path:
    target = tmp_path / "app" / "prompts"
    shutil.copytree(PROMPTS_DIR, target)
    return target


@pytest.fixture
def store(prompts_dir: Path) -> PromptStore:
    return PromptStore(prompts_dir)


@pytest.fixture
def prompt_name() -> str:
    """A prompt the spec's default workflow really uses."""
    return WORKFLOWS[DEFAULT_WORKFLOW].prompt
