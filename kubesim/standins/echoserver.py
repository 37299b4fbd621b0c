"""registry.k8s.io/echoserver (and k8s.gcr.io's): the nginx + Lua server that answers every
request with what it saw of it, the docs' "Using Source IP" tutorial's `source-ip-app` and
minikube's `hello-minikube`.

Two formats, by tag, as the images print them on port 8080:

    1.4   `CLIENT VALUES:` / `client_address=...` / `command=GET` ... `SERVER VALUES:` ...
          `HEADERS RECEIVED:` ... `BODY:` and `-no body in request-` (no final newline)
    1.10  a blank line, `Hostname: <pod>`, then `Pod Information:`, `Server values:`,
          `Request Information:`, `Request Headers:` and `Request Body:` sections, each entry
          indented by a tab. Pod Information lists NODE_NAME, POD_NAME, POD_NAMESPACE and
          POD_IP when the pod sets them (the downward API), else `-no pod information
          available-`

`client_address` is the peer of the TCP connection, so it shows what the Service path did to
the source address (kept for a ClusterIP, the node's for masqueraded traffic), which is the
tutorial's point. `request_uri` is the Host header's name with the server's own port, as
nginx's `$scheme://$host:$server_port$request_uri` makes it. Headers are listed lowercased
and sorted, as the Lua loop prints them.

Not served: the images' TLS port 8443, and nginx's access log (1.10 writes it to stdout; the
stand-in logs one combined-format line per request there too, without nginx's exact
`$request_time`).
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import sys
import threading
import urllib.parse

from kubesim.standins._program import (
    AnyMethodHandler,
    Server,
    Stopper,
    combined_log,
    err,
    exit_now,
    out,
)
from kubesim.standins._program import port as standin_port

PORT = 8080
SERVER_VERSION = {"1.4": "nginx: 1.10.0 - lua: 10001", "1.10": "nginx: 1.13.3 - lua: 10008"}
POD_FIELDS = (
    ("node name", "NODE_NAME"),
    ("pod name", "POD_NAME"),
    ("pod namespace", "POD_NAMESPACE"),
    ("pod IP", "POD_IP"),
)


def _seen(handler: http.server.BaseHTTPRequestHandler, port: int) -> tuple[str, str, str, str]:
    """The request as nginx's variables hold it: client, path, query, request_uri."""
    parsed = urllib.parse.urlsplit(handler.path)
    given = handler.headers.get("Host") or ""
    host = given.rsplit(":", 1)[0] if given.count(":") == 1 else given  # IPv6 kept whole
    host = host or handler.connection.getsockname()[0]
    return (
        handler.client_address[0],
        parsed.path,
        parsed.query,
        f"http://{host}:{port}{handler.path}",
    )


def _headers(handler: http.server.BaseHTTPRequestHandler) -> list[tuple[str, str]]:
    return sorted((name.lower(), value) for name, value in handler.headers.items())


def format_1_4(handler: http.server.BaseHTTPRequestHandler, body: bytes, port: int) -> bytes:
    client, path, query, uri = _seen(handler, port)
    lines = [
        "CLIENT VALUES:",
        f"client_address={client}",
        f"command={handler.command}",
        f"real path={path}",
        f"query={query or 'nil'}",
        f"request_version={handler.request_version.split('/')[-1]}",
        f"request_uri={uri}",
        "",
        "SERVER VALUES:",
        f"server_version={SERVER_VERSION['1.4']}",
        "",
        "HEADERS RECEIVED:",
        *(f"{name}={value}" for name, value in _headers(handler)),
        "BODY:",
    ]
    text = "\n".join(lines) + "\n"
    return text.encode() + (body if body else b"-no body in request-")


def format_1_10(handler: http.server.BaseHTTPRequestHandler, body: bytes, port: int) -> bytes:
    client, path, query, uri = _seen(handler, port)
    if any(os.environ.get(var) for _, var in POD_FIELDS):
        pod = [f"\t{label}:\t{os.environ.get(var, '')}" for label, var in POD_FIELDS]
    else:
        pod = ["\t-no pod information available-"]
    lines = [
        "",
        "",
        f"Hostname: {socket.gethostname()}",
        "",
        "Pod Information:",
        *pod,
        "",
        "Server values:",
        f"\tserver_version={SERVER_VERSION['1.10']}",
        "",
        "Request Information:",
        f"\tclient_address={client}",
        f"\tmethod={handler.command}",
        f"\treal path={path}",
        f"\tquery={query}",
        f"\trequest_version={handler.request_version.split('/')[-1]}",
        "\trequest_scheme=http",
        f"\trequest_uri={uri}",
        "",
        "Request Headers:",
        *(f"\t{name}={value}" for name, value in _headers(handler)),
        "",
        "Request Body:",
    ]
    text = "\n".join(lines) + "\n"
    if not body:
        return (text + "\t-no body in request-\n\n").encode()
    return text.encode() + body + b"\n\n"


def handler(version: str, port: int) -> type[http.server.BaseHTTPRequestHandler]:
    render = format_1_4 if version == "1.4" else format_1_10

    class Handler(AnyMethodHandler):  # the Lua content handler answers any method and path
        server_version = "nginx/" + SERVER_VERSION[version].split()[1]
        sys_version = ""

        def answer(self, body: bytes) -> None:
            reply = render(self, body, port)
            self.send_response_only(200)
            self.send_header("Server", "echoserver" if version != "1.4" else self.server_version)
            self.send_header("Date", self.date_time_string())
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close" if self.close_connection else "keep-alive")
            self.end_headers()
            self.send_chunked(reply)
            out(combined_log(self, 200, len(reply)))

    return Handler


def main(argv: list[str]) -> int:
    stopper = Stopper((signal.SIGTERM, signal.SIGINT, signal.SIGQUIT))
    version = argv[0] if argv and argv[0] in SERVER_VERSION else "1.10"
    port = standin_port(PORT)
    try:
        server = Server(("0.0.0.0", port), handler(version, PORT))
    except OSError as exc:
        err(f"nginx: [emerg] bind() to 0.0.0.0:{port} failed ({exc.errno}: {exc.strerror})")
        return 1
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stopper.wait()  # nginx's master ends at once on SIGTERM and SIGINT, gracefully on SIGQUIT
    return 0


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
