"""``archgen tco``: tables on stderr, JSON on stdout, bad specs through the usual edge."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from archgen.cli import app
from archgen.resources import blueprints_dir
from tests.tco.worked import WORKED

runner = CliRunner()
AI_SAAS = str(blueprints_dir() / "ai-saas.yaml")


def test_human_output_is_tables_on_stderr() -> None:
    result = runner.invoke(app, ["tco", AI_SAAS])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    for heading in ("Assumptions", "Per user and month", "By scale", "Break-even: 9 MAU"):
        assert heading in result.stderr
    assert "$290,000.00" in result.stderr  # 10,000 pro users x $29 at 100,000 MAU
    assert "warning:" in result.stderr  # the free tier is paid for by the others


def test_json_on_stdout(tmp_path: Path) -> None:
    spec = tmp_path / "worked.yaml"
    spec.write_text(WORKED, encoding="utf-8")
    result = runner.invoke(app, ["tco", str(spec), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["mau"] for p in data["scale"]] == [100, 1000, 20000]
    first = data["scale"][0]
    assert (first["revenue"], first["total_cost"], first["gross_margin"]) == (
        "400.000000",
        "167.600000",
        "0.5810",
    )
    assert data["break_even_users"] == 18
    pro = data["tiers"][1]
    assert (pro["llm_cost_per_user"], pro["capped"]) == ("5.000000", True)
    assert data["prices"]["models"]["smart"]["source"] == "spec:smart"


def test_mau_replaces_the_specs_points() -> None:
    result = runner.invoke(app, ["tco", AI_SAAS, "--json", "--mau", "250", "--mau", "50"])
    assert result.exit_code == 0, result.output
    assert [p["mau"] for p in json.loads(result.stdout)["scale"]] == [50, 250]


def test_a_bad_mau_is_a_usage_error() -> None:
    result = runner.invoke(app, ["tco", AI_SAAS, "--mau", "0"])
    assert result.exit_code == 2
    assert "--mau" in result.output


def test_a_bad_spec_exits_2_with_located_problems(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        WORKED.replace("workflow_mix: {chat: 0.75, report: 0.25}", "workflow_mix: {chat: 0.75}"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["tco", str(spec)])
    assert result.exit_code == 2
    assert result.stdout == ""
    line = WORKED.splitlines().index("  workflow_mix: {chat: 0.75, report: 0.25}") + 1
    assert f"bad.yaml:{line}:" in result.stderr
    assert "workflow_mix shares must sum to 1, got 0.75" in result.stderr

    as_json = runner.invoke(app, ["tco", str(spec), "--json"])
    assert as_json.exit_code == 2
    problems = json.loads(as_json.stdout)["problems"]
    assert [(p["path"], p["line"]) for p in problems] == [("tco.workflow_mix", line)]


def test_a_missing_spec_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tco", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "cannot read the spec file" in result.stderr
