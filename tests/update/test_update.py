"""`archgen update` on real git repositories: edits kept, spec changes merged, state untouched."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from archgen.verify import verify_project

from .conftest import archgen, commit, edit, git, manifest, tree
from .specs import changed_spec

MONEY = "app/services/usage/money.py"
CATALOG = "app/core/catalog.py"
ARCHITECTURE = "docs/architecture.md"
MY_HELPER = (
    "\n\ndef cents(amount: Decimal) -> int:\n"
    '    """Whole cents, for our invoices."""\n'
    "    return int(amount * 100)\n"
)


def _keep_edits(root: Path) -> None:
    """A user's own work: a helper added to a service, a note at the top of the catalog."""
    edit(root, MONEY, lambda text: text + MY_HELPER)
    edit(
        root, CATALOG, lambda text: text.replace("\n\n", "\n\n# Reviewed by the billing team.\n", 1)
    )
    commit(root, "our edits")


def _change_spec(root: Path) -> None:
    edit(root, "archgen.yaml", changed_spec)
    commit(root, "spec: deepseek, team tier, translate, hybrid billing")


@pytest.mark.e2e
def test_spec_change_is_merged_into_edits_and_the_project_still_passes(project: Path) -> None:
    _keep_edits(project)
    _change_spec(project)

    result = archgen("update", project, "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["conflict"] == []
    assert CATALOG in summary["merged"]
    assert "app/prompts/translate/v1.md" in summary["new"]
    catalog = (project / CATALOG).read_text()
    assert "# Reviewed by the billing team." in catalog  # our edit
    assert '"deepseek-chat": ModelInfo(' in catalog  # the new provider's model
    assert 'BILLING_MODE = "hybrid"' in catalog
    assert '"team"' in catalog and '"translate"' in catalog
    assert (project / MONEY).read_text().endswith(MY_HELPER)
    assert summary["taken_over"] == {CATALOG: "edited", MONEY: "edited"}

    commit(project, "archgen update")
    verify_project(project, log=lambda _msg: None)  # ruff + the project's own suite
    assert archgen("check", "--against", project).exit_code == 0


def test_a_conflicting_edit_exits_3_with_markers_and_loses_nothing(project: Path) -> None:
    ours = 'BILLING_MODE = "prepaid_credits"  # pinned by ops until the Stripe account exists'
    edit(project, CATALOG, lambda t: t.replace('BILLING_MODE = "prepaid_credits"', ours))
    _change_spec(project)

    result = archgen("update", project, "--json")

    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["conflict"] == [CATALOG]
    assert f"conflict        {CATALOG}" in result.stderr
    merged = (project / CATALOG).read_text()
    assert re.search(r"^<<<<<<< yours$", merged, re.M)
    assert re.search(r"^>>>>>>> archgen .* \(new\)$", merged, re.M)
    assert ours in merged and 'BILLING_MODE = "hybrid"' in merged
    assert '"deepseek-chat": ModelInfo(' in merged  # the rest merged cleanly around it

    commit(project, "update with a conflict")
    again = archgen("update", project)
    assert again.exit_code == 2
    assert f"unresolved conflict markers in {CATALOG}" in again.stderr


def test_a_dirty_tree_is_refused_and_left_alone(project: Path) -> None:
    edit(project, MONEY, lambda text: text + "\n# not committed\n")
    (project / "scratch.txt").write_text("untracked")
    before = tree(project)

    result = archgen("update", project)

    assert result.exit_code == 2
    assert "uncommitted changes" in result.stderr
    assert MONEY in result.stderr and "scratch.txt" in result.stderr
    assert tree(project) == before


def test_bad_input_is_refused_before_anything_is_rendered(tmp_path: Path, project: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    not_archgen = archgen("update", plain)
    assert not_archgen.exit_code == 2
    assert "not an archgen project" in not_archgen.stderr

    shutil.rmtree(project / ".git")  # the project is no longer in a repository
    no_repo = archgen("update", project)
    assert no_repo.exit_code == 2
    assert "not in a git repository" in no_repo.stderr


def test_an_invalid_spec_is_bad_input(project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(changed_spec().replace("mode: hybrid", "mode: invoices"))
    before = tree(project)

    result = archgen("update", project, "--spec", bad)

    assert result.exit_code == 2
    assert "billing.mode" in result.stderr
    assert tree(project) == before


def test_an_update_with_no_changes_is_a_byte_identical_no_op(project: Path) -> None:
    before = tree(project)

    result = archgen("update", project)

    assert result.exit_code == 0, result.output
    assert "up to date: nothing to change" in result.stderr
    assert "[/]" not in result.stderr  # styles, not markup printed as text
    assert tree(project) == before
    assert git(project, "status", "--porcelain") == ""


def test_dry_run_lists_what_would_happen_and_changes_nothing(project: Path, tmp_path: Path) -> None:
    spec = tmp_path / "client.yaml"
    spec.write_text(changed_spec())
    edit(project, CATALOG, lambda t: t.replace('"prepaid_credits"', '"prepaid_credits"  # ops'))
    commit(project)
    before = tree(project)

    result = archgen("update", project, "--spec", spec, "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["dry_run"] is True
    assert summary["conflict"] == [CATALOG]
    assert "app/prompts/translate/v1.md" in summary["new"]
    assert "archgen.yaml" in summary["merged"]
    assert f"would conflict  {CATALOG}" in result.stderr
    assert tree(project) == before


def test_spec_option_replaces_the_kept_spec(project: Path, tmp_path: Path) -> None:
    spec = tmp_path / "client.yaml"
    spec.write_text(changed_spec())

    result = archgen("update", project, "--spec", spec)

    assert result.exit_code == 0, result.output
    assert (project / "archgen.yaml").read_text() == spec.read_text()
    assert manifest(project).get("taken_over") is None  # nothing edited by hand
    commit(project, "update")
    assert archgen("check", "--against", project).exit_code == 0


def test_a_spec_for_the_other_framework_keeps_the_projects(project: Path, tmp_path: Path) -> None:
    spec = tmp_path / "flask.yaml"
    spec.write_text(changed_spec().replace("framework: fastapi", "framework: flask", 1))

    result = archgen("update", project, "--spec", spec, "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert "rendered as fastapi" in summary["notes"][0]
    assert summary["removed"] == [] and "app/main.py" not in summary["merged"]
