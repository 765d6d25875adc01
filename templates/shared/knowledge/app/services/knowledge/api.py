"""The knowledge endpoints, and retrieval before the model for workflows with a collection.

``KnowledgeApi`` sits before ``ChatApi`` and ``CompletionsApi`` in ``ApiService``
(``app/services/api/features.py``): for a workflow that names a collection it
retrieves the relevant passages, adds them to the request as a system message and
answers with ``sources``; every other workflow goes through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.core.catalog_types import WorkflowInfo
from app.models.knowledge import KnowledgeDocument
from app.schemas.chat import ChatBody, ChatMessage, ChatResponse
from app.schemas.knowledge import (
    Document,
    DocumentList,
    KnowledgeUsage,
)
from app.schemas.openai import (
    ChatCompletion,
    ChatCompletionRequest,
    CompletionMessage,
)
from app.services.api.auth import Caller
from app.services.api.calls import WORKFLOW_HEADER, OpenedStream, workflow_named
from app.services.api.chat import ChatApi
from app.services.api.completions import CompletionsApi
from app.services.knowledge import catalog
from app.services.knowledge.grounding import (
    Grounding,
    ground,
)
from app.services.knowledge.store import KnowledgeStore
from app.services.llm.pricing import (
    MESSAGE_OVERHEAD_TOKENS,
    REQUEST_OVERHEAD_TOKENS,
    estimate_tokens,
)


def document_out(document: KnowledgeDocument) -> Document:
    """The API's view of a stored document."""
    return Document(
        id=str(document.id),
        collection=document.collection,
        title=document.title,
        format=document.format,
        status=document.status,
        pages=document.pages,
        chunks=document.chunks,
        bytes=document.size_bytes,
        created_at=document.created_at,
    )


class KnowledgeApi(ChatApi, CompletionsApi):
    """Documents per workspace and collection, and grounded answers with sources."""

    @property
    def knowledge(self) -> KnowledgeStore:
        """The knowledge store over this runtime's tenant-scoped database."""
        return KnowledgeStore(self.runtime.db)

    # -- /v1/knowledge/{collection}/documents --------------------------------------------

    async def upload_document(
        self,
        caller: Caller,
        collection: str,
        data: bytes,
        *,
        filename: str | None,
        content_type: str | None,
    ) -> Document:
        """Index one uploaded file into the caller's workspace (any role may upload)."""
        document = await self.knowledge.add(
            caller.workspace_id,
            caller.tier,
            collection,
            data,
            filename=filename,
            content_type=content_type,
        )
        return document_out(document)

    async def list_documents(self, caller: Caller, collection: str) -> DocumentList:
        """The collection's documents in the caller's workspace, and what they use."""
        documents = await self.knowledge.documents(caller.workspace_id, collection)
        used = await self.knowledge.usage(caller.workspace_id)
        limits = catalog.limits_for(caller.tier)
        return DocumentList(
            data=[document_out(d) for d in documents],
            usage=KnowledgeUsage(
                documents=used.documents,
                bytes=used.bytes,
                max_documents=limits.documents,
                max_bytes=limits.total_bytes,
                max_pages_per_file=limits.pages_per_file,
            ),
        )

    async def delete_document(self, caller: Caller, collection: str, document_id: str) -> None:
        """Delete a document of the caller's workspace; it stops answering at once."""
        await self.knowledge.delete(caller.workspace_id, collection, document_id)

    # -- POST /v1/chat -------------------------------------------------------------------

    async def chat(
        self, caller: Caller, body: ChatBody, headers: Mapping[str, str], cache: str | None = None
    ) -> ChatResponse:
        """A workflow run; grounded in its collection's passages when it has one."""
        workflow = workflow_named(body.workflow)
        collection = catalog.WORKFLOW_COLLECTIONS.get(workflow.name)
        if collection is None:
            return await super().chat(caller, body, headers, cache)
        self._prepare_chat(caller, body, headers, cache)  # bad requests fail before retrieval
        texts = [m.content for m in body.messages or []] + ([body.input] if body.input else [])
        grounding = await self._grounding(
            caller, workflow, collection, texts, body.max_output_tokens
        )
        messages = [ChatMessage(role="system", content=grounding.message), *(body.messages or [])]
        grounded = body.model_copy(update={"messages": messages})
        response = await super().chat(caller, grounded, headers, cache)
        return ChatResponse.model_validate(
            {**response.model_dump(), "sources": _sources(grounding)}
        )

    async def open_chat_stream(
        self, caller: Caller, body: ChatBody, headers: Mapping[str, str], cache: str | None = None
    ) -> OpenedStream:
        """A streamed run, grounded like ``chat`` (the passages go to the model; the
        stream's events are the usual ones, without ``sources``)."""
        workflow = workflow_named(body.workflow)
        collection = catalog.WORKFLOW_COLLECTIONS.get(workflow.name)
        if collection is not None:
            self._prepare_chat(caller, body, headers, cache)  # bad requests fail first
            texts = [m.content for m in body.messages or []] + ([body.input] if body.input else [])
            grounding = await self._grounding(
                caller, workflow, collection, texts, body.max_output_tokens
            )
            system = ChatMessage(role="system", content=grounding.message)
            body = body.model_copy(update={"messages": [system, *(body.messages or [])]})
        return await super().open_chat_stream(caller, body, headers, cache)

    # -- POST /v1/chat/completions -------------------------------------------------------

    async def completion(
        self,
        caller: Caller,
        body: ChatCompletionRequest,
        headers: Mapping[str, str],
        cache: str | None = None,
    ) -> ChatCompletion:
        """An OpenAI-compatible completion; grounded, with ``sources``, for a workflow
        with a collection."""
        workflow = self._completion_workflow(body, headers)
        collection = catalog.WORKFLOW_COLLECTIONS.get(workflow.name)
        if collection is None:
            return await super().completion(caller, body, headers, cache)
        # Bad requests fail before retrieval, naming the fields as the client sent them.
        self._prepare_completion(caller, body, headers, cache)
        texts = [m.text() for m in body.messages]
        wanted = body.max_completion_tokens or body.max_tokens
        grounding = await self._grounding(caller, workflow, collection, texts, wanted)
        system = CompletionMessage(role="system", content=grounding.message)
        grounded = body.model_copy(update={"messages": [system, *body.messages]})
        response = await super().completion(caller, grounded, headers, cache)
        return ChatCompletion.model_validate(
            {**response.model_dump(), "sources": _sources(grounding)}
        )

    async def open_completion_stream(
        self,
        caller: Caller,
        body: ChatCompletionRequest,
        headers: Mapping[str, str],
        cache: str | None = None,
    ) -> OpenedStream:
        """A streamed completion, grounded like ``completion`` (chunks carry no sources)."""
        workflow = self._completion_workflow(body, headers)
        collection = catalog.WORKFLOW_COLLECTIONS.get(workflow.name)
        if collection is not None:
            self._prepare_completion(caller, body, headers, cache)  # bad requests fail first
            wanted = body.max_completion_tokens or body.max_tokens
            texts = [m.text() for m in body.messages]
            grounding = await self._grounding(caller, workflow, collection, texts, wanted)
            system = CompletionMessage(role="system", content=grounding.message)
            body = body.model_copy(update={"messages": [system, *body.messages]})
        return await super().open_completion_stream(caller, body, headers, cache)

    # -- steps ---------------------------------------------------------------------------

    @staticmethod
    def _completion_workflow(
        body: ChatCompletionRequest, headers: Mapping[str, str]
    ) -> WorkflowInfo:
        lowered = {name.lower(): value for name, value in headers.items()}
        return workflow_named(lowered.get(WORKFLOW_HEADER) or (body.metadata or {}).get("workflow"))

    async def _grounding(
        self,
        caller: Caller,
        workflow: WorkflowInfo,
        collection: str,
        texts: Sequence[str],
        max_output_tokens: int | None,
    ) -> Grounding:
        """The passages relevant to the last message, as many as the context limit allows."""
        question = texts[-1] if texts else ""
        retrieved = await self.knowledge.retrieve(caller.workspace_id, collection, question)
        prompt = self._prompt(caller, workflow)
        output = min(max_output_tokens or workflow.max_output_tokens, workflow.max_output_tokens)
        taken = REQUEST_OVERHEAD_TOKENS + estimate_tokens(prompt.body) + MESSAGE_OVERHEAD_TOKENS
        taken += sum(estimate_tokens(t) + MESSAGE_OVERHEAD_TOKENS for t in texts)
        return ground(retrieved, workflow.max_context_tokens - output - taken)


def _sources(grounding: Grounding) -> list[dict[str, Any]]:
    # An extra field of the response (ChatResponse and ChatCompletion allow extras).
    return [source.model_dump() for source in grounding.sources]
