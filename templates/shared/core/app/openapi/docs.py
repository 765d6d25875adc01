"""``/docs``: Swagger UI over the app's ``/openapi.json`` (the page FastAPI serves too)."""

from __future__ import annotations

import html
import json

SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"


def swagger_ui_html(title: str, openapi_url: str = "/openapi.json") -> str:
    """The page: Swagger UI's assets from its CDN, pointed at ``openapi_url``."""
    # The title comes from the spec: escaped for HTML; the options go into a script as
    # JSON, with "<" escaped so no value can close the script element.
    options = {"url": openapi_url, "dom_id": "#swagger-ui", "deepLinking": True}
    script = "SwaggerUIBundle(" + json.dumps(options).replace("<", "\\u003c") + ");"
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
{script}
</script>
</body>
</html>
"""
