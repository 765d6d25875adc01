"""Why a document is refused, each with its HTTP answer (``app.services.api.errors``)."""

from __future__ import annotations

from app.services.api.errors import ApiError, invalid_fields


def unsupported_format(collection: str, found: str | None, accepted: tuple[str, ...]) -> ApiError:
    """415: the file is not one of the formats the collection accepts."""
    what = f"a {found} file" if found else "a file of unknown format"
    return ApiError(
        415,
        "unsupported_document_format",
        f"Collection {collection!r} accepts {', '.join(accepted)}; this is {what}.",
        details={"accepted": list(accepted)},
    )


def unreadable_document(reason: str) -> ApiError:
    """422: the file cannot be read (corrupt, encrypted, no text)."""
    return ApiError(422, "unreadable_document", reason)


def document_too_large(what: str, limit: int, tier: str) -> ApiError:
    """413: this one file is more than the tier allows for any single file."""
    return ApiError(
        413,
        "document_too_large",
        f"The file has more {what} than your plan ({tier}) allows for one file ({limit}).",
        details={"limit": limit, "what": what},
    )


def knowledge_quota_exceeded(what: str, used: int, adding: int, limit: int, tier: str) -> ApiError:
    """402: the file fits on its own, but not with what the workspace already stores."""
    return ApiError(
        402,
        "knowledge_quota_exceeded",
        f"Your plan ({tier}) stores up to {limit} {what}; the workspace has {used}, and this "
        f"file adds {adding}. Delete documents or upgrade your plan.",
        details={"what": what, "used": used, "adding": adding, "limit": limit},
    )


def missing_file() -> ApiError:
    """422: the upload has no ``file`` field (it must be multipart/form-data)."""
    return invalid_fields(
        [
            {
                "loc": ("file",),
                "msg": "Field required: send the document as the multipart/form-data field 'file'",
                "type": "missing",
            }
        ]
    )
