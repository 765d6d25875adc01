"""The wheel carries the templates and blueprints, and works without the source checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_templates_and_blueprints_and_renders_from_them(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("archgen-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert "archgen/_data/templates/shared/core/copier.yml" in names
    assert "archgen/_data/templates/fastapi-saas/app/main.py" in names
    assert "archgen/_data/blueprints/ai-saas.yaml" in names

    # Run from the unpacked wheel only, away from the checkout.
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    done = subprocess.run(
        [sys.executable, "-c", "import archgen.resources as r; print(r.templates_dir())"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.stdout.strip() == str(tmp_path / "site" / "archgen" / "_data" / "templates")
    out = tmp_path / "project"
    rendered = subprocess.run(
        [
            sys.executable,
            "-m",
            "archgen",
            "new",
            "--blueprint",
            "ai-saas",
            "--out",
            str(out),
            "--no-verify",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert (out / "app" / "main.py").is_file()
