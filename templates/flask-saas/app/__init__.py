"""The Flask application factory: ``gunicorn "app:create_app()"``."""

from __future__ import annotations

from flask import Flask

from app.blueprints.health_bp import health_bp
from app.core.catalog import PRODUCT_NAME
from app.core.config import Settings, get_settings
from app.core.db import create_engine_for


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; tests pass their own ``Settings``."""
    settings = settings or get_settings()
    app = Flask(__name__)
    app.config["PRODUCT_NAME"] = PRODUCT_NAME
    app.extensions["settings"] = settings
    app.extensions["engine"] = create_engine_for(settings.database_url)
    app.register_blueprint(health_bp)
    return app
