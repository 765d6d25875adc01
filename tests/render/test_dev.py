"""`make dev`: a rendered blueprint whose core files are the template files themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from archgen.dev import link_dev
from archgen.resources import templates_dir


def test_core_files_link_to_templates_and_rendered_ones_are_files(tmp_path: Path) -> None:
    tree = link_dev(tmp_path / "dev")
    root = tree.root
    core = templates_dir() / "shared" / "core"

    service = root / "app" / "services" / "health.py"
    assert service.is_symlink()
    assert Path(os.path.realpath(service)) == (core / "app/services/health.py").resolve()
    web = root / "app" / "routers" / "health.py"
    assert Path(os.path.realpath(web)).is_relative_to(templates_dir().resolve() / "fastapi-saas")
    for generated in ("app/core/catalog.py", "pyproject.toml", "Makefile", "archgen.yaml"):
        assert not (root / generated).is_symlink(), generated
        assert generated in tree.generated
    assert len(tree.linked) > 100

    # Runs as a project: imports resolve through the links, caches stay out of templates/.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/core/test_health.py",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert not list(templates_dir().rglob("__pycache__"))


def test_rerunning_replaces_the_tree(tmp_path: Path) -> None:
    out = tmp_path / "dev"
    link_dev(out)
    (out / "stray.txt").write_text("left from before")

    link_dev(out)

    assert not (out / "stray.txt").exists()
