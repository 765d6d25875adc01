"""What one API operation looks like in the route table (``routes.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

CLIENT_ERRORS = ("4XX",)
ALL_ERRORS = ("4XX", "5XX")


@dataclass(frozen=True, slots=True)
class Param:
    """A query or path parameter."""

    name: str
    annotation: Any  # its Python type, e.g. ``str | None``
    where: str = "query"  # "query", "path" or "header"
    description: str | None = None

    @property
    def required(self) -> bool:
        # Path parameters always are; the API's query parameters are all optional.
        return self.where == "path"


@dataclass(frozen=True, slots=True)
class Route:
    """One operation: what it reads, what it answers, and its error responses."""

    method: str  # lowercase: "get", "post", "delete"
    path: str  # OpenAPI form: "/v1/keys/{key_id}"
    name: str  # the handler's function name
    tag: str
    description: str = ""
    body: type[BaseModel] | None = None  # the JSON request body
    response: type[BaseModel] | None = None  # the success body; None: any JSON
    status: int = 200
    success: str = "Successful Response"  # the success response's description
    streams: bool = False  # the success response may also be text/event-stream
    params: tuple[Param, ...] = ()
    errors: tuple[str, ...] = CLIENT_ERRORS  # statuses answered with ErrorBody
    # A request body that is not JSON (an upload), as its OpenAPI ``requestBody``.
    raw_body: dict[str, Any] | None = None
    # The success answer has no JSON body (204, or text such as /metrics).
    empty: bool = False
