"""``archgen update``: check the project, render it anew, plan the merge, apply it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archgen import __version__
from archgen.errors import UsageError
from archgen.render.manifest import PRISTINE_DIR
from archgen.update import git
from archgen.update.apply import apply_plan
from archgen.update.plan import Outcome, Plan, plan_update
from archgen.update.project import FreshRender, Project, render_fresh

_SHOWN_DIRTY = 10


@dataclass(frozen=True)
class UpdateReport:
    """What an update did (or, dry, would do)."""

    root: Path
    from_version: str
    plan: Plan
    fresh: FreshRender
    dry_run: bool

    @property
    def conflicts(self) -> list[str]:
        return self.plan.paths(Outcome.conflict)

    def to_dict(self) -> dict[str, object]:
        """The JSON summary of ``archgen update --json``."""
        data: dict[str, object] = {
            "project": str(self.root),
            "dry_run": self.dry_run,
            "archgen_version": {"from": self.from_version, "to": __version__},
            "spec_upgrade": self.fresh.upgrade.notes,
            "notes": list(self.fresh.notes),
            "taken_over": self.plan.taken_over,
        }
        for outcome in Outcome:
            data[outcome.value] = self.plan.paths(outcome)
        data["kept"] = [
            {"path": c.path, "reason": c.reason}
            for c in self.plan.changes
            if c.outcome is Outcome.kept
        ]
        return data


def _require_clean_repository(root: Path) -> None:
    if not git.have_git():
        raise UsageError("archgen update needs git (https://git-scm.com) on PATH")
    if not git.inside_work_tree(root):
        raise UsageError(
            f"{root} is not in a git repository: update only merges into committed work, "
            "so that every change can be reviewed and undone "
            "(git init && git add -A && git commit -m 'archgen project')"
        )
    dirty = git.uncommitted_changes(root)
    if dirty:
        shown = ", ".join(dirty[:_SHOWN_DIRTY]) + (" ..." if len(dirty) > _SHOWN_DIRTY else "")
        raise UsageError(
            f"{root} has uncommitted changes ({shown}): commit or stash them first, "
            "so the update can be reviewed and undone"
        )


def _refuse_markers(project: Project) -> None:
    paths = {p for p in project.manifest.files if not p.startswith(PRISTINE_DIR + "/")}
    marked = project.files_with_markers(paths)
    if marked:
        raise UsageError(
            "unresolved conflict markers in "
            + ", ".join(marked)
            + ": resolve and commit them first"
        )


def update_project(
    root: Path, *, spec_file: Path | None = None, dry_run: bool = False
) -> UpdateReport:
    """Update the project at ``root`` to this archgen and ``spec_file`` (default: its spec).

    Raises ``UsageError``/``SpecError`` (bad input) before changing anything. A dry run
    also accepts uncommitted work, since it writes nothing.
    """
    project = Project.open(root)
    _refuse_markers(project)
    if not dry_run:
        _require_clean_repository(root)
    fresh = render_fresh(project, spec_file)
    plan = plan_update(project, fresh)
    if not dry_run:
        apply_plan(root, plan)
    return UpdateReport(root, project.manifest.archgen_version, plan, fresh, dry_run)
