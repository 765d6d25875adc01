"""archgen: generate AI-SaaS backends that protect a founder's margin from the first request."""

__version__ = "0.1.0"
