"""The Flask application factory: ``gunicorn "app:create_app()"``."""

from __future__ import annotations

from flask import Flask

from app.blueprints.admin_bp import admin_bp
from app.blueprints.billing_bp import billing_bp
from app.blueprints.chat_bp import chat_bp
from app.blueprints.credit_bp import credit_bp
from app.blueprints.features import BLUEPRINTS as FEATURE_BLUEPRINTS
from app.blueprints.health_bp import health_bp
from app.blueprints.keys_bp import keys_bp
from app.blueprints.llm_router_bp import llm_router_bp
from app.blueprints.metrics_bp import metrics_bp
from app.blueprints.openapi_bp import openapi_bp
from app.blueprints.prompt_template_bp import prompt_template_bp
from app.blueprints.reports_bp import reports_bp
from app.blueprints.usage_bp import usage_bp
from app.core.catalog import PRODUCT_NAME
from app.core.config import Settings, get_settings
from app.core.logging import configure_logging
from app.observability import install_observability
from app.services.api.runtime import RuntimeOptions, open_runtime
from app.services.api.service import ApiService
from app.web import install


def create_app(settings: Settings | None = None, *, options: RuntimeOptions | None = None) -> Flask:
    """Build the app; tests pass their own ``Settings`` (and ``RuntimeOptions``)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    runtime = open_runtime(settings, options)
    app = Flask(__name__)
    app.config["PRODUCT_NAME"] = PRODUCT_NAME
    app.extensions["settings"] = settings
    app.extensions["runtime"] = runtime
    app.extensions["engine"] = runtime.engine
    app.extensions["api"] = ApiService(runtime)
    install(
        app,
        max_body_bytes=runtime.max_body_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
    )
    # After install(): outermost, so the request id covers the body-cap refusals too.
    install_observability(app)
    for blueprint in (
        health_bp,
        chat_bp,
        llm_router_bp,
        usage_bp,
        credit_bp,
        prompt_template_bp,
        billing_bp,
        keys_bp,
        metrics_bp,
        reports_bp,
        admin_bp,
        openapi_bp,
    ):
        app.register_blueprint(blueprint)
    for blueprint in FEATURE_BLUEPRINTS:  # the optional features' (app/blueprints/features.py)
        app.register_blueprint(blueprint)
    return app
