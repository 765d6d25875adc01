"""Exact money: integer micro-USD in storage and arithmetic, Decimal USD at the edges."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

MICROS_PER_USD = 1_000_000
_MICRO = Decimal("0.000001")


def to_micros(usd: Decimal) -> int:
    """USD as micro-USD, rounded up: a charge is never under-counted."""
    return int((usd / _MICRO).to_integral_value(rounding=ROUND_CEILING))


def to_micros_or_none(usd: Decimal | None) -> int | None:
    """``to_micros``, keeping "unknown" (None) distinct from zero."""
    return None if usd is None else to_micros(usd)


def to_usd(micros: int) -> Decimal:
    """Micro-USD as exact Decimal USD."""
    return Decimal(micros) * _MICRO


def usd_text(micros: int) -> str:
    """Micro-USD as a plain decimal string ("0.5", "12.345678"), for JSON and headers."""
    value = to_usd(micros).normalize()
    return f"{value:f}"
