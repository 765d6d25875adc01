"""The overhead benchmark keeps working (a few calls; the numbers are not judged here)."""

from __future__ import annotations

import pytest

from benchmarks.usage_overhead import main


def test_the_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    reports = main(["--calls", "5", "--seconds", "5"])

    assert reports[0].backend == "sqlite"
    assert all(r.metered.calls == 5 and r.bare.calls == 5 for r in reports)
    assert "overhead median" in capsys.readouterr().out
