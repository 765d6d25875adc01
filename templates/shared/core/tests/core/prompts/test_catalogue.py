"""The app's own prompt catalogue: this fails the suite when a published version is edited."""

from __future__ import annotations

from app.core.catalog import WORKFLOWS
from app.services.prompts import PromptStore


def test_no_published_prompt_version_was_edited() -> None:
    problems = PromptStore().check()

    assert not problems, "prompt catalogue problems (see docs/prompts-and-cache.md):\n" + "\n".join(
        str(problem) for problem in problems
    )


def test_every_workflow_prompt_resolves_to_a_published_version() -> None:
    store = PromptStore()
    for workflow in WORKFLOWS.values():
        prompt = store.resolve(workflow.prompt, "user-1")

        assert prompt.ref == f"{workflow.prompt}@v{prompt.version}"
        assert prompt.version in store.versions(workflow.prompt)
        if not any(variable.required for variable in prompt.variables):
            request = prompt.chat_request("Some input.", workflow=workflow)
            assert request.messages[0].role == "system"
            assert request.messages[-1].content == "Some input."
            assert request.max_output_tokens <= workflow.max_output_tokens
