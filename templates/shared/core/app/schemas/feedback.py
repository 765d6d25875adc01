"""``POST /v1/usage/{event_id}/feedback``: whether a call's answer was usable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class FeedbackBody(BaseModel):
    """Whether the user got value from the answer (feeds cost per usable outcome)."""

    model_config = ConfigDict(extra="ignore")

    usable: StrictBool = Field(description="true: the answer served its purpose.")


class FeedbackResult(BaseModel):
    """The call's recorded feedback."""

    event_id: str
    usable: bool
