"""What the render pipeline writes: complete, clean, deterministic, the same in a ZIP."""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import tomllib
import zipfile
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from archgen.errors import UsageError
from archgen.render import RenderedProject, render_project, write_tree, write_zip
from archgen.render.manifest import MANIFEST_PATH
from archgen.resources import blueprints_dir, templates_dir
from archgen.spec import parse_spec

from .projects import BLUEPRINTS, rendered

TEMPLATE_SYNTAX = re.compile(rb"\{\{|\{%|%\}")
# The generated app's own Jinja2 templates (the /admin pages): copied, never rendered.
APP_TEMPLATES = "app/admin/templates/"


def test_file_list_and_contents_match_the_snapshot(project: RenderedProject, snapshot) -> None:
    digests = {path: hashlib.sha256(data).hexdigest()[:16] for path, data in project.files.items()}
    assert digests == snapshot


def test_no_template_syntax_or_template_files_survive(project: RenderedProject) -> None:
    leftovers = [
        p
        for p, data in project.files.items()
        if TEMPLATE_SYNTAX.search(data) and not p.startswith(APP_TEMPLATES)
    ]
    assert leftovers == []
    assert not [p for p in project.files if p.endswith(".jinja") or p.endswith("copier.yml")]


def test_the_apps_own_jinja_templates_are_copied_untouched(project: RenderedProject) -> None:
    source = templates_dir() / "shared" / "core" / APP_TEMPLATES
    pages = sorted(source.glob("*.html"))
    assert pages, source
    for page in pages:
        assert project.files[APP_TEMPLATES + page.name] == page.read_bytes(), page.name


def test_the_project_is_complete(project: RenderedProject) -> None:
    for required in (
        "archgen.yaml",
        MANIFEST_PATH,
        "pyproject.toml",
        "Makefile",
        "README.md",
        ".env.example",
        "app/core/catalog.py",
        "app/core/db.py",
        "app/services/health.py",
        "tests/core/test_health.py",
    ):
        assert required in project.files, required
    entry = "app/main.py" if project.framework.value == "fastapi" else "app/__init__.py"
    assert b"def create_app" in project.files[entry]


def test_flask_projects_carry_no_async_code() -> None:
    for blueprint in BLUEPRINTS:
        files = rendered(blueprint, "flask").files
        offenders = [
            path
            for path, data in files.items()
            if path.endswith(".py") and re.search(rb"\basync (?:def|with|for)\b|\bawait\b", data)
        ]
        assert offenders == [], blueprint


def test_flask_code_reads_as_if_written_for_threads() -> None:
    # No mechanical leftovers in the code derived from the async core: `x.__next__()`,
    # `aclose` (code or docs), a shield around a call that a thread never needs.
    core = templates_dir() / "shared" / "core"
    derived = {p.relative_to(core).as_posix() for p in core.rglob("*.py")}
    for blueprint in BLUEPRINTS:
        files = rendered(blueprint, "flask").files
        for path, data in files.items():
            if path not in derived:
                continue
            assert not re.search(rb"\.__next__\(\)|\baclose\b|\bshield\(", data), (blueprint, path)


def test_fastapi_projects_keep_the_async_core() -> None:
    files = rendered(BLUEPRINTS[0], "fastapi").files
    assert b"async def check_database" in files["app/services/health.py"]
    assert b"create_async_engine" in files["app/core/db.py"]


def test_manifest_hashes_every_other_file(project: RenderedProject) -> None:
    manifest = json.loads(project.files[MANIFEST_PATH])

    assert set(manifest["files"]) == set(project.files) - {MANIFEST_PATH}
    for path, digest in manifest["files"].items():
        assert hashlib.sha256(project.files[path]).hexdigest() == digest
    assert manifest["framework"] == project.framework.value
    assert manifest["layers"][0] == "shared/core"
    # Nothing that varies between runs (no timestamps, no paths of the machine).
    assert set(manifest) == {
        "manifest_version",
        "archgen_version",
        "framework",
        "layers",
        "spec",
        "files",
    }


def test_rendering_is_deterministic() -> None:
    rendered.cache_clear()
    first = rendered(BLUEPRINTS[0], "flask")
    rendered.cache_clear()
    second = rendered(BLUEPRINTS[0], "flask")
    assert first.files == second.files


def test_zip_holds_the_same_tree_byte_for_byte(tmp_path: Path) -> None:
    project = rendered(BLUEPRINTS[0], "fastapi")
    write_zip(project, tmp_path / "a.zip")
    write_zip(project, tmp_path / "b.zip")

    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO((tmp_path / "a.zip").read_bytes())) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        unpacked = {n.split("/", 1)[1]: archive.read(n) for n in names}
    assert unpacked == project.files


def test_directory_output_matches_and_refuses_non_empty_dirs(tmp_path: Path) -> None:
    project = rendered(BLUEPRINTS[0], "flask")
    out = tmp_path / "out"
    write_tree(project, out)

    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert written == project.files

    with pytest.raises(UsageError, match="not empty"):
        write_tree(project, out)
    (out / "app" / "core" / "db.py").write_text("edited")
    write_tree(project, out, force=True)
    assert (out / "app" / "core" / "db.py").read_bytes() == project.files["app/core/db.py"]
    assert not [p for p in out.iterdir() if p.name.startswith(".archgen-")]


def test_the_kept_spec_names_the_framework_it_was_built_for() -> None:
    for blueprint in BLUEPRINTS:
        for framework in ("flask", "fastapi"):
            kept = YAML(typ="safe").load(rendered(blueprint, framework).files["archgen.yaml"])
            assert kept["framework"] == framework


def test_free_text_lands_as_exact_literals_in_python_and_toml() -> None:
    name = 'Bob\'s [Docs] & "Co" — Zürich'
    text = (blueprints_dir() / "ai-saas.yaml").read_text()
    text = text.replace("name: Acme AI", f"name: {json.dumps(name)}", 1)
    # Tabs and other control characters are refused by validation (tests/spec).
    description = name + " with a \\ backslash, <b>tags</b> and ${x}"
    text = text.replace(
        "description: Summaries and research reports on demand, billed by usage.",
        f"description: {json.dumps(description)}",
        1,
    )
    spec = parse_spec(text, "quirky.yaml")

    files = render_project(spec, spec_text=text).files

    catalog = ast.parse(files["app/core/catalog.py"])
    assigned = {
        node.targets[0].id: node.value
        for node in catalog.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(assigned["PRODUCT_NAME"]) == name
    project = tomllib.loads(files["pyproject.toml"].decode())["project"]
    assert project["description"] == description == spec.product.description
    assert b"\\u00" not in files["pyproject.toml"]
