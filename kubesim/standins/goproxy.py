"""registry.k8s.io/goproxy: the probes tutorial's container, an HTTP proxy on port 8080.

The image is elazarl/goproxy's basic proxy. The docs only probe its port (tcpSocket on
8080), but it is a proxy, and this stand-in is one too: absolute-URI requests are forwarded,
CONNECT opens a tunnel, and a plain request gets goproxy's own answer, `500 This is a proxy
server. Does not respond to non-proxy requests.` Connections are logged as goproxy logs
them only in verbose mode, so it prints nothing; SIGTERM ends it as a Go program without a
handler ends.
"""

from __future__ import annotations

import http.client
import http.server
import select
import signal
import socket
import threading
import urllib.parse

from kubesim.standins._program import Stopper, die_of, err, exit_now
from kubesim.standins._program import port as standin_port

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send_header(self, keyword: str, value: str) -> None:
        if keyword != "Server":  # Go's net/http sends none
            super().send_header(keyword, value)

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_CONNECT(self) -> None:  # noqa: N802 - the stdlib's names
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port or 443)), timeout=30)
        except (OSError, ValueError) as exc:
            self._text(502, f"dial tcp {self.path}: {exc}\n")
            return
        self.wfile.write(b"HTTP/1.0 200 OK\r\n\r\n")
        self.wfile.flush()
        _pipe(self.connection, upstream)
        self.close_connection = True

    def _forward(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or not url.hostname:
            self._text(500, "This is a proxy server. Does not respond to non-proxy requests.\n")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
            conn.request(self.command, path, body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
            conn.close()
        except OSError as exc:
            self._text(502, f"{exc}\n")
            return
        self.send_response(reply.status, reply.reason)
        for k, v in reply.getheaders():
            if k.lower() not in HOP_BY_HOP | {"content-length"}:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward  # noqa: N815

    def _text(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    sockets = [a, b]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 300)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        b.close()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main() -> int:
    stopper = Stopper((signal.SIGTERM, signal.SIGINT))
    port = standin_port(8080)
    try:
        server = _Server(("0.0.0.0", port), Proxy)
    except OSError as exc:
        err(f"listen tcp :{port}: bind: {(exc.strerror or str(exc)).lower()}")
        return 1
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return die_of(stopper.wait())


if __name__ == "__main__":
    exit_now(main())
