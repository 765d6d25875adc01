"""Endpoints of optional features: none in this project.

archgen renders an optional feature only when the spec uses it; a feature's
template layer replaces this file with a class of its endpoints, which
``ApiService`` lists first (so it may also refine chat and completions).
"""

from __future__ import annotations

from app.services.api.calls import MeteredCalls


class FeatureApis(MeteredCalls):
    """No optional feature endpoints."""
