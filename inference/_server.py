"""The HTTP side: shared application state, the in-flight tracker and the request handler.

Routes (JSON unless noted):
  GET  /health    200 while the process runs (liveness)
  GET  /ready     200 once the model is loaded and servable, else 503 with the reason
  POST /predict   predictions for feature vectors; 400 on a bad body, 503 before ready
  GET  /metrics   Prometheus text format
  GET  /version   {"version", "model", "model_version", "model_format"}
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import _metrics
from ._config import Config
from ._costs import burn_cpu
from ._errors import BadRequest
from ._log import Log
from ._model import Model, predict
from ._request import MAX_BODY_BYTES, parse_predict_body

NOT_LOADED = "model not loaded yet"
# With API_KEY_FILE set, the probes and the metrics scrape still answer without the key.
OPEN_PATHS = ("/health", "/ready", "/metrics")


class InFlight:
    """Counts requests being handled, so shutdown can wait until the count reaches zero."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def __enter__(self) -> InFlight:
        with self._idle:
            self._count += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._idle:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

    @property
    def count(self) -> int:
        return self._count

    def wait_idle(self, timeout: float) -> int:
        """Block until no request is in flight or ``timeout`` passes; return how many remain."""
        with self._idle:
            self._idle.wait_for(lambda: self._count == 0, timeout=timeout)
            return self._count


@dataclass
class App:
    """State shared by the handler threads, the loader thread and the main thread."""

    config: Config
    model: Model
    log: Log
    metrics: _metrics.Metrics = field(default_factory=_metrics.Metrics)
    in_flight: InFlight = field(default_factory=InFlight)
    ready: bool = False
    not_ready_reason: str = NOT_LOADED
    draining: bool = False
    ballast: bytearray = field(default_factory=bytearray, repr=False)
    api_key: str = field(default="", repr=False)  # "": no key asked (API_KEY_FILE unset)

    def info(self) -> dict[str, str]:
        return {
            "version": self.config.version,
            "model": self.model.name,
            "model_version": self.model.model_version,
        }


@dataclass(frozen=True)
class Reply:
    """What a route decided: status, JSON-able or text body, extra headers, a log note."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""


def make_server(app: App, *, host: str = "") -> ThreadingHTTPServer:
    """Bind the listening socket (may raise ``OSError``); serving starts separately."""
    handler = type("Handler", (_Handler,), {"app": app})
    server = ThreadingHTTPServer((host, app.config.port), handler)
    server.daemon_threads = True  # shutdown waits on ``InFlight``, not on thread joins
    return server


class _Handler(BaseHTTPRequestHandler):
    app: App
    protocol_version = "HTTP/1.1"  # keep-alive, so the load generator measures the model
    server_version = "kubelab-inference"
    sys_version = ""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the stdlib's stderr access log; ``_handle`` logs in our format."""

    def _handle(self, method: str) -> None:
        app = self.app
        started = time.perf_counter()
        with app.in_flight:
            try:
                reply = self._route(method)
            except Exception as exc:  # one bad request must not take the server down
                reply = Reply(500, {"error": f"internal error: {exc!r}"}, note=repr(exc))
            try:
                self._send(reply, head=method == "HEAD")
            except OSError as exc:  # the client went away; nothing left to answer
                self.close_connection = True
                reply = Reply(reply.status, reply.body, note=f"client disconnected: {exc!r}")
        elapsed = time.perf_counter() - started
        app.metrics.observe(self.path, reply.status, elapsed)
        line = f"{method} {self.path} {reply.status} in {elapsed * 1000:.1f} ms"
        if reply.status < 400:
            app.log.debug(line)
        else:
            level = "ERROR" if reply.status >= 500 and reply.status != 503 else "WARNING"
            app.log(level, f"{line} from {self.client_address[0]}: {reply.note}")

    def _route(self, method: str) -> Reply:
        path = self.path.split("?", 1)[0]
        routes = {
            "/health": ("GET", self._health),
            "/ready": ("GET", self._ready),
            "/predict": ("POST", self._predict),
            "/metrics": ("GET", self._metrics),
            "/version": ("GET", self._version),
        }
        if path not in routes:
            known = ", ".join(routes)
            return Reply(404, {"error": f"no such path {path}; try {known}"}, note="not found")
        allowed, answer = routes[path]
        if self.app.api_key and path not in OPEN_PATHS and not self._key_matches():
            message = "this path needs the API key: send it as X-API-Key or Authorization: Bearer"
            return Reply(
                401, {"error": message}, headers={"WWW-Authenticate": "Bearer"}, note=message
            )
        if method == "HEAD" and allowed == "GET":
            method = "GET"
        if method != allowed:
            message = f"{path} answers {allowed} only"
            if allowed == "POST":
                message += ' with a JSON body, e.g. {"instances": [[5.1, 3.5, 1.4, 0.2]]}'
            return Reply(405, {"error": message}, headers={"Allow": allowed}, note=message)
        return answer()

    def _key_matches(self) -> bool:
        sent = self.headers.get("X-API-Key", "")
        auth = self.headers.get("Authorization", "")
        if not sent and auth[:7].lower() == "bearer ":
            sent = auth[7:].strip()
        return hmac.compare_digest(sent.encode(), self.app.api_key.encode())

    def _health(self) -> Reply:
        return Reply(200, {"status": "ok", "version": self.app.config.version})

    def _ready(self) -> Reply:
        app = self.app
        if app.ready:
            return Reply(200, {"status": "ready"})
        reason = app.not_ready_reason
        return Reply(503, {"status": "not ready", "reason": reason}, note=reason)

    def _version(self) -> Reply:
        app = self.app
        return Reply(200, {**app.info(), "model_format": app.model.format})

    def _metrics(self) -> Reply:
        app = self.app
        snap = app.metrics.snapshot(
            in_flight=app.in_flight.count, model_loaded=app.ready, info=app.info()
        )
        return Reply(200, _metrics.render(snap), {"Content-Type": _metrics.CONTENT_TYPE})

    def _predict(self) -> Reply:
        app = self.app
        try:
            raw = self._body()
        except BadRequest as exc:
            return Reply(exc.status, {"error": str(exc)}, note=str(exc))
        if not app.ready:
            reason = app.not_ready_reason
            return Reply(503, {"error": f"not ready: {reason}"}, note=reason)
        try:
            instances = parse_predict_body(raw, features=app.model.features)
        except BadRequest as exc:
            return Reply(400, {"error": str(exc)}, note=str(exc))
        burn_cpu(app.config.predict_cpu_ms * len(instances))
        return Reply(
            200,
            {
                "predictions": predict(app.model, instances),
                "model": app.model.name,
                "model_version": app.model.model_version,
                "version": app.config.version,
            },
        )

    def _body(self) -> bytes:
        """Read the request body; raise ``BadRequest`` (411, 400 or 413) when it cannot be."""
        length = self.headers.get("Content-Length")
        if length is None:
            self.close_connection = True
            raise BadRequest("send the JSON body with a Content-Length header", status=411)
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            raise BadRequest(f"Content-Length {length!r} is not a number", status=400) from None
        if size > MAX_BODY_BYTES:
            self.close_connection = True
            raise BadRequest(f"the body is {size} bytes; the limit is {MAX_BODY_BYTES}", status=413)
        return self.rfile.read(size)

    def _send(self, reply: Reply, *, head: bool) -> None:
        if isinstance(reply.body, str):
            payload = reply.body.encode("utf-8")
            ctype = "text/plain; charset=utf-8"
        else:
            payload = (json.dumps(reply.body) + "\n").encode("utf-8")
            ctype = "application/json"
        self.send_response(reply.status)
        headers = {"Content-Type": ctype, **reply.headers, "Content-Length": str(len(payload))}
        if self.app.draining:
            headers["Connection"] = "close"
            self.close_connection = True
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(payload)
