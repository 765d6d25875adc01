"""``GET/POST /v1/keys``, ``DELETE /v1/keys/<key_id>``: a workspace's API keys."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.schemas.keys import CreateKeyBody
from app.web import api, authenticated, authenticated_body, json_response

keys_bp = Blueprint("keys", __name__, url_prefix="/v1")


@keys_bp.get("/keys")
def list_keys() -> Response:
    """The workspace's keys, revoked ones included (owners; operators: ``?workspace=``)."""
    return json_response(api().keys(authenticated(), request.args.get("workspace")))


@keys_bp.post("/keys")
def create_key() -> Response:
    """A new owner or member key; the key is shown in this answer only."""
    caller, body = authenticated_body(CreateKeyBody)
    return json_response(api().create_key(caller, body), status=201)


@keys_bp.delete("/keys/<key_id>")
def revoke_key(key_id: str) -> Response:
    """Revoke a key: it fails from the next request on, in every worker."""
    return json_response(api().revoke_key(authenticated(), key_id))
