"""The command line, through Typer's runner: exit codes, stdout/stderr split, messages."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from archgen import __version__
from archgen.cli import app
from archgen.resources import blueprints_dir

runner = CliRunner()
AI_SAAS = blueprints_dir() / "ai-saas.yaml"


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"archgen {__version__}"


def test_no_arguments_shows_help() -> None:
    result = invoke()
    assert "Usage" in result.output
    for command in ("new", "validate", "blueprints", "schema", "verify"):
        assert command in result.output


def test_help_documents_exit_codes() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "Exit codes" in result.output


def test_validate_accepts_a_blueprint() -> None:
    result = invoke("validate", str(AI_SAAS))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # human output is on stderr
    assert "ok" in result.stderr


def test_validate_json_goes_to_stdout() -> None:
    result = invoke("validate", str(AI_SAAS), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["valid"] is True


def test_validate_reports_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = AI_SAAS.read_text().replace("requests_per_minute: 10", "requests_per_minute: ten", 1)
    bad.write_text(text)
    line = text.splitlines().index("    requests_per_minute: ten") + 1

    result = invoke("validate", str(bad))

    assert result.exit_code == 2
    assert f"{bad}:{line}" in result.stderr
    assert "tiers[0].requests_per_minute" in result.stderr
    assert "Traceback" not in result.output


def test_validate_json_lists_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(AI_SAAS.read_text().replace("allowed_models:", "alowed_models:", 1))

    result = invoke("validate", str(bad), "--json")

    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert any("allowed_models" in p["message"] for p in report["problems"])
    assert all(p["file"] == str(bad) for p in report["problems"])


def test_validate_missing_file_is_bad_input(tmp_path: Path) -> None:
    result = invoke("validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_blueprints_lists_the_ready_specs() -> None:
    result = invoke("blueprints")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"ai-saas", "doc-qa", "support-agent"} <= set(names)


def test_schema_is_json_schema() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "properties" in schema
    assert {"product", "providers", "models", "tiers", "workflows"} <= set(schema["properties"])


def test_new_without_a_spec_off_a_terminal_does_not_prompt(tmp_path: Path) -> None:
    result = invoke("new", "--out", str(tmp_path / "x"), "--no-verify")
    assert result.exit_code == 2
    assert "--spec" in result.stderr
    assert not (tmp_path / "x").exists()


def test_new_rejects_spec_and_blueprint_together(tmp_path: Path) -> None:
    result = invoke("new", "--spec", str(AI_SAAS), "--blueprint", "ai-saas", "--no-verify")
    assert result.exit_code == 2


def test_new_renders_and_refuses_a_non_empty_out(tmp_path: Path) -> None:
    out = tmp_path / "acme"
    first = invoke("new", "--blueprint", "ai-saas", "--out", str(out), "--no-verify", "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["verified"] is False
    assert (out / "archgen.yaml").read_text() == AI_SAAS.read_text()
    assert (out / ".archgen" / "manifest.json").is_file()

    second = invoke("new", "--blueprint", "ai-saas", "--out", str(out), "--no-verify")
    assert second.exit_code == 2
    assert "--force" in second.stderr

    forced = invoke("new", "--blueprint", "ai-saas", "--out", str(out), "--no-verify", "--force")
    assert forced.exit_code == 0


def test_new_framework_override_and_zip_only(tmp_path: Path) -> None:
    archive = tmp_path / "acme.zip"
    result = invoke(
        "new", "--spec", str(AI_SAAS), "--framework", "flask", "--zip", str(archive), "--no-verify"
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert "acme-ai/app/blueprints/health_bp.py" in names
        assert b"framework: flask" in z.read("acme-ai/archgen.yaml")


def test_new_with_a_bad_spec_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("product: {name: X}\nproviders: [gogle]\n")
    out = tmp_path / "out"

    result = invoke("new", "--spec", str(bad), "--out", str(out), "--no-verify")

    assert result.exit_code == 2
    assert not out.exists()
    assert "Traceback" not in result.output


def test_unknown_blueprint_names_the_choices() -> None:
    result = invoke("new", "--blueprint", "ai-sass", "--no-verify")
    assert result.exit_code == 2
    assert "ai-saas" in result.stderr


def test_verify_refuses_a_directory_that_is_no_project(tmp_path: Path) -> None:
    result = invoke("verify", str(tmp_path))
    assert result.exit_code == 2
    assert "not a generated project" in result.stderr
