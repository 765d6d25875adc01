"""The owners' reports: margins, outliers, retries and what the ``/admin`` pages show.

One query module (``queries``) behind the JSON endpoints (``/v1/reports/...``),
the ``python -m app report`` command and the dashboard.
"""

from app.services.reports.period import Period, PeriodError
from app.services.reports.queries import ALL_WORKSPACES, ReportFilter, Scope
from app.services.reports.service import Reports

__all__ = ["ALL_WORKSPACES", "Period", "PeriodError", "ReportFilter", "Reports", "Scope"]
