"""Endpoints of the optional features this project has: knowledge.

``ApiService`` lists ``FeatureApis`` first, so a feature may refine chat and
completions (knowledge grounds the workflows that name a collection).
"""

from __future__ import annotations

from app.services.knowledge.api import KnowledgeApi


class FeatureApis(KnowledgeApi):
    """Knowledge: documents, retrieval and cited sources."""
