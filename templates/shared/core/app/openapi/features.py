"""Routes of optional features: none in this project.

archgen renders an optional feature only when the spec uses it; a feature's
template layer replaces this file with its routes, which ``ROUTES`` ends with.
"""

from __future__ import annotations

from app.openapi.route import Route

FEATURE_ROUTES: tuple[Route, ...] = ()
