"""An archgen installed from its wheel (no source tree, no network) updates a project."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import commit
from .specs import base_spec, changed_spec

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_a_wheel_installed_archgen_performs_an_update(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    built = _run([*pip, "-w", str(tmp_path / "dist"), str(ROOT)], tmp_path, dict(os.environ))
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(next((tmp_path / "dist").glob("archgen-*.whl"))) as wheel:
        wheel.extractall(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    where = _run([sys.executable, "-c", "import archgen; print(archgen.__file__)"], tmp_path, env)
    assert where.stdout.startswith(str(tmp_path / "site")), where.stdout
    archgen = [sys.executable, "-m", "archgen"]
    (tmp_path / "client.yaml").write_text(base_spec())
    project = tmp_path / "docask"

    created = _run(
        [*archgen, "new", "--spec", "client.yaml", "--out", "docask", "--no-verify"], tmp_path, env
    )
    assert created.returncode == 0, created.stderr
    (project / "archgen.yaml").write_text(changed_spec())
    commit(project, "spec")
    updated = _run([*archgen, "update", "docask"], tmp_path, env)

    assert updated.returncode == 0, updated.stderr
    assert '"deepseek-chat": ModelInfo(' in (project / "app" / "core" / "catalog.py").read_text()
