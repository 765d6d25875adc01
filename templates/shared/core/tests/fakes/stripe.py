"""A fake Stripe API: real HTTP/1.1 on 127.0.0.1, speaking Stripe's wire format.

What the app's Stripe SDK sees is what Stripe sends: form-encoded nested
parameters in (``line_items[0][price]=...``), JSON objects out, ``Bearer`` key
auth, Stripe's error JSON (``{"error": {"type", "message", ...}}``), Idempotency-Key
replays (the first answer, for the same parameters), the 400 for a meter event
whose identifier Stripe already has, and meter event summaries. Tests point the
SDK at it with ``STRIPE_API_BASE`` and script outages with ``fail_next``.

``sign`` builds a ``Stripe-Signature`` header the way Stripe signs webhooks
(``t=<unix time>,v1=<HMAC-SHA256 of "<t>.<payload>" keyed by the whsec_ secret>``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SECRET_KEY = "sk_test_fake_archgen"
WEBHOOK_SECRET = "whsec_" + "fakesigningsecret0123456789abcdef"
# Stripe accepts meter events from the past 35 days, and at most 5 minutes ahead.
METER_WINDOW_SECONDS = 35 * 86_400


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send with ``payload``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    """A webhook event body of type ``kind`` about ``obj``, as Stripe serialises it."""
    body = {
        "id": event_id or f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "type": kind,
        "livemode": False,
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's nested form encoding (``a[b][0][c]=v``) as dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    parsed: dict[str, Any] = _lists(root)
    return parsed


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


@dataclass
class Request:
    """One request the fake received (after auth)."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> object
    meter_events: list[dict[str, Any]] = field(default_factory=list)  # accepted, in order
    identifier_posts: Counter[str] = field(default_factory=Counter)  # every attempt
    idempotent: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    failures: deque[int] = field(default_factory=deque)  # statuses for the next POSTs
    requests: list[Request] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering each meter event
    stopping: threading.Event = field(default_factory=threading.Event)


class FakeStripe:
    """A scriptable fake of the Stripe API; use as a context manager or start()/stop()."""

    def __init__(self) -> None:
        self._state = _State()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.state = self._state  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )

    @property
    def base_url(self) -> str:
        """What ``STRIPE_API_BASE`` should be to reach this fake."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """The app's Stripe settings for this fake, as environment variables."""
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.base_url,
        }

    def fail_next(self, *statuses: int) -> None:
        """Answer the next POSTs with these statuses (500, 503, 429, ...), in order."""
        with self._state.lock:
            self._state.failures.extend(statuses)

    def slow_meter_events(self, seconds: float) -> None:
        """Wait this long before answering each meter event."""
        self._state.delay = seconds

    @property
    def meter_events(self) -> list[dict[str, Any]]:
        """Meter events accepted, in order."""
        with self._state.lock:
            return list(self._state.meter_events)

    @property
    def identifier_posts(self) -> Counter[str]:
        """How often each meter event identifier was posted (accepted or not)."""
        with self._state.lock:
            return Counter(self._state.identifier_posts)

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every object of ``kind`` ("customer", "price", "checkout.session", ...)."""
        with self._state.lock:
            return [o for o in self._state.objects.values() if o["object"] == kind]

    def requests(self, path_prefix: str = "") -> list[Request]:
        with self._state.lock:
            return [r for r in self._state.requests if r.path.startswith(path_prefix)]

    def add_meter_event(self, customer: str, value: int, timestamp: int | None = None) -> None:
        """A meter event Stripe has that the app did not send (a reconcile difference)."""
        with self._state.lock:
            self._state.meter_events.append(
                {
                    "identifier": f"manual_{secrets.token_hex(6)}",
                    "payload": {"stripe_customer_id": customer, "value": str(value)},
                    "timestamp": timestamp or int(time.time()),
                }
            )

    def complete_checkout(self, session_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The customer paid: the session completes (and, for a subscription, the
        subscription exists). Returns both, as webhook events carry them."""
        with self._state.lock:
            session = self._state.objects[session_id]
            session.update(status="complete", payment_status="paid")
            if session.get("mode") != "subscription":
                return dict(session), None
            items = [
                {"object": "subscription_item", "price": self._state.objects[item["price"]]}
                for item in session.get("line_items") or []
            ]
            subscription = {
                "id": _new_id("sub"),
                "object": "subscription",
                "customer": session["customer"],
                "status": "active",
                "metadata": dict(session.get("metadata") or {}),
                "items": {"object": "list", "data": items},
            }
            self._state.objects[subscription["id"]] = subscription
            session["subscription"] = subscription["id"]
            return dict(session), dict(subscription)

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _error(status: int, kind: str, message: str, **extra: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"type": kind, "message": message, **extra}}


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    @property
    def state(self) -> _State:
        return self.server.state  # type: ignore[attr-defined, no-any-return]

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self._handle("GET", url.path, parse_form(parse_qsl(url.query)))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        self._handle("POST", url.path, parse_form(parse_qsl(raw.decode())))

    def _handle(self, method: str, path: str, params: dict[str, Any]) -> None:
        if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            self._send(*_error(401, "invalid_request_error", "Invalid API Key provided: sk_****"))
            return
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        state = self.state
        with state.lock:
            state.requests.append(Request(method, path, params, key))
            failure = state.failures.popleft() if method == "POST" and state.failures else None
            if key and key in state.idempotent:
                fingerprint, status, body = state.idempotent[key]
                if fingerprint != json.dumps([path, params], sort_keys=True):
                    status, body = _error(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                    )
                self._send(status, body, replayed=True)
                return
        if failure is not None:
            self._send(*self._failure(failure))
            return
        if path == "/v1/billing/meter_events" and state.delay:
            state.stopping.wait(state.delay)
        with state.lock:
            status, body = self._route(method, path, params)
            if key:
                state.idempotent[key] = (json.dumps([path, params], sort_keys=True), status, body)
        self._send(status, body)

    @staticmethod
    def _failure(status: int) -> tuple[int, dict[str, Any]]:
        if status == 429:
            return _error(
                429,
                "invalid_request_error",
                "Too many requests hit the API too quickly.",
                code="rate_limit",
            )
        return _error(status, "api_error", "An unknown error occurred.")

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/billing/meter_events":
            return self._meter_event(params)
        if path == "/v1/billing/meters":
            return (
                self._create("meter", "mtr", params)
                if method == "POST"
                else self._list("billing.meter")
            )
        if method == "GET" and len(parts) == 5 and parts[-1] == "event_summaries":
            return self._summaries(parts[3], params)
        if method == "POST" and path == "/v1/customers":
            return self._create("customer", "cus", params)
        if path == "/v1/products" and method == "POST":
            return self._create("product", "prod", params)
        if method == "GET" and len(parts) == 3 and parts[1] == "products":
            return self._retrieve(parts[2], "product")
        if path == "/v1/prices":
            return (
                self._create("price", "price", params) if method == "POST" else self._prices(params)
            )
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._checkout(params)
        if method == "POST" and path == "/v1/billing_portal/sessions":
            return self._create("billing_portal.session", "bps", params)
        return _error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _create(self, kind: str, prefix: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        obj_kind = {"meter": "billing.meter"}.get(kind, kind)
        obj: dict[str, Any] = {"object": obj_kind, "livemode": False, "created": int(time.time())}
        obj.update(params)
        obj["id"] = params.get("id") or _new_id(prefix)
        if obj["id"] in self.state.objects:
            return _error(
                400,
                "invalid_request_error",
                f"Object already exists: {obj['id']}",
                code="resource_already_exists",
            )
        if kind == "meter":
            obj["status"] = "active"
        if kind == "price":
            refused = self._price(obj)
            if refused is not None:
                return 400, refused
        if kind == "billing_portal.session":
            obj["url"] = f"https://billing.stripe.test/p/session/{obj['id']}"
        self.state.objects[obj["id"]] = obj
        return 200, obj

    def _price(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """Complete a new price's fields; the error body if Stripe would refuse it."""
        if obj.get("product") not in self.state.objects:
            product = obj.get("product")
            return _error(400, "invalid_request_error", f"No such product: '{product}'")[1]
        key = obj.get("lookup_key")
        if key and any(o.get("lookup_key") == key for o in self.state.objects.values()):
            message = f"A price with lookup_key {key} already exists."
            return _error(400, "invalid_request_error", message)[1]
        recurring = obj.get("recurring")
        if isinstance(recurring, dict):
            recurring.setdefault("usage_type", "licensed")
            recurring.setdefault("interval_count", 1)
            recurring.setdefault("meter", None)
        obj.update(active=True, type="recurring" if recurring else "one_time", recurring=recurring)
        obj.setdefault("lookup_key", None)
        return None

    def _retrieve(self, object_id: str, kind: str) -> tuple[int, dict[str, Any]]:
        obj = self.state.objects.get(object_id)
        if obj is None or obj["object"] != kind:
            return _error(
                404,
                "invalid_request_error",
                f"No such {kind}: '{object_id}'",
                code="resource_missing",
                param="id",
            )
        return 200, obj

    def _list(
        self, kind: str, items: list[dict[str, Any]] | None = None
    ) -> tuple[int, dict[str, Any]]:
        data = (
            items
            if items is not None
            else [o for o in self.state.objects.values() if o["object"] == kind]
        )
        return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1"}

    def _prices(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        keys = params.get("lookup_keys") or []
        prices = [
            o
            for o in self.state.objects.values()
            if o["object"] == "price"
            and (not keys or o.get("lookup_key") in keys)
            and o.get("active")
        ]
        return self._list("price", prices)

    def _meter_event(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        name, identifier = params.get("event_name"), params.get("identifier")
        payload = params.get("payload") or {}
        if not any(
            o["object"] == "billing.meter" and o.get("event_name") == name
            for o in self.state.objects.values()
        ):
            return _error(
                400, "invalid_request_error", f"No active meter found for event_name {name}."
            )
        if not str(payload.get("value", "")).isdigit():
            return _error(
                400,
                "invalid_request_error",
                "The value must be a whole number.",
                param="payload[value]",
            )
        if payload.get("stripe_customer_id") not in self.state.objects:
            return _error(
                400,
                "invalid_request_error",
                "No such customer.",
                param="payload[stripe_customer_id]",
            )
        stamp = int(params.get("timestamp") or time.time())
        if stamp < time.time() - METER_WINDOW_SECONDS or stamp > time.time() + 300:
            return _error(
                400,
                "invalid_request_error",
                "Timestamp must be within the past 35 days and not more than 5 minutes "
                "in the future.",
                param="timestamp",
            )
        if identifier:
            self.state.identifier_posts[identifier] += 1
            if any(e["identifier"] == identifier for e in self.state.meter_events):
                return _error(
                    400,
                    "invalid_request_error",
                    f"An event already exists with identifier {identifier}.",
                )
        event = {
            "object": "billing.meter_event",
            "event_name": name,
            "identifier": identifier or _new_id("evt"),
            "payload": payload,
            "timestamp": stamp,
            "created": int(time.time()),
            "livemode": False,
        }
        self.state.meter_events.append(event)
        return 200, event

    def _summaries(self, meter_id: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        meter = self.state.objects.get(meter_id)
        if meter is None:
            return _error(
                404,
                "invalid_request_error",
                f"No such meter: '{meter_id}'",
                code="resource_missing",
            )
        start, end = int(params["start_time"]), int(params["end_time"])
        total = sum(
            int(e["payload"]["value"])
            for e in self.state.meter_events
            if e["payload"].get("stripe_customer_id") == params.get("customer")
            and start <= int(e["timestamp"]) < end
        )
        summary = {
            "id": _new_id("mtrusg"),
            "object": "billing.meter_event_summary",
            "aggregated_value": total,
            "start_time": start,
            "end_time": end,
            "livemode": False,
            "meter": meter_id,
        }
        return self._list("billing.meter_event_summary", [summary])

    def _checkout(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for item in params.get("line_items") or []:
            if item.get("price") not in self.state.objects:
                return _error(400, "invalid_request_error", f"No such price: '{item.get('price')}'")
        if params.get("customer") not in self.state.objects:
            return _error(400, "invalid_request_error", "No such customer.", param="customer")
        status, session = self._create("checkout.session", "cs_test", params)
        session.update(
            url=f"https://checkout.stripe.test/c/pay/{session['id']}",
            status="open",
            payment_status="unpaid",
            subscription=None,
        )
        return status, session

    def _send(self, status: int, body: dict[str, Any], *, replayed: bool = False) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Request-Id", _new_id("req"))
        if replayed:
            self.send_header("Idempotent-Replayed", "true")
        if status == 429:
            self.send_header("Stripe-Rate-Limited-Reason", "global-rate")
        self.end_headers()
        self.wfile.write(raw)
