"""``/v1/knowledge/{collection}/documents``: upload (multipart field ``file``), list, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from app.deps import ApiDep, CallerDep
from app.openapi.features import UPLOAD_BODY
from app.schemas.errors import ErrorBody
from app.schemas.knowledge import Document, DocumentList
from app.services.knowledge.errors import missing_file

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody},
    "5XX": {"model": ErrorBody},
}


@router.post(
    "/{collection}/documents",
    status_code=201,
    response_model=Document,
    responses=_ERRORS,
    # The form is read in the handler (both apps refuse a missing file alike); the
    # route table describes it.
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload_document(
    collection: str, caller: CallerDep, request: Request, api: ApiDep
) -> Document:
    """Index one document (PDF, Markdown, HTML or text, as the collection accepts)."""
    form = await request.form()
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise missing_file()
        data = await upload.read()
        return await api.upload_document(
            caller,
            collection,
            data,
            filename=upload.filename,
            content_type=upload.content_type,
        )
    finally:
        await form.close()


@router.get("/{collection}/documents", response_model=DocumentList, responses=_ERRORS)
async def list_documents(collection: str, caller: CallerDep, api: ApiDep) -> DocumentList:
    """The collection's documents in the caller's workspace, newest first, and its usage."""
    return await api.list_documents(caller, collection)


@router.delete(
    "/{collection}/documents/{document_id}",
    status_code=204,
    response_class=Response,
    responses=_ERRORS,
)
async def delete_document(
    collection: str, document_id: str, caller: CallerDep, api: ApiDep
) -> Response:
    """Delete a document; answers stop citing it at once (cached ones too)."""
    await api.delete_document(caller, collection, document_id)
    return Response(status_code=204)
