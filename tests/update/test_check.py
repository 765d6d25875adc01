"""`archgen check` and `archgen diff`: drift between a committed project and its spec."""

from __future__ import annotations

from pathlib import Path

from .conftest import archgen, commit, edit, git
from .specs import changed_spec

CONFIG = "app/core/config.py"


def test_check_fails_on_a_hand_edited_file_and_passes_after_update(project: Path) -> None:
    assert archgen("check", "--spec", project / "archgen.yaml", "--against", project).exit_code == 0
    edit(project, CONFIG, lambda t: t + "\nDEBUG_OVERRIDE = True\n")
    commit(project, "hand edit")

    failed = archgen("check", "--spec", project / "archgen.yaml", "--against", project)

    assert failed.exit_code == 1
    assert f"+++ b/{CONFIG}" in failed.stdout
    assert "+DEBUG_OVERRIDE = True" in failed.stdout
    assert "archgen update" in failed.stderr
    assert "[/]" not in failed.stderr  # styles, not markup printed as text

    updated = archgen("update", project)
    assert updated.exit_code == 0, updated.output
    commit(project, "archgen update: edit taken over")
    passed = archgen("check", "--spec", project / "archgen.yaml", "--against", project)
    assert passed.exit_code == 0, passed.output
    assert (project / CONFIG).read_text().endswith("\nDEBUG_OVERRIDE = True\n")


def test_check_fails_when_the_spec_changed_without_an_update(project: Path, tmp_path: Path) -> None:
    spec = tmp_path / "client.yaml"
    spec.write_text(changed_spec())

    result = archgen("check", "--spec", spec, "--against", project)

    assert result.exit_code == 1
    assert "+++ b/app/core/catalog.py" in result.stdout
    assert '-BILLING_MODE = "hybrid"' in result.stdout


def test_diff_shows_every_generated_difference(project: Path) -> None:
    same = archgen("diff", project)
    assert same.exit_code == 0, same.output
    assert same.stdout == ""
    edit(project, CONFIG, lambda t: t + "\nDEBUG_OVERRIDE = True\n")
    git(project, "rm", "-q", "docs/architecture.md")
    (project / "notes.md").write_text("not generated")

    result = archgen("diff", project)

    assert result.exit_code == 1
    assert f"--- a/{CONFIG}\n+++ b/{CONFIG}\n" in result.stdout
    assert "--- a/docs/architecture.md\n+++ /dev/null\n" in result.stdout
    assert "notes.md" not in result.stdout
