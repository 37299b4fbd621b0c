"""registry.k8s.io/etcd 3.5: the probes page's gRPC example (`etcd-with-grpc`).

etcd serves gRPC and HTTP on each client URL (`--listen-client-urls`, by default
http://localhost:2379), one port for both: this stand-in answers gRPC's health service
(grpc.health.v1.Health/Check: the server itself, service "", is SERVING), which the page's
`livenessProbe: grpc: {port: 2379}` asks, and HTTP/1's `GET /health`
(`{"health":"true","reason":""}`). It keeps no keys: the v3 KV API and etcdctl are not
here. Logs are JSON lines on stderr as etcd's zap logger writes them, only its first and
its ready line.
"""

from __future__ import annotations

import http.server
import json
import signal
import socket
import sys
import threading
import time
import urllib.parse

from kubesim.standins import _grpchealth
from kubesim.standins._program import Stopper, err, exit_now
from kubesim.standins._program import port as standin_port


def log(level: str, msg: str, **fields: object) -> None:
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    err(json.dumps({"level": level, "ts": stamp, "msg": msg, **fields}))


def client_urls(argv: list[str]) -> list[tuple[str, int]]:
    """`--listen-client-urls a,b` (or `=`): the addresses to listen on."""
    value = "http://localhost:2379"
    for i, arg in enumerate(argv):
        if arg == "--listen-client-urls" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--listen-client-urls="):
            value = arg.split("=", 1)[1]
    out = []
    for url in value.split(","):
        parts = urllib.parse.urlsplit(url.strip())
        host = parts.hostname or "localhost"
        out.append(("0.0.0.0" if host == "0.0.0.0" else host, parts.port or 2379))
    return out


def serving(service: str) -> int | None:
    """etcd registers the health of the server itself ("") as SERVING."""
    return 1 if service == "" else None


class Http(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path.split("?", 1)[0] == "/health":
            body, code, ctype = b'{"health":"true","reason":""}', 200, "text/plain; charset=utf-8"
        else:
            body, code, ctype = b"404 page not found\n", 404, "text/plain; charset=utf-8"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def _connection(sock: socket.socket, address: tuple[str, int], server: object) -> None:
    """gRPC (HTTP/2, by its preface) or HTTP/1 on the same port, as etcd's cmux does."""
    with sock:
        try:
            first = sock.recv(len(_grpchealth.PREFACE), socket.MSG_PEEK | socket.MSG_WAITALL)
        except OSError:
            return
        if first == _grpchealth.PREFACE:
            _grpchealth.serve(sock, serving)
        else:
            Http(sock, address, server)  # type: ignore[arg-type]


def _accept(listener: socket.socket) -> None:
    while True:
        sock, address = listener.accept()
        threading.Thread(target=_connection, args=(sock, address, listener), daemon=True).start()


def main(argv: list[str]) -> int:
    stopper = Stopper((signal.SIGTERM, signal.SIGINT))
    log("info", "Running: ", args=["etcd", *argv])
    listeners = []
    for host, port in client_urls(argv):
        try:
            listeners.append(socket.create_server((host, standin_port(port))))
        except OSError as exc:
            log("fatal", "listen failed", error=str(exc))
            return 1
    for listener in listeners:
        threading.Thread(target=_accept, args=(listener,), daemon=True).start()
    log("info", "ready to serve client requests")
    stopper.wait()
    return 0


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
