"""The deploy files every blueprint renders, in both frameworks, checked offline:
compose.yaml against the Compose specification's JSON Schema (vendored in
tests/data), the Dockerfile with hadolint, the CI workflow against the GitHub
workflow schema check-jsonschema ships, and the image's command against the
flavour's documented production command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from archgen.render.flavour import flavour_of
from tests.render.projects import BLUEPRINTS, FRAMEWORKS, rendered

DATA = Path(__file__).parents[1] / "data"
CASES = [(b, f) for b in BLUEPRINTS for f in FRAMEWORKS]
BIN = Path(sys.executable).parent


@cache
def compose_validator() -> Draft202012Validator:
    schema = json.loads((DATA / "compose-spec.json").read_text())
    return Draft202012Validator(schema)


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed (archgen's test extra)"
    return found


def text(blueprint: str, framework: str, path: str) -> str:
    return rendered(blueprint, framework).files[path].decode()


@pytest.mark.parametrize(("blueprint", "framework"), CASES)
def test_compose_yaml_follows_the_vendored_compose_schema(blueprint: str, framework: str) -> None:
    compose: Any = yaml.safe_load(text(blueprint, framework, "compose.yaml"))
    errors = [e.message for e in compose_validator().iter_errors(compose)]
    assert errors == []
    app = compose["services"]["app"]
    assert app["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert compose["services"]["worker"]["command"] == ["python", "-m", "app", "worker"]


def test_the_vendored_schema_refuses_a_broken_compose_file() -> None:
    broken = {"services": {"app": {"image": "x", "depends_on": {"db": {"condition": "later"}}}}}
    assert list(compose_validator().iter_errors(broken))


@pytest.mark.parametrize(("blueprint", "framework"), CASES)
def test_hadolint_and_the_workflow_schema_pass(
    blueprint: str, framework: str, tmp_path: Path
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text(blueprint, framework, "Dockerfile"))
    linted = subprocess.run(
        [tool("hadolint"), "--failure-threshold", "info", str(dockerfile)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert linted.returncode == 0, linted.stdout + linted.stderr
    workflow = tmp_path / "ci.yml"
    workflow.write_text(text(blueprint, framework, ".github/workflows/ci.yml"))
    checked = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_image_runs_the_documented_production_command(framework: str) -> None:
    flavour = flavour_of(framework)
    dockerfile = text("ai-saas", framework, "Dockerfile")
    cmd = [line for line in dockerfile.splitlines() if line.startswith("CMD ")]
    assert [json.loads(line.removeprefix("CMD ")) for line in cmd] == [
        list(flavour.production_argv)
    ]
    readme = text("ai-saas", framework, "README.md")
    assert f"```sh\n{flavour.production_command}\n```" in readme
