"""The whole-request benchmark keeps working (a few requests; its numbers are not judged)."""

from __future__ import annotations

import pytest

from benchmarks.request_overhead import main


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_every_benchmarked_request_succeeds_and_is_one_ledger_row(
    stream: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    result = main(["--requests", "5", "--warmup", "2", *(["--stream"] if stream else [])])

    assert result.failures == 0
    assert result.ledger_rows == result.requests == 5
    assert "ms/request" in capsys.readouterr().out
