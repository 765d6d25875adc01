"""The knowledge section: validated and located like every field (issue 17)."""

from __future__ import annotations

from spec_helpers import BASE, SOURCE, at, edit, line_of, problems_of

from archgen.spec import parse_spec
from archgen.spec.schema import spec_json_schema

KNOWLEDGE = """\
knowledge:
  collections:
    - name: docs
      formats: [pdf, markdown]
    - name: help_center
  limits:
    free: {documents: 5, total_bytes: 1000000, pages_per_file: 20}
  chunking: {size: 800, overlap: 100}
  retrieval: {top_k: 4, min_score: 0.5}
"""
WITH = BASE + KNOWLEDGE


def with_collection(name: str, text: str = WITH) -> str:
    return edit("    prompt: chat\n", f"    prompt: chat\n    collection: {name}\n", text)


def test_a_knowledge_section_and_a_workflow_collection_are_accepted() -> None:
    spec = parse_spec(with_collection("docs"), SOURCE)
    assert spec.knowledge is not None
    assert [c.name for c in spec.knowledge.collections] == ["docs", "help_center"]
    assert [f.value for f in spec.knowledge.collections[1].formats] == [
        "pdf",
        "markdown",
        "html",
        "text",
    ]
    assert spec.knowledge.limits_for("free").documents == 5
    assert spec.knowledge.limits_for("pro").documents == 100  # the default
    assert spec.workflows[0].collection == "docs"
    assert spec.workflows[1].collection is None


def test_the_section_is_optional() -> None:
    assert parse_spec(BASE, SOURCE).knowledge is None


def test_an_unknown_collection_is_located_with_a_suggestion() -> None:
    text = with_collection("doc")
    problem = at(problems_of(text), "workflows[0].collection")
    assert "unknown collection 'doc'" in problem.message
    assert "did you mean 'docs'" in problem.message
    assert problem.line == line_of(text, "collection: doc")


def test_a_collection_without_a_knowledge_section_is_refused() -> None:
    text = with_collection("docs", BASE)
    problem = at(problems_of(text), "workflows[0].collection")
    assert "no knowledge section" in problem.message


def test_limits_for_an_unknown_tier_are_refused_at_the_key() -> None:
    text = edit("    free: {documents", "    fre: {documents", WITH)
    problem = at(problems_of(text), "knowledge.limits.fre")
    assert "did you mean 'free'" in problem.message
    assert problem.line == line_of(text, "fre: {documents")


def test_field_rules_are_located() -> None:
    cases = {
        ("formats: [pdf, markdown]", "formats: [pdf, docx]"): "knowledge.collections[0].formats[1]",
        ("formats: [pdf, markdown]", "formats: [pdf, pdf]"): "knowledge.collections[0].formats",
        ("{size: 800, overlap: 100}", "{size: 800, overlap: 500}"): "knowledge.chunking",
        ("min_score: 0.5", "min_score: 1.5"): "knowledge.retrieval.min_score",
        ("documents: 5,", "documents: 0,"): "knowledge.limits.free.documents",
        ("    - name: help_center", "    - name: docs"): "knowledge.collections",
    }
    for (old, new), path in cases.items():
        problems = problems_of(edit(old, new, WITH))
        assert any(p.path == path for p in problems), (path, [str(p) for p in problems])


def test_the_schema_documents_the_section() -> None:
    schema = spec_json_schema()
    knowledge = schema["properties"]["knowledge"]
    assert "knowledge endpoints" in str(knowledge)
    definitions = schema["$defs"]
    assert {"Knowledge", "Collection", "KnowledgeLimits", "Chunking", "Retrieval"} <= set(
        definitions
    )
    assert "collection" in definitions["Workflow"]["properties"]
