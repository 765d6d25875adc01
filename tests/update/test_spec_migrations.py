"""Spec ``schema_version`` migrations: older specs are upgraded in steps, and shown."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
from ruamel.yaml import YAML

from archgen.errors import SpecError
from archgen.spec import SCHEMA_VERSION, parse_spec
from archgen.spec.migrations import (
    MIGRATIONS,
    MigrationError,
    spec_version,
    upgrade,
    upgrade_text,
)

from .specs import base_spec


def _rename_rpm(data: MutableMapping[str, Any]) -> str:
    """A synthetic v1 -> v2 step: tiers' ``rpm`` became ``requests_per_minute``."""
    for tier in data.get("tiers", []):
        if "rpm" in tier:
            tier["requests_per_minute"] = tier.pop("rpm")
    return "tiers[].rpm renamed to requests_per_minute"


SYNTHETIC = {1: _rename_rpm}
OLD_SPEC = """\
# Our client's spec, written for schema 1.
schema_version: 1
tiers:
  - name: free  # the free plan
    rpm: 10
"""


def test_an_older_spec_is_upgraded_with_comments_kept_and_the_change_shown() -> None:
    upgraded = upgrade_text(OLD_SPEC, current=2, registry=SYNTHETIC)

    assert upgraded.changed
    assert upgraded.notes == ["schema_version 1 -> 2: tiers[].rpm renamed to requests_per_minute"]
    data = YAML(typ="safe").load(upgraded.after)
    assert data == {"schema_version": 2, "tiers": [{"name": "free", "requests_per_minute": 10}]}
    assert "# Our client's spec, written for schema 1." in upgraded.after
    assert "# the free plan" in upgraded.after
    diff = upgraded.diff()
    assert "-    rpm: 10" in diff and "+    requests_per_minute: 10" in diff


def test_a_current_spec_is_left_byte_for_byte_alone() -> None:
    text = base_spec()
    upgraded = upgrade_text(text)
    assert not upgraded.changed and upgraded.after == text and upgraded.notes == []
    current = OLD_SPEC.replace("schema_version: 1", "schema_version: 2")
    assert upgrade_text(current, current=2, registry=SYNTHETIC).after == current


def test_a_missing_step_is_an_error_not_a_guess() -> None:
    with pytest.raises(MigrationError, match="no migration from schema_version 1 to 2"):
        upgrade({"schema_version": 1}, current=3, registry={2: _rename_rpm})


def test_a_spec_without_a_version_is_read_as_the_first() -> None:
    assert spec_version({}) == 1
    assert spec_version({"schema_version": True}) is None
    assert upgrade({}, current=2, registry=SYNTHETIC) == [
        "schema_version 1 -> 2: tiers[].rpm renamed to requests_per_minute"
    ]


def test_every_older_version_has_a_registered_step() -> None:
    assert set(MIGRATIONS) == set(range(1, SCHEMA_VERSION))


def test_the_loader_refuses_a_newer_spec() -> None:
    text = base_spec().replace("schema_version: 1", f"schema_version: {SCHEMA_VERSION + 1}")
    with pytest.raises(SpecError) as raised:
        parse_spec(text, "newer.yaml")
    assert "newer than this archgen supports" in str(raised.value)
