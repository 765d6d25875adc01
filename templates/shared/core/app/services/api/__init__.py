"""Request handling both web layers share: auth, errors, headers, body limits, SSE.

The FastAPI routers and the Flask blueprints stay thin: they read the request,
call these functions and write what they return. Anything a client can observe
(status codes, error bodies, headers, stream events) is decided here, once, so
the two apps answer identically.
"""
