"""Knowledge: documents in a collection, and the sources a grounded answer cites.

A grounded ``ChatResponse`` or ``ChatCompletion`` carries ``sources``, a list of
``Source``, as an extra field (both response models allow extra fields).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class Source(BaseModel):
    """A passage an answer was given from: cite it as [n], n its place in ``sources``."""

    document_id: str
    title: str
    page: int = Field(description="The page it is on (1 for formats without pages).")
    snippet: str = Field(description="The start of the passage.")


class Document(BaseModel):
    """An uploaded document (``status: ready`` once indexed; ingestion is all or nothing)."""

    id: str
    object: Literal["knowledge.document"] = "knowledge.document"
    collection: str
    title: str
    format: str
    status: str
    pages: int
    chunks: int
    bytes: int
    created_at: datetime


class KnowledgeUsage(BaseModel):
    """What the workspace stores over all collections, and its plan's limits."""

    documents: int
    bytes: int
    max_documents: int
    max_bytes: int
    max_pages_per_file: int


class DocumentList(BaseModel):
    """``GET /v1/knowledge/{collection}/documents``: newest first."""

    object: Literal["list"] = "list"
    data: list[Document]
    usage: KnowledgeUsage
