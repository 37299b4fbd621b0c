"""gcr.io/google-samples/hello-app (1.0, 2.0): the Go "Hello, world" server of the docs'
"Exposing an External IP Address" tutorial (load-balancer-example.yaml, five replicas) and
of the Ingress tutorials (`web` and `web2`).

It listens on $PORT (8080 by default) and answers every path with three lines,
`Hello, world!`, `Version: 1.0.0` (2.0.0 for the 2.0 tag) and `Hostname: <pod>`, as Go's
net/http writes a short body (`Content-Type: text/plain; charset=utf-8`, a Content-Length).
Its log, on stderr in Go's `log` format: `Server listening on port 8080`, then
`Serving request: /path` for each request. No SIGTERM handler, as the Go program has none:
Go's runtime ends it at once (as a container's PID 1, with exit code 2), so deleting its pod
takes no grace period.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import sys
import threading
import time

from kubesim.standins._program import Server, Stopper, die_of, err, exit_now
from kubesim.standins._program import port as standin_port

VERSIONS = {"1.0": "1.0.0", "2.0": "2.0.0"}


def log(text: str) -> None:
    err(time.strftime("%Y/%m/%d %H:%M:%S ") + text)


def handler(version: str) -> type[http.server.BaseHTTPRequestHandler]:
    hostname = socket.gethostname()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            log(f"Serving request: {self.path.split('?', 1)[0]}")
            body = f"Hello, world!\nVersion: {version}\nHostname: {hostname}\n".encode()
            self.send_response_only(200)
            self.send_header("Date", self.date_time_string())
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_POST = do_PUT = do_DELETE = do_HEAD = do_GET  # noqa: N815 - any method, as Go's mux

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


def main(argv: list[str]) -> int:
    stopper = Stopper((signal.SIGTERM, signal.SIGINT))
    version = VERSIONS.get(argv[0] if argv else "", VERSIONS["1.0"])
    port = os.environ.get("PORT") or str(standin_port(8080))
    log(f"Server listening on port {port}")
    try:
        server = Server(("", int(port)), handler(version))
    except OSError as exc:
        log(f"listen tcp :{port}: bind: {exc.strerror.lower() if exc.strerror else exc}")
        return 1
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return die_of(stopper.wait())


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
