"""The Learn Kubernetes Basics app: a Node.js server (`CMD node server.js` in a Debian image
with bash and curl) that answers every request on port 8080 with
`Hello Kubernetes bootcamp! | Running on: <hostname> | v=1` and logs each one.

What the tutorial reads is kept as Node prints it: the start-up line
`Kubernetes Bootcamp App Started At: <ISO time> | Running On:  <hostname> ` and a blank line
(console.log joins its arguments with spaces, the last one being "\\n"), then one line per
request with the running count, the uptime in seconds as a JavaScript number (`446.976`, `2`)
and the time. Node answers with `Content-Type: text/plain` and a chunked body, whatever the
method or path.

The version (`1` or `2`) is the catalog's first argument; a `node server.js` command adds
`server.js`, which is ignored. No SIGTERM handler, as the image has none: as a container's
PID 1 the signal is ignored and the pod ends at its grace period, as the tutorial's
scale-down shows (pods stay Terminating).
"""

from __future__ import annotations

import datetime
import http.server
import os
import socket
import sys
import threading
import time

from kubesim.standins._program import AnyMethodHandler, Server, err, exit_now, out
from kubesim.standins._program import port as standin_port

PORT = 8080


def iso_now() -> str:
    """A JavaScript Date as console.log prints it: `2022-06-16T22:38:06.372Z`."""
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def js_seconds(milliseconds: int) -> str:
    """`ms / 1000` as JavaScript prints the number: no `.0` on whole seconds."""
    if milliseconds % 1000 == 0:
        return str(milliseconds // 1000)
    return repr(milliseconds / 1000)


class App:
    def __init__(self, version: str, host: str) -> None:
        self.version = version
        self.host = host
        self.requests = 0
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def greeting(self) -> bytes:
        return f"Hello Kubernetes bootcamp! | Running on: {self.host} | v={self.version}\n".encode()

    def served(self) -> str:
        with self.lock:
            self.requests += 1
            count = self.requests
        uptime = js_seconds(int((time.monotonic() - self.started) * 1000))
        return (
            f"Running On: {self.host} | Total Requests: {count} | App Uptime: {uptime} seconds"
            f" | Log Time: {iso_now()}"
        )


def handler(app: App) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(AnyMethodHandler):  # Node's handler answers any method and path the same
        def answer(self, body: bytes) -> None:
            greeting = app.greeting()
            self.send_response_only(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Date", self.date_time_string())
            keep = not self.close_connection
            self.send_header("Connection", "keep-alive" if keep else "close")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.send_chunked(greeting)
            out(app.served())

    return Handler


def main(argv: list[str]) -> int:
    version = argv[0] if argv and argv[0] in ("1", "2") else "1"
    host = os.environ.get("HOSTNAME") or socket.gethostname()
    app = App(version, host)
    try:
        server = Server(("0.0.0.0", standin_port(PORT)), handler(app))
    except OSError as exc:
        err(f"Error: listen EADDRINUSE :::{PORT}" if exc.errno == 98 else f"Error: {exc}")
        return 1
    app.started = time.monotonic()
    out(f"Kubernetes Bootcamp App Started At: {iso_now()} | Running On:  {host} \n")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
