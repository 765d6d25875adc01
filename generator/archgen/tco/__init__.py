"""The total-cost-of-ownership model computed from a spec (pure: data in, data out).

``compute_tco`` gives the figures, ``report_json`` the data ``archgen tco --json``
prints, ``tco_context`` what ``docs/cost/tco.md`` shows; all from one computation.
"""

from archgen.tco.model import TcoReport, compute_tco
from archgen.tco.present import report_json, tco_context

__all__ = ["TcoReport", "compute_tco", "report_json", "tco_context"]
