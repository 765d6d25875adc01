"""The one error shape every failure answers with, in both frameworks.

``{"error": {"type", "code", "message", "status", ...}}``: the ``error`` object is
what OpenAI-compatible clients read, so the official SDKs raise a typed exception
with our message. ``code`` is the stable value clients switch on.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class FieldProblem(BaseModel):
    """One invalid field of a 422 answer."""

    field: str = Field(description="Dotted path of the field, e.g. messages.0.role.")
    message: str
    type: str = Field(description="The validation error's kind, e.g. missing, string_type.")


class AttemptSummary(BaseModel):
    """One provider call of a failed request: what happened, never keys or payloads."""

    provider: str
    model: str
    outcome: str
    status: int | None = None


class ErrorDetail(BaseModel):
    """What went wrong: the ``error`` member of every error body."""

    type: str = Field(description="The class of error, e.g. invalid_request_error.")
    code: str = Field(description="Stable machine-readable reason, e.g. cap_exceeded.")
    message: str = Field(description="What happened and what to do, for humans.")
    status: int = Field(description="The HTTP status, repeated for clients that lose it.")
    param: str | None = Field(default=None, description="The request field concerned.")
    fields: list[FieldProblem] | None = Field(
        default=None, description="Every invalid field (422 only)."
    )
    attempts: list[AttemptSummary] | None = Field(
        default=None, description="Provider calls made before giving up (502/503 only)."
    )
    details: dict[str, Any] | None = Field(
        default=None, description="Extra facts: limits, reset times, retry delays."
    )


class ErrorBody(BaseModel):
    """The JSON body of every error response."""

    error: ErrorDetail
