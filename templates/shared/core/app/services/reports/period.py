"""The reporting period: one UTC calendar month, written ``YYYY-MM``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_PATTERN = re.compile(r"(\d{4})-(\d{2})")


class PeriodError(ValueError):
    """A period that is not a month written ``YYYY-MM``."""


@dataclass(frozen=True, slots=True)
class Period:
    """A UTC month: ``since`` (inclusive) to ``until`` (exclusive)."""

    year: int
    month: int

    @property
    def label(self) -> str:
        """The month as ``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def since(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        if self.month == 12:
            return datetime(self.year + 1, 1, 1, tzinfo=UTC)
        return datetime(self.year, self.month + 1, 1, tzinfo=UTC)

    @classmethod
    def current(cls, now: datetime | None = None) -> Period:
        """The month ``now`` (default: the present) falls in, in UTC."""
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        return cls(moment.year, moment.month)

    @classmethod
    def parse(cls, text: str | None) -> Period:
        """``YYYY-MM`` as a period; the current month when ``text`` is empty or None."""
        if text is None or not text.strip():
            return cls.current()
        match = _PATTERN.fullmatch(text.strip())
        year, month = (int(match[1]), int(match[2])) if match else (0, 0)
        if not 1 <= month <= 12 or not 1970 <= year <= 9998:
            raise PeriodError("The period must be a month written YYYY-MM, e.g. 2026-11.")
        return cls(year, month)
