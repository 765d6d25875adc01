"""End to end: every blueprint in both frameworks is rendered by the real CLI and its own
test suite runs — on SQLite and memory, and again on PostgreSQL and Redis.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archgen.resources import blueprints_dir

pytestmark = pytest.mark.e2e

BLUEPRINTS = sorted(p.stem for p in blueprints_dir().glob("*.yaml"))
CASES = [(b, f) for b in BLUEPRINTS for f in ("fastapi", "flask")]
CASE_IDS = [f"{b}-{f}" for b, f in CASES]
PG_URL = os.environ.get("ARCHGEN_E2E_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ARCHGEN_E2E_REDIS_URL", "redis://127.0.0.1:6379/15")


def archgen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archgen", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=900,
    )


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.parametrize(("blueprint", "framework"), CASES, ids=CASE_IDS)
def test_generated_project_passes_its_own_checks(
    blueprint: str, framework: str, tmp_path: Path
) -> None:
    out = tmp_path / blueprint
    done = archgen(
        "new", "--blueprint", blueprint, "--framework", framework, "--out", str(out), "--json"
    )

    assert done.returncode == 0, done.stderr[-4000:]
    summary = json.loads(done.stdout)
    assert summary["verified"] is True
    assert summary["tests"] > 0
    # archgen's own environment carries every generated dependency, so verification
    # must not have needed a project venv (which would install from the network).
    assert summary["python"] == sys.executable


@pytest.mark.parametrize(("blueprint", "framework"), CASES, ids=CASE_IDS)
def test_generated_project_passes_on_postgres_and_redis(
    blueprint: str, framework: str, tmp_path: Path
) -> None:
    services_up = reachable(PG_URL, 5432) and reachable(REDIS_URL, 6379)
    if not services_up:
        # CI starts both services, so there a missing one is a failure, not a skip.
        assert os.environ.get("CI") != "true", "PostgreSQL or Redis is not reachable in CI"
        pytest.skip(f"PostgreSQL ({PG_URL}) or Redis ({REDIS_URL}) not reachable here")
    out = tmp_path / blueprint
    rendered = archgen(
        "new", "--blueprint", blueprint, "--framework", framework, "--out", str(out), "--no-verify"
    )
    assert rendered.returncode == 0, rendered.stderr[-4000:]

    done = archgen(
        "verify",
        str(out),
        "--json",
        env={"TEST_DATABASE_URL": PG_URL, "TEST_REDIS_URL": REDIS_URL},
    )

    assert done.returncode == 0, done.stderr[-4000:]
    assert json.loads(done.stdout)["tests"] > 0


def test_verify_fails_with_the_failing_test_named(tmp_path: Path) -> None:
    out = tmp_path / "broken"
    assert (
        archgen("new", "--blueprint", BLUEPRINTS[0], "--out", str(out), "--no-verify").returncode
        == 0
    )
    (out / "tests" / "core" / "test_broken.py").write_text(
        "def test_this_one_fails() -> None:\n    assert sum([1]) == 2\n"
    )

    done = archgen("verify", str(out), "--json")

    assert done.returncode == 1
    assert "test_this_one_fails" in done.stderr
    assert json.loads(done.stdout)["failures"]


def test_verify_fails_on_lint_findings(tmp_path: Path) -> None:
    out = tmp_path / "unlinted"
    assert (
        archgen("new", "--blueprint", BLUEPRINTS[0], "--out", str(out), "--no-verify").returncode
        == 0
    )
    (out / "app" / "unused.py").write_text("import os\n")

    done = archgen("verify", str(out))

    assert done.returncode == 1
    assert "ruff check failed" in done.stderr


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_a_product_without_billing_passes_its_billing_tests(framework: str, tmp_path: Path) -> None:
    # No blueprint sells without Stripe, so `billing.mode: none` gets its own run: the
    # billing tests of such a product check its endpoints answer 404 billing_not_enabled
    # and its commands need no Stripe setting.
    text = (blueprints_dir() / "ai-saas.yaml").read_text(encoding="utf-8")
    start = text.index("\nbilling:\n")
    end = text.index("\n\n", start + 1)
    spec = tmp_path / "free.yaml"
    spec.write_text(text[:start] + "\nbilling:\n  mode: none\n" + text[end:], encoding="utf-8")
    out = tmp_path / "free"
    rendered = archgen(
        "new", "--spec", str(spec), "--framework", framework, "--out", str(out), "--no-verify"
    )
    assert rendered.returncode == 0, rendered.stderr[-4000:]

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-p",
            "no:cacheprovider",
            "tests/contract/test_billing.py",
            "tests/core/billing",
        ],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )

    assert done.returncode == 0, done.stdout[-4000:]
    # The mode's own tests ran (they are skipped in products that bill through Stripe).
    assert "test_without_billing_the_endpoints_say_so PASSED" in done.stdout, done.stdout[-4000:]
