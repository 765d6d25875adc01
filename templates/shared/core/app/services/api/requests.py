"""Reading request bodies the same way in both frameworks: size, content type, JSON, fields.

Neither Flask nor Starlette caps request bodies by default, and a chunked body
has no Content-Length to check up front, so each web layer counts the bytes as
they arrive (``BodyLimit``) and stops reading at the cap.

Order of checks, identical in both apps: body size (413), JSON syntax when the
body is declared as JSON (400), the API key (401/403), the content type (415),
then the fields (422). FastAPI parses a JSON body before any dependency runs;
the Flask app follows the same order so the two answer alike.
"""

from __future__ import annotations

import json
from email.message import Message
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.services.api.errors import (
    ApiError,
    bad_request,
    body_too_large,
    invalid_fields,
    malformed_json,
    unsupported_media_type,
)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# After a 413, up to this much more of the body is read and dropped before answering:
# closing a connection with unread bytes resets it, and the client would lose the 413.
DRAIN_BYTES = 1024 * 1024

ModelT = TypeVar("ModelT", bound=BaseModel)


class BodyLimit:
    """Counts a request body's bytes as they arrive; raises 413 past ``max_bytes``."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False

    def check_declared(self, content_length: str | None) -> None:
        """Refuse early when the declared Content-Length is already over the cap."""
        if content_length is None:
            return
        try:
            declared = int(content_length)
        except ValueError:
            raise bad_request("bad_content_length", "Content-Length is not a number.") from None
        if declared > self.max_bytes:
            self.exceeded = True
            raise body_too_large(self.max_bytes)

    def feed(self, size: int) -> None:
        """Count ``size`` more bytes; raise 413 once the total passes the cap."""
        self.received += size
        if self.received > self.max_bytes:
            self.exceeded = True
            raise body_too_large(self.max_bytes)


def is_json(content_type: str | None) -> bool:
    """``application/json`` or any ``application/*+json``, parameters ignored."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def require_json(content_type: str | None) -> None:
    """415 unless the body is declared as JSON."""
    if not is_json(content_type):
        raise unsupported_media_type(content_type)


def decode_json(raw: bytes) -> Any:
    """The JSON document in ``raw``; 400 when it is not valid JSON (or not UTF-8)."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise malformed_json() from None


def validate(model: type[ModelT], data: Any) -> ModelT:
    """``data`` as ``model``; 422 naming every invalid field."""
    try:
        # from_attributes: the error FastAPI reports for a body that is not an object.
        return model.model_validate(data, from_attributes=True)
    except ValidationError as exc:
        raise invalid_fields(exc.errors(include_url=False)) from None


def missing_body() -> ApiError:
    """422 for a request that needs a body and has none (FastAPI's wording)."""
    return invalid_fields([{"loc": ("body",), "msg": "Field required", "type": "missing"}])


def parse_body(model: type[ModelT], raw: bytes, content_type: str | None) -> ModelT:
    """The whole body check after authentication: content type, JSON, fields."""
    require_json(content_type)
    return validate(model, decode_json(raw))
