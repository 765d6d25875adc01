"""``/v1/knowledge/<collection>/documents``: upload (multipart field ``file``), list, delete."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.services.knowledge.errors import missing_file
from app.web import api, authenticated, json_response

knowledge_bp = Blueprint("knowledge", __name__, url_prefix="/v1/knowledge")


@knowledge_bp.post("/<collection>/documents")
def upload_document(collection: str) -> Response:
    """Index one document (PDF, Markdown, HTML or text, as the collection accepts)."""
    caller = authenticated()
    # Parsing reads the body through the app's cap: past it, a 413 like every body.
    upload = request.files.get("file")
    if upload is None:
        raise missing_file()
    data = upload.read()
    document = api().upload_document(
        caller, collection, data, filename=upload.filename, content_type=upload.mimetype
    )
    return json_response(document, status=201)


@knowledge_bp.get("/<collection>/documents")
def list_documents(collection: str) -> Response:
    """The collection's documents in the caller's workspace, newest first, and its usage."""
    return json_response(api().list_documents(authenticated(), collection))


@knowledge_bp.delete("/<collection>/documents/<document_id>")
def delete_document(collection: str, document_id: str) -> Response:
    """Delete a document; answers stop citing it at once (cached ones too)."""
    api().delete_document(authenticated(), collection, document_id)
    return Response(status=204)
