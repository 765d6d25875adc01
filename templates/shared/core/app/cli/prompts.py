"""``python -m app prompts list|check|sync|publish``: the prompt catalogue for operators.

- ``list``: prompts, their published versions and what serves traffic (``--json``;
  ``--database``: with the versions published through the API, as the app serves them);
- ``check``: verifies published versions are unchanged; exits 1 naming each problem
  (``--database``: also against the versions stored in ``DATABASE_URL``);
- ``sync``: stores the files' published versions in the database every instance
  serves from (each instance also does so on its first request); exits 1 naming
  each file that differs from its stored version;
- ``publish NAME [FILE]``: publishes FILE (or stdin) as the next version of NAME,
  within ``PROMPT_MAX_BYTES`` and ``PROMPT_MAX_VERSIONS`` (as the API does).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from app.cli import add_group
from app.core.config import get_settings
from app.core.db import create_engine_for
from app.services.prompts import PROMPTS_DIR, PromptError, PromptStore, PublishLimits
from app.services.prompts.catalog import PromptCatalog, SyncReport
from app.services.usage.tenancy import TenantDatabase


def register(subparsers: Any) -> None:
    """Add the ``prompts`` group and its commands."""
    commands = add_group(
        subparsers,
        "prompts",
        "list, check and publish prompt versions",
        "List the prompt catalogue, check that no published version was "
        "edited, and publish new versions (the files under app/prompts by default).",
    )

    def add(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(
            name, help=help_text, description=help_text
        )
        parser.add_argument(
            "--dir",
            type=Path,
            default=PROMPTS_DIR,
            help="the prompts directory (default: this app's app/prompts)",
        )
        parser.set_defaults(handler=handler)
        return parser

    listing = add("list", list_prompts, "list prompts, published versions and live experiments")
    listing.add_argument("--json", action="store_true", help="print JSON on stdout")
    listing.add_argument(
        "--database",
        action="store_true",
        help="include the versions stored in DATABASE_URL (published through the API)",
    )
    check = add("check", check_prompts, "verify that no published version was edited")
    check.add_argument(
        "--database",
        action="store_true",
        help="also compare the files with the versions stored in DATABASE_URL",
    )
    add("sync", sync_prompts, "store the files' published versions in DATABASE_URL")
    publish = add("publish", publish_prompt, "publish a new version of a prompt")
    publish.add_argument("name", help="the prompt's name, e.g. summarize")
    publish.add_argument(
        "file", nargs="?", default="-", help="front matter + body to publish (default: stdin)"
    )


def _listing(store: PromptStore | PromptCatalog) -> list[dict[str, Any]]:
    experiments = store.experiments()
    rows = []
    for name, versions in sorted(store.published().items()):
        experiment = experiments.get(name)
        serving = (
            {f"v{v}": round(experiment.share(v), 4) for v in experiment.versions}
            if experiment
            else {f"v{versions[-1]}": 1.0}
        )
        rows.append(
            {
                "name": name,
                "versions": [f"v{v}" for v in versions],
                "serving": serving,
                "experiment": experiment.name if experiment and experiment.live else None,
            }
        )
    return rows


async def list_prompts(args: argparse.Namespace) -> int:
    """Print each prompt's published versions and its traffic split."""
    try:
        rows = await _stored_listing(args.dir) if args.database else _listing(PromptStore(args.dir))
    except (PromptError, SQLAlchemyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        split = ", ".join(f"{v} {share * 100:.0f}%" for v, share in row["serving"].items())
        live = f"  experiment {row['experiment']}" if row["experiment"] else ""
        print(f"{row['name']}: {' '.join(row['versions'])}  serving {split}{live}")
    if not rows:
        print("no published prompts", file=sys.stderr)
    return 0


async def _stored_listing(directory: Path) -> list[dict[str, Any]]:
    engine = create_engine_for(get_settings().database_url)
    try:
        catalog = PromptCatalog(TenantDatabase(engine), PromptStore(directory))
        await catalog.load_stored()
        return _listing(catalog)
    finally:
        await engine.dispose()


async def _synced(directory: Path, *, store: bool) -> SyncReport:
    engine = create_engine_for(get_settings().database_url)
    try:
        catalog = PromptCatalog(TenantDatabase(engine), PromptStore(directory))
        return await catalog.sync_files(store=store)
    finally:
        await engine.dispose()


async def check_prompts(args: argparse.Namespace) -> int:
    """Exit 1, naming each file, when anything in the catalogue is wrong."""
    problems = PromptStore(args.dir).check()
    if args.database:
        try:
            problems += (await _synced(args.dir, store=False)).problems
        except SQLAlchemyError as exc:
            print(f"error: the database cannot be read: {exc}", file=sys.stderr)
            return 1
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in the prompt catalogue", file=sys.stderr)
        return 1
    print("prompts ok: every published version matches prompts.lock", file=sys.stderr)
    return 0


async def sync_prompts(args: argparse.Namespace) -> int:
    """Store the files' published versions in the database; exit 1 naming any that differ."""
    try:
        report = await _synced(args.dir, store=True)
    except (SQLAlchemyError, PromptError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for ref in report.stored:
        print(f"stored {ref}")
    for problem in report.problems:
        print(problem)
    if report.problems:
        print(f"{len(report.problems)} file(s) differ from their stored version", file=sys.stderr)
        return 1
    print("prompts synced: the database holds every published file version", file=sys.stderr)
    return 0


def _read_source(source: str, max_bytes: int) -> str:
    # One character more than the limit is enough for the store to refuse it by size.
    if source == "-":
        return sys.stdin.read(max_bytes + 1)
    with Path(source).open(encoding="utf-8") as handle:
        return handle.read(max_bytes + 1)


async def publish_prompt(args: argparse.Namespace) -> int:
    """Publish a file (or stdin) as the next version; prints its ref (``name@vN``)."""
    settings = get_settings()
    limits = PublishLimits(settings.prompt_max_bytes, settings.prompt_max_versions)
    store = PromptStore(args.dir, limits=limits)
    try:
        text = _read_source(args.file, limits.max_bytes)
        prompt = store.publish(args.name, text)
    except (PromptError, OSError, UnicodeDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(prompt.ref)
    experiment = store.experiments().get(prompt.name)
    if experiment is None:
        note = "it now serves all traffic (no experiment for this prompt)"
    elif prompt.version in experiment.versions:
        note = f"it serves {experiment.share(prompt.version) * 100:.0f}% of users"
    else:
        note = f"it serves no traffic until {store.experiments_path.name} routes to it"
    print(f"published {prompt.path}; {note}", file=sys.stderr)
    return 0
