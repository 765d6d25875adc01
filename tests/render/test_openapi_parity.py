"""The Flask and FastAPI renders of one spec serve the same OpenAPI document.

Each generated suite checks its app against the shared route table; this checks the
two apps against each other directly: every blueprint, both renders written out and
asked for ``/openapi.json`` in a process of their own. Descriptions (docstrings) are
prose and may differ; paths, methods, parameters, bodies, responses and schemas may not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archgen.render.output import write_tree
from tests.render.projects import BLUEPRINTS, rendered

SERVED = {
    "fastapi": (
        "from fastapi.testclient import TestClient\n"
        "from app.main import create_app\n"
        "print(TestClient(create_app()).get('/openapi.json').text)\n"
    ),
    "flask": (
        "from app import create_app\n"
        "print(create_app().test_client().get('/openapi.json').get_data(as_text=True))\n"
    ),
}


def served_document(blueprint: str, framework: str, root: Path) -> dict[str, Any]:
    project = root / framework
    write_tree(rendered(blueprint, framework), project)
    done = subprocess.run(
        [sys.executable, "-c", SERVED[framework]],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(project), "DATABASE_URL": "sqlite://"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def without_prose(document: dict[str, Any]) -> dict[str, Any]:
    paths = {
        path: {
            method: {k: v for k, v in operation.items() if k != "description"}
            for method, operation in item.items()
        }
        for path, item in document["paths"].items()
    }
    return {**document, "paths": paths}


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_both_frameworks_publish_the_same_document(blueprint: str, tmp_path: Path) -> None:
    fastapi = served_document(blueprint, "fastapi", tmp_path)
    flask = served_document(blueprint, "flask", tmp_path)

    assert fastapi["openapi"] == flask["openapi"] == "3.1.0"
    assert sorted(fastapi["paths"]) == sorted(flask["paths"])
    for path in fastapi["paths"]:
        assert sorted(fastapi["paths"][path]) == sorted(flask["paths"][path]), path
    assert without_prose(fastapi) == without_prose(flask)
