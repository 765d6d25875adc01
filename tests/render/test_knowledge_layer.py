"""Knowledge is rendered only for specs that have it (issue 17): doc-qa and
support-agent get the layers, their migration, dependencies and docs; ai-saas
gets none of it."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from .projects import FRAMEWORKS, rendered

KNOWLEDGE_FILES = (
    "app/services/knowledge/store.py",
    "app/models/knowledge.py",
    "app/migrations/versions/knowledge_0001.py",
    "app/cli/knowledge.py",
    "docs/knowledge.md",
    "tests/contract/test_knowledge.py",
)


def _dependencies(files: dict[str, bytes]) -> list[str]:
    project = tomllib.loads(files["pyproject.toml"].decode())["project"]
    return [re.split(r"[<>=\[]", d)[0] for d in project["dependencies"]]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_ai_saas_has_no_knowledge_code(framework: str) -> None:
    project = rendered("ai-saas", framework)
    assert not [p for p in project.files if "knowledge" in p]
    code = [p for p in project.files if p.endswith((".py", ".md", ".toml"))]
    mentions = [p for p in code if re.search(rb"\bknowledge\b", project.files[p], re.I)]
    assert mentions == []
    assert "pypdf" not in _dependencies(project.files)
    manifest = json.loads(project.files[".archgen/manifest.json"])
    assert not [layer for layer in manifest["layers"] if "knowledge" in layer]


@pytest.mark.parametrize("blueprint", ["doc-qa", "support-agent"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_knowledge_blueprints_get_the_layers(blueprint: str, framework: str) -> None:
    project = rendered(blueprint, framework)
    for path in KNOWLEDGE_FILES:
        assert path in project.files, path
    web = "app/routers/knowledge.py" if framework == "fastapi" else "app/blueprints/knowledge_bp.py"
    assert web in project.files
    dependencies = _dependencies(project.files)
    assert "pypdf" in dependencies
    assert ("python-multipart" in dependencies) == (framework == "fastapi")
    readme = project.files["README.md"].decode()
    assert "## Knowledge (documents and cited answers)" in readme
    manifest = json.loads(project.files[".archgen/manifest.json"])
    assert manifest["layers"][-2:] == ["shared/knowledge", f"knowledge-{framework}"]
