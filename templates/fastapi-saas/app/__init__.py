"""The FastAPI application package; the ASGI entry point is ``app.main:app``."""
