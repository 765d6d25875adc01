"""Regenerate a project without losing the user's work: update, diff, check.

The pristine output of the last generation lives in the project itself
(``.archgen/manifest.json`` + ``.archgen/pristine/<sha256>``); an update renders
the project anew and merges file by file with ``git merge-file`` (base = that
pristine output, theirs = the new one, ours = the user's files).
"""

from archgen.update.compare import check_project, project_diff
from archgen.update.plan import Outcome, Plan
from archgen.update.run import UpdateReport, update_project

__all__ = ["Outcome", "Plan", "UpdateReport", "check_project", "project_diff", "update_project"]
