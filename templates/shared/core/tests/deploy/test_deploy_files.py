"""The deploy files, checked offline: hadolint on the Dockerfile, the Compose
specification's schema on compose.yaml, the GitHub-workflow schema on the CI
workflow, and the image running exactly the commands the README documents."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.deploy.commands import (
    PROJECT,
    compose,
    image_command,
    readme_command,
    readme_deploy_section,
)

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A linter installed with the test extra (next to this Python, else on PATH)."""
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[test]'"
    return found


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def test_hadolint_passes_the_dockerfile() -> None:
    done = run(tool("hadolint"), "--failure-threshold", "info", str(PROJECT / "Dockerfile"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_yaml_follows_the_compose_specification() -> None:
    # check-jsonschema ships the Compose specification's schema: no network needed.
    done = run(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        str(PROJECT / "compose.yaml"),
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_ci_workflow_follows_the_github_workflow_schema() -> None:
    done = run(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        str(PROJECT / ".github" / "workflows" / "ci.yml"),
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_runs_the_command_the_readme_documents() -> None:
    assert image_command() == readme_command()
    assert image_command()[0] in ("uvicorn", "gunicorn")


def test_every_compose_command_is_documented_in_the_readme() -> None:
    section = readme_deploy_section()
    services = compose()["services"]
    for name in ("migrate", "worker"):
        command = " ".join(services[name]["command"])
        assert f"`{command}`" in section, f"{name}: {command} is not in README's Deploy"


def test_compose_runs_migrations_once_before_the_app_and_the_worker() -> None:
    services = compose()["services"]
    assert services["migrate"]["command"] == ["python", "-m", "app", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["worker"]["command"] == ["python", "-m", "app", "worker"]
    for name in ("app", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["postgres"] == {"condition": "service_healthy"}
        assert depends["redis"] == {"condition": "service_healthy"}
    # The app's stop grace outlasts the server's own graceful shutdown (25 s).
    assert services["app"]["stop_grace_period"] == "30s"
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name]


def test_the_image_is_multi_stage_slim_non_root_and_health_checked() -> None:
    lines = (PROJECT / "Dockerfile").read_text().splitlines()
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2
    assert all("-slim" in line for line in stages)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") for line in lines)


def test_secrets_and_local_state_stay_out_of_the_image() -> None:
    ignored = (PROJECT / ".dockerignore").read_text().splitlines()
    for entry in (".env", ".venv", ".git", "*.db", "tests"):
        assert entry in ignored
