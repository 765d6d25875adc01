"""The API's OpenAPI 3.1 description, from one route table and the pydantic schemas.

``ROUTES`` (``routes.py``) lists every endpoint: path, method, body and response
models, parameters and error responses. ``build_document()`` turns it into the
document the Flask app serves at ``/openapi.json``; the FastAPI app serves its own,
and a test holds the two equal. See ``docs/api.md``.
"""

from app.openapi.document import build_document, document_json
from app.openapi.routes import ROUTES, Param, Route

__all__ = ["ROUTES", "Param", "Route", "build_document", "document_json"]
