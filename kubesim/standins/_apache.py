"""Apache httpd as the docs' PHP images show it (`php:*-apache`): its start-up notices on
stderr, one combined access-log line per request on stdout, its 404 page and its SIGTERM
notice. The PHP pages are each stand-in's own handler methods; versions of Apache and PHP
are not claimed in headers or logs, since the stand-in is neither.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import threading
import time

from kubesim.standins._program import Stopper, combined_log, err, out
from kubesim.standins._program import port as standin_port


class Handler(http.server.BaseHTTPRequestHandler):
    """A request answered in full, then logged with its size as Apache logs it."""

    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "Apache"

    def reply(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", ctype)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        out(combined_log(self, status, len(body)))

    def not_found(self, path: str) -> None:
        body = (
            '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
            "<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n"
            f"<p>The requested URL {path} was not found on this server.</p>\n"
            "</body></html>\n"
        ).encode()
        self.reply(404, body, "text/html; charset=iso-8859-1")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return  # written once the body is sent, with its size

    def log_message(self, format: str, *args: object) -> None:
        return


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def _time() -> str:
    now = time.time()
    return time.strftime("%a %b %d %H:%M:%S", time.localtime(now)) + (
        f".{int(now % 1 * 1e6):06d} {time.localtime(now).tm_year}"
    )


def serve(handler: type[Handler], default_port: int = 80) -> int:
    """`apache2 -D FOREGROUND` until SIGTERM: the exit code the container ends with."""
    stopper = Stopper((signal.SIGTERM, signal.SIGINT))
    port = standin_port(default_port)
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
        server = _Server(("0.0.0.0", port), handler)
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
    err(f"[{_time()}] [core:notice] [pid {pid}] AH00094: Command line: 'apache2 -D FOREGROUND'")
    stopper.wait()
    err(f"[{_time()}] [mpm_prefork:notice] [pid {pid}] AH00169: caught SIGTERM, shutting down")
    server.shutdown()
    return 0
