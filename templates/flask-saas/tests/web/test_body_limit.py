"""Flask only: the body cap reads in bounded pieces, so a huge chunked body is refused
without being buffered (werkzeug's MAX_CONTENT_LENGTH would truncate it silently)."""

from __future__ import annotations

import pytest

from app.services.api.errors import ApiError
from app.services.api.requests import BodyLimit
from app.web import BodyDeadline, LimitedInput


class Endless:
    """A request body that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "unbounded read"
        self.read_bytes += size
        return b"x" * size


def test_reading_everything_stops_at_the_cap() -> None:
    endless = Endless()
    stream = LimitedInput(endless, BodyLimit(100_000), BodyDeadline({}, 60), None)
    with pytest.raises(ApiError) as raised:
        stream.read()
    assert raised.value.status == 413
    assert endless.read_bytes <= 100_000 + 64 * 1024
