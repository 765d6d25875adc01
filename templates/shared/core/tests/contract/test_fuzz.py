"""Stateless fuzzing of every endpoint from the app's own OpenAPI document (schemathesis).

Each operation gets a few generated requests (valid and invalid), each sent with an
owner's key and with none. No answer may be a 5xx, and every answer must match the
document: its status is documented and its body fits the documented schema, so every
error is the one JSON error shape (``ErrorBody``).

A server of its own, so the prompts and credits the fuzzer publishes and grants do
not reach the shared contract server's tests. Bounded: ``MAX_EXAMPLES`` requests per
operation and key, no shrinking.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.config import Settings
from app.core.flavour import run
from app.openapi import build_document
from app.services.api.runtime import RuntimeOptions
from tests.contract.world import (
    Key,
    body_cap,
    fake_providers,
    gateway_settings,
    migrated_database,
    seed,
)
from tests.openapi import differences
from tests.web.server import serve

MAX_EXAMPLES = 6
# Server errors are checked below: a 5xx passes only when the operation documents
# that very status (a placeholder's 501), never through a "5XX" range.
CHECKS = (
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


@dataclass(frozen=True, slots=True)
class Target:
    base_url: str
    owner: Key


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with migrated_database(tmp) as database_url, fake_providers() as upstreams:
        keys = run(lambda: seed(database_url))
        settings_ = Settings(
            database_url=database_url,
            redis_url=os.environ.get("TEST_REDIS_URL") or None,
            environment="test",
        )
        options = RuntimeOptions(
            gateway_settings=gateway_settings(upstreams), max_body_bytes=body_cap()
        )
        with serve(settings_, options) as base_url:
            served = httpx.get(f"{base_url}/openapi.json", timeout=20).json()
            assert differences(served, build_document()) == []
            owner = keys["owner"]
            # Credits come from an operator; the owner's calls then spend them.
            grant = {"amount_usd": "100", "reason": "fuzzing", "workspace": owner.workspace_id}
            granted = httpx.post(
                f"{base_url}/v1/credits",
                json=grant,
                headers=keys["operator"].headers(),
                timeout=20,
            )
            assert granted.status_code == 201, granted.text
            yield Target(base_url, owner)


# The route table's document, which tests/web/test_openapi.py holds equal to the one
# each app serves (checked again below against this server).
schema = schemathesis.openapi.from_dict(build_document())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_endpoint_answers_as_documented(case: Any, target: Target) -> None:
    for headers in (target.owner.headers(), {}):
        response = case.call(base_url=target.base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)
        documented = case.operation.definition.raw["responses"]
        assert response.status_code < 500 or str(response.status_code) in documented, (
            f"{case.method} {case.path} answered {response.status_code}: {response.text[:300]}"
        )
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["status"] == response.status_code, error
