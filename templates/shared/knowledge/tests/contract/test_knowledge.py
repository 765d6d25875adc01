"""Knowledge over HTTP, the same for both apps: upload, list, delete; answers that
cite the right page; no guessing without sources; limits; isolation; the cache."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.core.catalog import EXACT_CACHE_ENABLED, WORKFLOWS
from app.services.knowledge import catalog
from app.services.knowledge.grounding import NO_SOURCES_INSTRUCTION
from tests.contract.helpers import assert_error
from tests.contract.world import Contract, pinned_model
from tests.documents import corrupt_pdf, encrypted_pdf, pdf

WORKFLOW, COLLECTION = next(iter(catalog.WORKFLOW_COLLECTIONS.items()))
ACCEPTS_PDF = "pdf" in catalog.COLLECTIONS[COLLECTION]
DOCUMENTS = f"/v1/knowledge/{COLLECTION}/documents"


def _word() -> str:
    """A word no other test's documents contain."""
    return "zq" + uuid.uuid4().hex[:10]


def _pages(word: str) -> tuple[str, ...]:
    return (
        f"The {word} warranty lasts two years from the purchase date.",
        f"Descale the {word} boiler every three months with citric acid.",
        f"Clean the {word} frother nozzle with warm water after each use.",
    )


def _document(pages: tuple[str, ...]) -> tuple[str, bytes, str]:
    """The pages as the richest format the collection accepts (PDF when it may)."""
    if ACCEPTS_PDF:
        return "manual.pdf", pdf(*pages), "application/pdf"
    return "manual.txt", " ".join(pages).encode(), "text/plain"


def _upload(
    client: httpx.Client, headers: dict[str, str], name: str, data: bytes, media: str
) -> httpx.Response:
    return client.post(DOCUMENTS, files={"file": (name, data, media)}, headers=headers)


def _ask(client: httpx.Client, headers: dict[str, str], question: str) -> dict[str, Any]:
    body = {
        "workflow": WORKFLOW,
        "model": pinned_model(WORKFLOW),
        "messages": [{"role": "user", "content": question}],
    }
    response = client.post("/v1/chat", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_an_uploaded_document_answers_and_cites_its_page(
    contract: Contract, client: httpx.Client
) -> None:
    headers = contract.key("owner").headers()
    word = _word()
    response = _upload(client, headers, *_document(_pages(word)))
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["status"] == "ready" and document["collection"] == COLLECTION
    assert document["pages"] == (3 if ACCEPTS_PDF else 1)

    listed = client.get(DOCUMENTS, headers=headers)
    assert listed.status_code == 200, listed.text
    assert document["id"] in [d["id"] for d in listed.json()["data"]]
    assert listed.json()["usage"]["documents"] >= 1

    answer = _ask(client, headers, f"How often should the {word} boiler be descaled?")
    [first, *_] = answer["sources"]
    assert first["document_id"] == document["id"]
    assert first["page"] == (2 if ACCEPTS_PDF else 1)
    assert "citric acid" in first["snippet"]
    assert first["title"] == document["title"]
    assert answer["usage"]["units"] == 1
    # The passage went to the model with the question.
    [fake, *_] = contract.upstream_calls(pinned_model(WORKFLOW))
    assert any("citric acid" in str(seen.body) and word in str(seen.body) for seen in fake.seen)


def test_completions_carry_the_sources_as_an_extra_field(
    contract: Contract, client: httpx.Client
) -> None:
    headers = contract.key("owner").headers()
    word = _word()
    assert _upload(client, headers, *_document(_pages(word))).status_code == 201
    body = {
        "model": pinned_model(WORKFLOW),
        "messages": [{"role": "user", "content": f"How long does the {word} warranty last?"}],
    }
    response = client.post(
        "/v1/chat/completions", json=body, headers={**headers, "X-Workflow": WORKFLOW}
    )
    assert response.status_code == 200, response.text
    completion = response.json()
    assert completion["object"] == "chat.completion"
    assert completion["sources"][0]["page"] == 1
    assert "two years" in completion["sources"][0]["snippet"]


def _told_no_sources(contract: Contract, word: str) -> bool:
    """Whether the model was asked about ``word`` and told it has no sources."""
    [fake, *_] = contract.upstream_calls(pinned_model(WORKFLOW))
    return any(
        word in str(seen.body) and NO_SOURCES_INSTRUCTION in str(seen.body) for seen in fake.seen
    )


def test_without_a_relevant_passage_the_model_is_told_to_say_so(
    contract: Contract, client: httpx.Client
) -> None:
    headers = contract.key("member").headers()
    word = _word()
    answer = _ask(client, headers, f"What does {word} mean for {_word()}?")
    assert answer["sources"] == []
    assert _told_no_sources(contract, word)
    assert answer["usage"]["units"] == 1  # metered like every call


def test_another_workspace_never_retrieves_lists_or_deletes_it(
    contract: Contract, client: httpx.Client
) -> None:
    owner, other = contract.key("owner").headers(), contract.key("other").headers()
    word = _word()
    document = _upload(client, owner, *_document(_pages(word))).json()

    answer = _ask(client, other, f"How long does the {word} warranty last?")
    assert answer["sources"] == [] and _told_no_sources(contract, word)
    [fake, *_] = contract.upstream_calls(pinned_model(WORKFLOW))
    assert not any("two years" in str(seen.body) for seen in fake.seen[-1:])
    listed = client.get(DOCUMENTS, headers=other).json()["data"]
    assert document["id"] not in [d["id"] for d in listed]
    response = client.delete(f"{DOCUMENTS}/{document['id']}", headers=other)
    assert_error(response, 404, "unknown_document")
    assert _ask(client, owner, f"How long does the {word} warranty last?")["sources"]


def test_a_deleted_document_stops_answering_even_from_the_cache(
    contract: Contract, client: httpx.Client
) -> None:
    headers = contract.key("stream").headers()
    word = _word()
    upload = _document(_pages(word))
    document = _upload(client, headers, *upload).json()
    question = f"How should the {word} frother nozzle be cleaned?"
    first = _ask(client, headers, question)
    assert first["sources"] and not first["cached"]
    cacheable = EXACT_CACHE_ENABLED and WORKFLOWS[WORKFLOW].cache
    assert _ask(client, headers, question)["cached"] is cacheable

    response = client.delete(f"{DOCUMENTS}/{document['id']}", headers=headers)
    assert response.status_code == 204, response.text
    gone = _ask(client, headers, question)
    assert gone["sources"] == [] and gone["cached"] is False
    assert document["id"] not in [
        d["id"] for d in client.get(DOCUMENTS, headers=headers).json()["data"]
    ]

    # The same file again is a new version of the collection: no old cached answer.
    again = _upload(client, headers, *upload).json()
    answer = _ask(client, headers, question)
    assert answer["sources"][0]["document_id"] == again["id"]
    assert answer["cached"] is False


def test_limits_answer_413_for_one_file_and_402_for_the_workspace(
    contract: Contract, client: httpx.Client
) -> None:
    key = contract.key("small")
    headers = key.headers()
    limits = catalog.limits_for(key.tier)
    if ACCEPTS_PDF:
        long_pdf = pdf(*[f"page {n}" for n in range(limits.pages_per_file + 1)])
        response = _upload(client, headers, "long.pdf", long_pdf, "application/pdf")
        assert_error(response, 413, "document_too_large")
    stored = client.get(DOCUMENTS, headers=headers).json()["usage"]["documents"]
    for n in range(limits.documents - stored):
        response = _upload(client, headers, f"n{n}.txt", f"note {n}".encode(), "text/plain")
        assert response.status_code in (201, 415), response.text
        if response.status_code == 415:  # the collection takes no plain text: PDFs then
            response = _upload(client, headers, f"n{n}.pdf", pdf(f"note {n}"), "application/pdf")
            assert response.status_code == 201, response.text
    extra = _document(("one too many",))
    error = assert_error(_upload(client, headers, *extra), 402, "knowledge_quota_exceeded")
    assert error["details"]["limit"] == limits.documents


def test_bad_uploads_get_the_right_4xx(contract: Contract, client: httpx.Client) -> None:
    headers = contract.key("member").headers()
    response = _upload(client, headers, "photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
    assert_error(response, 415, "unsupported_document_format")
    if ACCEPTS_PDF:
        for data in (corrupt_pdf(), encrypted_pdf("secret text")):
            response = _upload(client, headers, "bad.pdf", data, "application/pdf")
            assert_error(response, 422, "unreadable_document")
    response = client.post(DOCUMENTS, data={"not_file": "x"}, headers=headers)
    assert_error(response, 422, "invalid_fields")
    unknown = client.get("/v1/knowledge/no_such_collection/documents", headers=headers)
    assert_error(unknown, 404, "unknown_collection")
    assert_error(client.delete(f"{DOCUMENTS}/not-an-id", headers=headers), 404, "unknown_document")
    assert_error(client.get(DOCUMENTS), 401)


def test_an_upload_over_the_body_cap_is_413(contract: Contract, client: httpx.Client) -> None:
    headers = contract.key("member").headers()
    big = b"a " * (contract.max_body_bytes // 2 + 10)
    response = _upload(client, headers, "big.txt", big, "text/plain")
    assert_error(response, 413, "body_too_large")
