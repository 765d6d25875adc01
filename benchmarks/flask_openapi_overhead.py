"""Per-request cost of serving OpenAPI from Flask: the three candidates, one body model.

The generated Flask app validates bodies with pydantic itself (``validate`` in
``app/services/api/requests.py``); the question is what an OpenAPI library adds to
every request. Each variant answers ``POST /v1/echo`` with a validated body, through
Flask's test client (no sockets), best of several interleaved rounds:

- ``plain``: Flask + ``Model.model_validate_json`` (what the app does; its document is
  built once from a route table, so serving it costs nothing per request);
- ``flask-openapi3``: an ``OpenAPI`` app, the body declared as a view parameter;
- ``spectree``: ``@spec.validate(json=Model)`` on a plain Flask view.

    pip install flask-openapi3 spectree
    python benchmarks/flask_openapi_overhead.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from pydantic import BaseModel, Field


class Body(BaseModel):
    """A body like the API's: a few fields, one nested list."""

    workflow: str | None = None
    messages: list[dict[str, str]] = Field(default_factory=list)
    max_output_tokens: int | None = Field(default=None, gt=0)
    temperature: float | None = Field(default=None, ge=0, le=2)


PAYLOAD = {
    "workflow": "summarize",
    "messages": [{"role": "user", "content": "hello " * 20}],
    "max_output_tokens": 200,
}


def plain() -> Flask:
    app = Flask("plain")

    @app.post("/v1/echo")
    def echo() -> Response:
        body = Body.model_validate_json(request.get_data())
        return app.response_class(body.model_dump_json(), mimetype="application/json")

    return app


def openapi3() -> Flask:
    from flask_openapi3 import OpenAPI

    app = OpenAPI("openapi3")

    @app.post("/v1/echo")
    def echo(body: Body) -> Response:
        return app.response_class(body.model_dump_json(), mimetype="application/json")

    return app


def spectree() -> Flask:
    from spectree import SpecTree

    app = Flask("spectree")
    spec = SpecTree("flask", app=app)

    @app.post("/v1/echo")
    @spec.validate(json=Body)
    def echo() -> Response:
        body: Any = request.context.json  # type: ignore[attr-defined]
        return app.response_class(body.model_dump_json(), mimetype="application/json")

    return app


def one_round_us(app: Flask, requests: int) -> float:
    client = app.test_client()
    started = time.perf_counter()
    for _ in range(requests):
        client.post("/v1/echo", json=PAYLOAD)
    return (time.perf_counter() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    variants: dict[str, Callable[[], Flask]] = {
        "plain": plain,
        "flask-openapi3": openapi3,
        "spectree": spectree,
    }
    apps: dict[str, Flask] = {}
    for name, build in variants.items():
        try:
            apps[name] = build()
        except ImportError as exc:
            print(f"{name:15} not installed ({exc.name})")
            continue
        assert apps[name].test_client().post("/v1/echo", json=PAYLOAD).status_code == 200
    # Round-robin, best round each: a shared, noisy machine slows whole stretches of time.
    best = dict.fromkeys(apps, float("inf"))
    for _ in range(args.rounds):
        for name, app in apps.items():
            best[name] = min(best[name], one_round_us(app, args.requests))
    for name, cost in best.items():
        print(f"{name:15} {cost:8.1f} us/request  ({cost - best['plain']:+6.1f} us over plain)")


if __name__ == "__main__":
    main()
