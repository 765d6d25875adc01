"""Documents in, passages out: ingestion, listing, deletion and retrieval, per workspace.

Every method runs in one tenant-scoped transaction (``TenantDatabase.tenant``):
queries filter by workspace in code, and on PostgreSQL row-level security hides
every other workspace's rows as well. Ingestion reads and splits the whole file
before its transaction, then stores the document, its chunks and the new
collection version together: a refused or failed upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnClause, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.flavour import blocking
from app.models import Workspace, utcnow
from app.models.knowledge import (
    CHUNK_INDEX_TABLE,
    TEXT_SEARCH_CONFIG,
    KnowledgeChunk,
    KnowledgeCollection,
    KnowledgeDocument,
)
from app.services.api.errors import not_found
from app.services.knowledge import catalog
from app.services.knowledge.errors import (
    document_too_large,
    knowledge_quota_exceeded,
    unsupported_format,
)
from app.services.knowledge.extract import detect_format, extract, page_count
from app.services.knowledge.text import chunk_pages, query_terms, score
from app.services.usage.tenancy import TenantDatabase

# Candidates the full-text index returns per wanted chunk, before scoring.
CANDIDATES_PER_RESULT = 5
MAX_TITLE_CHARS = 300


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk: where it comes from, its text and its relevance (0 to 1)."""

    document_id: uuid.UUID
    title: str
    page: int
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class Retrieved:
    """The passages for one question, and the collection version they were read at."""

    collection: str
    version: int
    passages: tuple[Passage, ...]


@dataclass(frozen=True, slots=True)
class Usage:
    """What a workspace stores, against its tier's limits."""

    documents: int
    bytes: int
    chunks: int


def require_collection(name: str) -> tuple[str, ...]:
    """The formats collection ``name`` accepts (404 for a collection the product lacks)."""
    formats = catalog.COLLECTIONS.get(name)
    if formats is None:
        known = ", ".join(sorted(catalog.COLLECTIONS))
        raise not_found(
            "unknown_collection",
            f"Unknown collection {name!r}; known: {known}.",
            param="collection",
        )
    return formats


def clean_title(filename: str | None, fallback: str) -> str:
    """A document title from its file name: the last path part, printable, bounded."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or fallback)[:MAX_TITLE_CHARS]


class KnowledgeStore:
    """The knowledge of every workspace, one tenant transaction per operation."""

    def __init__(
        self, db: TenantDatabase, *, limits: Callable[[str], catalog.Limits] = catalog.limits_for
    ) -> None:
        self.db = db
        # Tier name -> limits; tests pass small ones.
        self.limits = limits

    # -- ingestion -----------------------------------------------------------------------

    async def add(
        self,
        workspace_id: uuid.UUID,
        tier: str,
        collection: str,
        data: bytes,
        *,
        filename: str | None,
        content_type: str | None,
    ) -> KnowledgeDocument:
        """Index one file: 415 for a format the collection refuses, 413 for a file over
        the tier's per-file limits, 422 when unreadable, 402 when the workspace's
        documents or bytes would pass the tier's limits."""
        accepted = require_collection(collection)
        found = detect_format(filename, content_type, data)
        if found is None or found not in accepted:
            raise unsupported_format(collection, found, accepted)
        limits = self.limits(tier)
        if len(data) > limits.total_bytes:
            raise document_too_large("bytes", limits.total_bytes, tier)
        # Parsing is CPU-bound: off the event loop (a worker thread) in the async flavour.
        pages = await blocking(lambda: _read_pages(found, data, limits.pages_per_file, tier))
        chunks = chunk_pages(pages, size=catalog.CHUNK_SIZE, overlap=catalog.CHUNK_OVERLAP)
        document = KnowledgeDocument(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            collection=collection,
            title=clean_title(filename, f"{collection} document"),
            format=found,
            size_bytes=len(data),
            pages=len(pages),
            chunks=len(chunks),
            status="ready",
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=utcnow(),
        )
        async with self.db.tenant(workspace_id) as session:
            # One upload at a time per workspace: the limit check and the insert agree.
            await session.execute(
                select(Workspace.id).where(Workspace.id == workspace_id).with_for_update()
            )
            used = await self._usage(session, workspace_id)
            if used.documents + 1 > limits.documents:
                raise knowledge_quota_exceeded(
                    "documents", used.documents, 1, limits.documents, tier
                )
            if used.bytes + len(data) > limits.total_bytes:
                raise knowledge_quota_exceeded(
                    "bytes", used.bytes, len(data), limits.total_bytes, tier
                )
            session.add(document)
            await session.flush()
            session.add_all(
                KnowledgeChunk(
                    workspace_id=workspace_id,
                    document_id=document.id,
                    collection=collection,
                    page=chunk.page,
                    ordinal=chunk.ordinal,
                    text=chunk.text,
                )
                for chunk in chunks
            )
            await self._bump(session, workspace_id, collection)
        return document

    # -- reading and deleting ------------------------------------------------------------

    async def documents(self, workspace_id: uuid.UUID, collection: str) -> list[KnowledgeDocument]:
        """The collection's documents, newest first."""
        require_collection(collection)
        async with self.db.tenant(workspace_id) as session:
            rows = await session.scalars(
                select(KnowledgeDocument)
                .where(
                    KnowledgeDocument.workspace_id == workspace_id,
                    KnowledgeDocument.collection == collection,
                )
                .order_by(KnowledgeDocument.created_at.desc(), KnowledgeDocument.id)
            )
            return list(rows)

    async def delete(self, workspace_id: uuid.UUID, collection: str, document_id: str) -> None:
        """Delete a document and its chunks (404 when the workspace has no such document)."""
        require_collection(collection)
        try:
            wanted = uuid.UUID(document_id)
        except ValueError:
            raise _no_document(document_id) from None
        async with self.db.tenant(workspace_id) as session:
            document = await session.scalar(
                select(KnowledgeDocument).where(
                    KnowledgeDocument.id == wanted,
                    KnowledgeDocument.workspace_id == workspace_id,
                    KnowledgeDocument.collection == collection,
                )
            )
            if document is None:
                raise _no_document(document_id)
            await session.delete(document)
            await session.flush()
            await self._bump(session, workspace_id, collection)

    async def usage(self, workspace_id: uuid.UUID) -> Usage:
        """What the workspace stores over all its collections."""
        async with self.db.tenant(workspace_id) as session:
            return await self._usage(session, workspace_id)

    # -- retrieval -----------------------------------------------------------------------

    async def retrieve(
        self,
        workspace_id: uuid.UUID,
        collection: str,
        question: str,
        *,
        top_k: int = catalog.TOP_K,
        min_score: float = catalog.MIN_SCORE,
    ) -> Retrieved:
        """The ``top_k`` passages most relevant to ``question`` scoring ``min_score`` or
        more, best first; none when nothing in the collection is relevant enough."""
        terms = query_terms(question)
        async with self.db.tenant(workspace_id) as session:
            version = await session.scalar(
                select(KnowledgeCollection.version).where(
                    KnowledgeCollection.workspace_id == workspace_id,
                    KnowledgeCollection.name == collection,
                )
            )
            if not terms or not version:
                return Retrieved(collection, version or 0, ())
            chunk, document = KnowledgeChunk, KnowledgeDocument
            query = (
                select(chunk.document_id, document.title, chunk.page, chunk.text)
                .join(document, document.id == chunk.document_id)
                .where(chunk.workspace_id == workspace_id, chunk.collection == collection)
                .limit(top_k * CANDIDATES_PER_RESULT)
            )
            if self.db.is_postgres:
                config: ColumnClause[Any] = literal_column(f"'{TEXT_SEARCH_CONFIG}'::regconfig")
                vector = func.to_tsvector(config, chunk.text)
                wanted = func.websearch_to_tsquery(config, " OR ".join(terms))
                query = query.where(vector.op("@@")(wanted)).order_by(
                    func.ts_rank(vector, wanted).desc(), chunk.id
                )
            else:
                # Terms are \w+ words: quoted, they are plain FTS5 strings whatever they hold.
                match = " OR ".join(f'"{term}"' for term in terms)
                query = (
                    query.join(
                        table(CHUNK_INDEX_TABLE),
                        literal_column(f"{CHUNK_INDEX_TABLE}.rowid") == chunk.id,
                    )
                    .where(text(f"{CHUNK_INDEX_TABLE} MATCH :match").bindparams(match=match))
                    .order_by(literal_column(f"bm25({CHUNK_INDEX_TABLE})"), chunk.id)
                )
            rows = (await session.execute(query)).all()
        scored = [
            Passage(row.document_id, row.title, row.page, row.text, score(terms, row.text))
            for row in rows
        ]
        # Stable sort: equal scores keep the index's own ranking.
        relevant = sorted((p for p in scored if p.score >= min_score), key=lambda p: -p.score)
        return Retrieved(collection, version, tuple(relevant[:top_k]))

    # -- steps ---------------------------------------------------------------------------

    @staticmethod
    async def _usage(session: AsyncSession, workspace_id: uuid.UUID) -> Usage:
        documents, size, chunks = (
            await session.execute(
                select(
                    func.count(KnowledgeDocument.id),
                    func.coalesce(func.sum(KnowledgeDocument.size_bytes), 0),
                    func.coalesce(func.sum(KnowledgeDocument.chunks), 0),
                ).where(KnowledgeDocument.workspace_id == workspace_id)
            )
        ).one()
        return Usage(int(documents), int(size), int(chunks))

    @staticmethod
    async def _bump(session: AsyncSession, workspace_id: uuid.UUID, collection: str) -> None:
        """A new collection version: answers cached before this change never match again."""
        row = await session.get(
            KnowledgeCollection, (workspace_id, collection), with_for_update=True
        )
        if row is None:
            session.add(
                KnowledgeCollection(
                    workspace_id=workspace_id, name=collection, version=1, updated_at=utcnow()
                )
            )
        else:
            row.version += 1
            row.updated_at = utcnow()


def _read_pages(format_: str, data: bytes, max_pages: int, tier: str) -> tuple[str, ...]:
    """The document's text per page; 413 past ``max_pages`` (counted before extracting)."""
    if format_ == "pdf" and page_count(data) > max_pages:
        raise document_too_large("pages", max_pages, tier)
    return extract(format_, data).pages


def _no_document(document_id: str) -> Exception:
    return not_found(
        "unknown_document", f"There is no document {document_id[:64]!r} here.", param="id"
    )
