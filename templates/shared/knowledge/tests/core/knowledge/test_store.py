"""The knowledge store on a real database: ingestion, retrieval with the right page,
tenant isolation, limits, unreadable PDFs, deletion and the workspace cascade."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select, text

from app.core.catalog import TIERS
from app.models import Workspace
from app.models.knowledge import KnowledgeChunk, KnowledgeDocument
from app.services.api.errors import ApiError
from app.services.knowledge import catalog
from app.services.knowledge.store import KnowledgeStore
from app.services.usage.tenancy import TenantDatabase
from tests.core.knowledge.conftest import SMALL, new_workspace
from tests.documents import PAGES, corrupt_pdf, encrypted_pdf, pdf

COLLECTION = next(iter(catalog.COLLECTIONS))
TIER = next(iter(TIERS))


def _accepts(format_: str) -> bool:
    return format_ in catalog.COLLECTIONS[COLLECTION]


async def _add(store: KnowledgeStore, workspace: uuid.UUID, data: bytes, name: str) -> str:
    document = await store.add(workspace, TIER, COLLECTION, data, filename=name, content_type=None)
    return str(document.id)


async def _chunks(db: TenantDatabase, workspace: uuid.UUID) -> int:
    async with db.tenant(workspace) as session:
        count = await session.scalar(
            select(func.count(KnowledgeChunk.id)).where(KnowledgeChunk.workspace_id == workspace)
        )
    return int(count or 0)


async def test_a_pdf_is_indexed_page_by_page_and_the_right_page_answers(
    store: KnowledgeStore, workspace: uuid.UUID
) -> None:
    await _add(store, workspace, pdf(*PAGES), "manual.pdf")

    [document] = await store.documents(workspace, COLLECTION)
    assert (document.title, document.format, document.pages, document.status) == (
        "manual.pdf",
        "pdf",
        3,
        "ready",
    )
    for page, question in enumerate(
        [
            "How long is the warranty?",
            "How often should I run descaling?",
            "How to clean the milk frother?",
        ],
        start=1,
    ):
        retrieved = await store.retrieve(workspace, COLLECTION, question)
        assert retrieved.passages, question
        assert retrieved.passages[0].page == page, question
        assert retrieved.passages[0].title == "manual.pdf"


async def test_nothing_relevant_retrieves_nothing(
    store: KnowledgeStore, workspace: uuid.UUID
) -> None:
    await _add(store, workspace, pdf(*PAGES), "manual.pdf")
    for question in ("What is the capital of Peru?", "the of and", ""):
        assert (await store.retrieve(workspace, COLLECTION, question)).passages == ()


async def test_another_workspace_never_retrieves_or_sees_the_text(
    store: KnowledgeStore, db: TenantDatabase, workspace: uuid.UUID
) -> None:
    await _add(store, workspace, pdf(*PAGES), "manual.pdf")
    other = await new_workspace(db, "Other")

    assert (await store.retrieve(other, COLLECTION, "How long is the warranty?")).passages == ()
    assert await store.documents(other, COLLECTION) == []
    if db.is_postgres:
        # Row-level security: even a query without a workspace filter sees nothing.
        async with db.tenant(other) as session:
            assert await session.scalar(text("SELECT count(*) FROM knowledge_chunks")) == 0
            assert await session.scalar(text("SELECT count(*) FROM knowledge_documents")) == 0


@pytest.mark.parametrize(
    ("name", "data", "format_"),
    [
        (
            "faq.md",
            b"# Returns\n\nReturns are accepted within **30 days** of delivery.",
            "markdown",
        ),
        (
            "faq.html",
            b"<html><head><script>var returns = 1;</script></head><body><h1>Returns</h1>"
            b"<p>Returns are accepted within 30 days of delivery.</p></body></html>",
            "html",
        ),
        ("faq.txt", b"Returns are accepted within 30 days of delivery.", "text"),
    ],
)
async def test_markdown_html_and_text_are_indexed_as_one_page(
    store: KnowledgeStore, workspace: uuid.UUID, name: str, data: bytes, format_: str
) -> None:
    if not _accepts(format_):
        with pytest.raises(ApiError) as refused:
            await _add(store, workspace, data, name)
        assert refused.value.status == 415
        return
    await _add(store, workspace, data, name)
    [passage] = (await store.retrieve(workspace, COLLECTION, "When are returns accepted?")).passages
    assert passage.page == 1
    assert "30 days" in passage.text
    assert "var returns" not in passage.text and "**" not in passage.text


async def test_an_unknown_format_is_refused_with_415(
    store: KnowledgeStore, workspace: uuid.UUID
) -> None:
    with pytest.raises(ApiError) as refused:
        await _add(store, workspace, b"\x89PNG\r\n\x1a\n....", "photo.png")
    assert refused.value.status == 415
    assert refused.value.code == "unsupported_document_format"


@pytest.mark.parametrize(
    "data", [corrupt_pdf(), encrypted_pdf(*PAGES)], ids=["corrupt", "encrypted"]
)
async def test_corrupt_and_encrypted_pdfs_are_refused_and_leave_nothing(
    store: KnowledgeStore, db: TenantDatabase, workspace: uuid.UUID, data: bytes
) -> None:
    with pytest.raises(ApiError) as refused:
        await _add(store, workspace, data, "bad.pdf")
    assert refused.value.status == 422
    assert refused.value.code == "unreadable_document"
    assert await store.documents(workspace, COLLECTION) == []
    assert await _chunks(db, workspace) == 0
    assert (await store.usage(workspace)).documents == 0


async def test_a_file_over_the_per_file_limits_is_413(
    store: KnowledgeStore, workspace: uuid.UUID
) -> None:
    too_many_pages = pdf(*[f"page {n}" for n in range(SMALL.pages_per_file + 1)])
    with pytest.raises(ApiError) as refused:
        await _add(store, workspace, too_many_pages, "long.pdf")
    assert (refused.value.status, refused.value.code) == (413, "document_too_large")
    with pytest.raises(ApiError) as refused:
        await _add(store, workspace, b"x " * SMALL.total_bytes, "huge.txt")
    assert (refused.value.status, refused.value.code) == (413, "document_too_large")


async def test_the_workspace_quota_is_402_and_deleting_frees_it(
    store: KnowledgeStore, workspace: uuid.UUID
) -> None:
    ids = [
        await _add(store, workspace, f"Note {n}: the code is {n}.".encode(), f"n{n}.txt")
        for n in range(SMALL.documents)
    ]
    with pytest.raises(ApiError) as refused:
        await _add(store, workspace, b"One too many.", "extra.txt")
    assert (refused.value.status, refused.value.code) == (402, "knowledge_quota_exceeded")
    await store.delete(workspace, COLLECTION, ids[0])
    await _add(store, workspace, b"Now it fits.", "extra.txt")
    # Bytes count too: a file that fits alone but not with what is stored.
    await store.delete(workspace, COLLECTION, ids[1])
    with pytest.raises(ApiError) as refused:
        await _add(store, workspace, b"y " * (SMALL.total_bytes // 2 - 1) + b"z" * 10, "big.txt")
    assert refused.value.status in (402, 413)


async def test_deleting_a_document_removes_its_passages_and_bumps_the_version(
    store: KnowledgeStore, db: TenantDatabase, workspace: uuid.UUID
) -> None:
    document_id = await _add(store, workspace, pdf(*PAGES), "manual.pdf")
    before = await store.retrieve(workspace, COLLECTION, "How long is the warranty?")
    assert before.passages

    await store.delete(workspace, COLLECTION, document_id)

    after = await store.retrieve(workspace, COLLECTION, "How long is the warranty?")
    assert after.passages == () and after.version > before.version
    assert await _chunks(db, workspace) == 0
    with pytest.raises(ApiError) as missing:
        await store.delete(workspace, COLLECTION, document_id)
    assert missing.value.status == 404


async def test_another_workspace_cannot_delete_a_document(
    store: KnowledgeStore, db: TenantDatabase, workspace: uuid.UUID
) -> None:
    document_id = await _add(store, workspace, pdf(*PAGES), "manual.pdf")
    other = await new_workspace(db, "Other")
    with pytest.raises(ApiError) as refused:
        await store.delete(other, COLLECTION, document_id)
    assert refused.value.status == 404
    assert len(await store.documents(workspace, COLLECTION)) == 1


async def test_deleting_the_workspace_deletes_its_knowledge_and_index(
    store: KnowledgeStore, db: TenantDatabase, workspace: uuid.UUID
) -> None:
    await _add(store, workspace, pdf(*PAGES), "manual.pdf")
    async with db.tenant(workspace) as session:
        ids = set(
            await session.scalars(
                select(KnowledgeChunk.id).where(KnowledgeChunk.workspace_id == workspace)
            )
        )
    assert ids
    async with db.system() as session:
        await session.execute(delete(Workspace).where(Workspace.id == workspace))
    async with db.system() as session:
        for model in (KnowledgeDocument, KnowledgeChunk):
            count = await session.scalar(
                select(func.count()).select_from(model).where(model.workspace_id == workspace)
            )
            assert count == 0
        if not db.is_postgres:
            # The FTS5 index lost the rows too (its delete trigger ran on the cascade).
            query = "SELECT rowid FROM knowledge_chunks_fts WHERE knowledge_chunks_fts MATCH :q"
            indexed = set(await session.scalars(text(query), {"q": "warranty"}))
            assert not indexed & ids
