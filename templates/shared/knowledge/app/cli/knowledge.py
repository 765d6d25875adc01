"""``python -m app knowledge ingest PATH... --workspace W --collection C``: operators
load documents (a help center export, a manual) into a workspace's collection.

Each file goes through the same checks as an upload (format, the workspace tier's
limits, unreadable PDFs); one refused file does not stop the others. Prints one
JSON line per ingested document on stdout; problems go to stderr. Exit code 0
when every file was ingested, 1 when some were refused, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.cli import add_group
from app.core.config import get_settings
from app.core.db import create_engine_for
from app.models import Workspace
from app.services.accounts import Accounts
from app.services.api.errors import ApiError
from app.services.knowledge import catalog
from app.services.knowledge.api import document_out
from app.services.knowledge.store import KnowledgeStore
from app.services.usage.tenancy import TenantDatabase


def register(subparsers: Any) -> None:
    """Add the ``knowledge`` group and its commands."""
    commands = add_group(
        subparsers,
        "knowledge",
        "load documents into a workspace's knowledge collections",
        "Knowledge: documents a workspace's workflows answer from, with citations.",
    )
    ingest = commands.add_parser(
        "ingest",
        help="index files into a collection; one JSON line per document on stdout",
        description="Index files (PDF, Markdown, HTML, plain text, as the collection "
        "accepts) into a workspace's collection, within the workspace tier's limits.",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files to ingest")
    ingest.add_argument("--workspace", required=True, help="workspace name")
    ingest.add_argument(
        "--collection", required=True, choices=sorted(catalog.COLLECTIONS), help="collection"
    )
    ingest.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
    ingest.set_defaults(handler=ingest_command)


async def ingest_command(args: argparse.Namespace) -> int:
    """Ingest every path; stdout gets the documents, stderr the refusals."""
    engine = create_engine_for(args.url or get_settings().database_url)
    db = TenantDatabase(engine)
    try:
        # By name across every workspace: the tenant is what we are looking up.
        async with db.system() as session:
            found = (
                await session.scalars(select(Workspace.id).where(Workspace.name == args.workspace))
            ).all()
        if len(found) != 1:
            what = "no workspace" if not found else f"{len(found)} workspaces"
            print(f"knowledge ingest: {what} named {args.workspace!r}", file=sys.stderr)
            return 2
        workspace_id = found[0]
        tier = (await Accounts(db).entitlement(workspace_id)).tier
        store = KnowledgeStore(db)
        failed = 0
        for raw in args.paths:
            data = _read(raw)
            if isinstance(data, OSError):
                failed += 1
                print(f"knowledge ingest: {raw}: {data.strerror or data}", file=sys.stderr)
                continue
            try:
                document = await store.add(
                    workspace_id,
                    tier,
                    args.collection,
                    data,
                    filename=Path(raw).name,
                    content_type=None,
                )
            except ApiError as exc:
                failed += 1
                print(f"knowledge ingest: {raw}: {exc.message} ({exc.status})", file=sys.stderr)
                continue
            print(json.dumps(document_out(document).model_dump(mode="json")))
        return 1 if failed else 0
    finally:
        await engine.dispose()


def _read(path: str) -> bytes | OSError:
    # One operator command at a time: reading the file blocks, and that is fine here.
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        return exc
