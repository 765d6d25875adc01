"""``GET/POST /v1/prompts``: published prompt versions and experiments; operators publish."""

from __future__ import annotations

from flask import Blueprint, Response

from app.schemas.prompts import PublishPromptBody
from app.web import api, authenticated, authenticated_body, json_response

prompt_template_bp = Blueprint("prompt_template", __name__, url_prefix="/v1")


@prompt_template_bp.get("/prompts")
def list_prompts() -> Response:
    """Every prompt's versions, experiment, and the version that serves the caller."""
    return json_response(api().prompts(authenticated()))


@prompt_template_bp.post("/prompts")
def publish_prompt() -> Response:
    """Publish a new, immutable version of a prompt (operators only)."""
    caller, body = authenticated_body(PublishPromptBody)
    return json_response(api().publish_prompt(caller, body), status=201)
