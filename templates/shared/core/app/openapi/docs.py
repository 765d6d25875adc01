"""``/docs``: Swagger UI over the app's ``/openapi.json`` (the page FastAPI serves too)."""

from __future__ import annotations

import html
import json

SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"


def swagger_ui_html(title: str, openapi_url: str = "/openapi.json") -> str:
    """The page: Swagger UI's assets from its CDN, pointed at ``openapi_url``."""
    # The title comes from the spec: escaped for HTML; the URL goes into a script as JSON.
    url = json.dumps(openapi_url).replace("<", "\\u003c")
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{html.escape(title)} - Swagger UI</title>
<link type="text/css" rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({{url: {url}, dom_id: "#swagger-ui", deepLinking: true}});
</script>
</body>
</html>
"""
