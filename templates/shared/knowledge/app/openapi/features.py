"""Routes of this project's optional features: knowledge (documents to answer from)."""

from __future__ import annotations

from app.openapi.route import ALL_ERRORS, Param, Route
from app.schemas.knowledge import Document, DocumentList

COLLECTION = Param("collection", str, "path")
# The upload is multipart, read by the handler (both apps refuse a missing file alike).
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}

FEATURE_ROUTES: tuple[Route, ...] = (
    Route(
        "post",
        "/v1/knowledge/{collection}/documents",
        "upload_document",
        "knowledge",
        "Index one document (PDF, Markdown, HTML or text, as the collection accepts).",
        response=Document,
        status=201,
        params=(COLLECTION,),
        errors=ALL_ERRORS,
        raw_body=UPLOAD_BODY,
    ),
    Route(
        "get",
        "/v1/knowledge/{collection}/documents",
        "list_documents",
        "knowledge",
        "The collection's documents in the caller's workspace, newest first, and its usage.",
        response=DocumentList,
        params=(COLLECTION,),
        errors=ALL_ERRORS,
    ),
    Route(
        "delete",
        "/v1/knowledge/{collection}/documents/{document_id}",
        "delete_document",
        "knowledge",
        "Delete a document; answers stop citing it at once (cached ones too).",
        status=204,
        params=(COLLECTION, Param("document_id", str, "path")),
        errors=ALL_ERRORS,
        empty=True,
    ),
)
