"""``python -m app knowledge ingest``: operators load files; refusals are reported, not fatal."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from app.cli import main
from app.core.catalog import TIERS
from app.core.db import create_engine_for
from app.core.flavour import run
from app.services.accounts import Accounts
from app.services.knowledge import catalog
from app.services.knowledge.store import KnowledgeStore
from app.services.usage.tenancy import TenantDatabase
from tests.documents import PAGES, corrupt_pdf, pdf

COLLECTION = next(iter(catalog.COLLECTIONS))
TIER = next(iter(TIERS))


def _good_file(tmp_path: Path) -> Path:
    if "pdf" in catalog.COLLECTIONS[COLLECTION]:
        path = tmp_path / "manual.pdf"
        path.write_bytes(pdf(*PAGES))
    else:
        path = tmp_path / "manual.md"
        path.write_text("# Manual\n\n" + "\n\n".join(PAGES))
    return path


def test_ingest_indexes_good_files_and_reports_the_rest(
    usage_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A synchronous test: the command runs its own event loop (in the async flavour).
    name = f"ingest-{uuid.uuid4().hex[:8]}"

    async def create() -> uuid.UUID:
        engine = create_engine_for(usage_database_url)
        try:
            return (await Accounts(TenantDatabase(engine)).create_workspace(name, TIER)).id
        finally:
            await engine.dispose()

    workspace = run(create)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(corrupt_pdf())
    args = [str(_good_file(tmp_path)), str(broken), str(tmp_path / "missing.txt")]
    common = ["--workspace", name, "--collection", COLLECTION, "--url", usage_database_url]

    code = main(["knowledge", "ingest", *args, *common])

    out, err = capsys.readouterr()
    assert code == 1
    [line] = out.splitlines()
    document = json.loads(line)
    assert document["collection"] == COLLECTION and document["status"] == "ready"
    assert "broken.pdf" in err and "missing.txt" in err

    async def stored() -> tuple[list[str], list[uuid.UUID]]:
        engine = create_engine_for(usage_database_url)
        try:
            store = KnowledgeStore(TenantDatabase(engine))
            documents = await store.documents(workspace, COLLECTION)
            question = "How often should I run descaling?"
            retrieved = await store.retrieve(workspace, COLLECTION, question)
            return [str(d.id) for d in documents], [p.document_id for p in retrieved.passages]
        finally:
            await engine.dispose()

    documents, cited = run(stored)
    assert documents == [document["id"]]
    assert cited[0] == uuid.UUID(document["id"])


def test_ingest_refuses_an_unknown_workspace(
    usage_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--workspace", "nobody", "--collection", COLLECTION, "--url", usage_database_url]
    assert main(["knowledge", "ingest", str(_good_file(tmp_path)), *args]) == 2
    assert "no workspace named 'nobody'" in capsys.readouterr().err
