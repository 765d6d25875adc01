"""What one outbox row is worth on the Stripe meter, in the spec's meter unit.

Values are whole numbers (safe on every Stripe API version): answers delivered,
thousands of tokens rounded up per call, or micro-dollars of settled cost (the
markup is in the price, so the meter and the ledger count the same micro-dollars).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from app.core.catalog import METER

# Stripe accepts meter events from the past 35 days only; we stop a little earlier.
WINDOW_DAYS = 35


def meter_value(payload: dict[str, Any], tokens: int | None) -> int:
    """The meter value of an outbox row's ``payload`` (``tokens``: the call's total)."""
    if METER.unit == "workflow_unit":
        return int(payload.get("units") or 0)
    if METER.unit == "kilo_tokens":
        return math.ceil((tokens or 0) / 1000)
    return int(payload.get("settled_micros") or 0)


def identifier(row_id: uuid.UUID) -> str:
    """The meter event identifier of the outbox row ``row_id``: Stripe dedups by it."""
    return f"usage_{row_id.hex}"
