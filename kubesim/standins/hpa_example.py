"""registry.k8s.io/hpa-example: the HorizontalPodAutoscaler walkthrough's php-apache server.

The real image is `php:5-apache` serving one `index.php` that burns CPU on every request
and answers `OK!`:

    $x = 0.0001;
    for ($i = 0; $i <= 1000000; $i++) { $x += sqrt($x); }
    echo "OK!";

This stand-in runs the same loop per request (a real CPU cost, which kubesim's metrics read
from the process, so the walkthrough's load generator drives the HPA up), on port 80, with
Apache's combined access log on stdout and its start-up and SIGTERM notices on stderr.
Versions of Apache and PHP are not claimed in headers or logs: the stand-in is neither.
"""

from __future__ import annotations

import http.server
import math
import os
import signal
import socket
import sys
import threading
import time

from kubesim.standins._program import Stopper, combined_log, err, out
from kubesim.standins._program import port as standin_port

PORT = 80


def burn() -> float:
    """index.php's loop, as PHP runs it: a million and one square roots."""
    x = 0.0001
    sqrt = math.sqrt
    for _ in range(1000001):
        x += sqrt(x)
    return x


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "Apache"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = self.path.split("?", 1)[0]
        if path not in ("/", "/index.php"):
            body = (
                '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
                "<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n"
                f"<p>The requested URL {path} was not found on this server.</p>\n"
                "</body></html>\n"
            ).encode()
            self._reply(404, body, "text/html; charset=iso-8859-1")
            return
        burn()
        self._reply(200, b"OK!", "text/html; charset=UTF-8")

    do_POST = do_GET  # noqa: N815 - PHP answers any method the same

    def _reply(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", ctype)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        out(combined_log(self, status, len(body)))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return  # written once the body is sent, with its size

    def log_message(self, format: str, *args: object) -> None:
        return


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def _apache_time() -> str:
    now = time.time()
    return time.strftime("%a %b %d %H:%M:%S", time.localtime(now)) + (
        f".{int(now % 1 * 1e6):06d} {time.localtime(now).tm_year}"
    )


def main() -> int:
    stopper = Stopper((signal.SIGTERM, signal.SIGINT))
    port = standin_port(PORT)
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        address = "127.0.0.1"
    for _ in range(2):
        err(
            "AH00558: apache2: Could not reliably determine the server's fully qualified domain "
            f"name, using {address}. Set the 'ServerName' directive globally to suppress this "
            "message"
        )
    try:
        server = _Server(("0.0.0.0", port), Handler)
    except OSError as exc:
        err(
            f"({exc.errno}){exc.strerror}: AH00072: make_sock: could not bind to address "
            f"0.0.0.0:{port}"
        )
        err("no listening sockets available, shutting down")
        err("AH00015: Unable to open logs")
        return 1
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pid = os.getpid()
    err(
        f"[{_apache_time()}] [core:notice] [pid {pid}] AH00094: Command line: 'apache2 -D FOREGROUND'"
    )
    stopper.wait()
    err(
        f"[{_apache_time()}] [mpm_prefork:notice] [pid {pid}] AH00169: caught SIGTERM, shutting down"
    )
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
