"""Request and response bodies of the HTTP API, written once for both web frameworks.

Pydantic models only: no framework imports, no I/O. Unknown request fields are
ignored (never honoured), so a client cannot switch on debug or test behaviour.
"""
