"""Prometheus multi-process mode under the image's own command with two workers:
with ``PROMETHEUS_MULTIPROC_DIR`` set, one scrape counts the requests of every worker."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from app.core import migrate
from app.core.flavour import run
from tests.contract.test_entrypoint import clean_env, free_port
from tests.contract.test_observability import _create_operator, sample
from tests.contract.test_shutdown import _wait_until_up, server_command
from tests.deploy.commands import with_options

REQUESTS = 24


def test_one_scrape_sums_every_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate.upgrade(url)
    operator = run(lambda: _create_operator(url))
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    port = free_port()
    command = with_options(server_command(port), workers="2")
    env = {**clean_env(url), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    server = subprocess.Popen(command, cwd=tmp_path, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, base)
        for _ in range(REQUESTS):
            # A new connection each time, so both workers get some.
            response = httpx.get(f"{base}/readyz", timeout=10)
            assert response.status_code == 200, response.text
        scraped = httpx.get(f"{base}/metrics", headers=operator.headers(), timeout=10)
        assert scraped.status_code == 200, scraped.text
    finally:
        server.terminate()
        server.wait(timeout=30)
    route = {"route": "/readyz", "method": "GET", "status": "200"}
    assert sample(scraped.text, "app_http_requests_total", **route) == REQUESTS
    assert any(metrics_dir.iterdir()), "no process wrote its samples to the directory"
