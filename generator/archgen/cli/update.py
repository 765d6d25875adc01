"""``archgen update``: regenerate a project from its spec, merging into the user's edits."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archgen.cli._io import emit_json, err, reporting, say
from archgen.errors import EXIT_UPDATE_CONFLICTS

if TYPE_CHECKING:  # the render pipeline and merge machinery load only when update runs
    from archgen.update import UpdateReport


def _show(report: UpdateReport) -> None:
    from archgen.update import Outcome

    headings = {
        Outcome.new: "new",
        Outcome.merged: "merged cleanly",
        Outcome.conflict: "would conflict" if report.dry_run else "conflict",
        Outcome.removed: "removed",
        Outcome.kept: "kept yours",
    }
    upgrade = report.fresh.upgrade
    if upgrade.changed:
        say("spec upgraded", "to the current schema_version:", style="bold")
        for note in upgrade.notes:
            err.print(f"  {note}")
        err.print(upgrade.diff(), end="")
    for note in report.fresh.notes:
        say("note:", note, style="yellow")
    for outcome, heading in headings.items():
        for change in (c for c in report.plan.changes if c.outcome is outcome):
            reason = f"  ({change.reason})" if change.reason else ""
            err.print(f"  {heading:<15} {change.path}{reason}")
    unchanged = len(report.plan.paths(Outcome.unchanged))
    err.print(f"  {'unchanged':<15} {unchanged} files")
    if report.dry_run:
        say("dry run: nothing was changed", style="dim")
    elif report.conflicts:
        say(
            f"{len(report.conflicts)} file(s) with conflicts:",
            "resolve the <<<<<<< markers, then commit"
            " (your version and archgen's are both in the file)",
            style="bold yellow",
        )
    elif all(c.outcome is Outcome.unchanged for c in report.plan.changes):
        say("up to date:", "nothing to change", style="green")
    else:
        say("updated:", "review with git diff, then commit", style="green")


def update(
    directory: Annotated[
        Path, typer.Argument(help="The generated project (default: the current directory).")
    ] = Path("."),
    spec: Annotated[
        Path | None,
        typer.Option("--spec", "-s", help="Render from this spec; it replaces archgen.yaml."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="List what would be new, merged, conflict or removed; change nothing."
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary on stdout.")
    ] = False,
) -> None:
    """Re-render the project with this archgen and merge it into your edits (three-way).

    Base: the pristine output the project was last generated from (.archgen/);
    theirs: the new render; yours: the files on disk. Needs a clean git tree.
    Exit 0 merged cleanly, 3 conflicts left (marked in the files), 2 bad input.
    """
    from archgen.update import update_project

    with reporting(as_json=as_json):
        with err.status("rendering and merging"):
            report = update_project(directory, spec_file=spec, dry_run=dry_run)
        _show(report)
        if as_json:
            emit_json(report.to_dict())
    if report.conflicts and not dry_run:
        raise typer.Exit(EXIT_UPDATE_CONFLICTS)
