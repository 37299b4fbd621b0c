"""registry.k8s.io/e2e-test-images/agnhost: the subcommands the docs and tests run.

agnhost is one Go binary (ENTRYPOINT /agnhost, CMD pause) whose subcommands are small test
servers. The stand-in answers as they do (test/images/agnhost in kubernetes/kubernetes):

    liveness        :8080; /healthz is 200 `ok` for 10 s, then 500 `error: <seconds>`;
                    /started, /redirect?loc=
    netexec         --http-port (8080), --udp-port (8081, -1 off): /, /clientip, /echo?msg=
                    (&code=), /hostname, /hostName, /healthz (200 once the UDP server runs,
                    else 412), /exit?code=, /shutdown, /redirect?location=; UDP `hostname`,
                    `echo <msg>`, `clientip`. /shell and /dial are refused (see below)
    serve-hostname  --port (9376), --http/--tcp/--udp: the hostname; on SIGTERM it logs and
                    waits for the kill, as the real one does (60 s)
    pause           prints `Paused`; SIGTERM exits 2, SIGINT 1
Logs go to stderr in Go's `log` format (`2026/12/05 06:37:03 ...`).

`/shell` runs a shell command and `/dial` reaches other hosts for the e2e suites; a stand-in
answering them would run on this host in kubesim's process mode, so they answer 501 with
the reason instead.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable

from kubesim.standins._program import Stopper, die_of, err, exit_now, out
from kubesim.standins._program import port as standin_port

VERSION = "2.40"


def log(text: str) -> None:
    err(time.strftime("%Y/%m/%d %H:%M:%S ") + text)


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String(): `12.345678901s`, `1m2.5s`, `1h0m0s`."""
    if seconds < 1:
        micro = seconds * 1e6
        if micro < 1000:
            return f"{micro:.3f}".rstrip("0").rstrip(".") + "µs"
        return f"{seconds * 1e3:.6f}".rstrip("0").rstrip(".") + "ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs:.9f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{int(hours)}h{int(minutes)}m{text}"
    if minutes:
        return f"{int(minutes)}m{text}"
    return text


def go_now() -> str:
    """Go's `%v` of time.Now(): `2026-12-05 06:37:03.123456789 +0000 UTC m=+1.000000001`."""
    now = time.time()
    frac = f"{now % 1:.9f}"[2:]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    zone = time.strftime("%z", time.localtime(now))
    name = time.strftime("%Z", time.localtime(now))
    return f"{stamp}.{frac} {zone} {name} m=+{time.monotonic() - STARTED:.9f}"


STARTED = time.monotonic()
Route = Callable[["Handler", dict[str, str]], tuple[int, str, dict[str, str]]]


class Handler(http.server.BaseHTTPRequestHandler):
    """Go's net/http as these servers use it: text bodies, no Server header."""

    protocol_version = "HTTP/1.1"
    routes: dict[str, Route] = {}
    then: Callable[[], None] | None = None  # what a route asks done after its reply

    def version_string(self) -> str:
        return ""

    def send_header(self, keyword: str, value: str) -> None:
        if keyword == "Server":
            return  # Go's net/http sends none
        super().send_header(keyword, value)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        route = self.routes.get(split.path) or self.routes.get("/")
        if route is None:
            self._reply(404, "404 page not found\n", {})
            return
        status, body, headers = route(self, query)
        self._reply(status, body, headers)
        if self.then is not None:
            self.then()  # once the reply is sent, as Go's graceful Shutdown lets it finish

    do_POST = do_GET  # noqa: N815 - the Go handlers take any method

    def _reply(self, status: int, body: str, headers: dict[str, str]) -> None:
        data = body.encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", headers.get("Content-Type", "text/plain; charset=utf-8"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _stop_self() -> None:
    """The stop the main thread waits for, sent by a route's handler once it has replied."""
    os.kill(os.getpid(), signal.SIGTERM)


def _serve(port: int, routes: dict[str, Route]) -> _Server:
    handler = type("Routes", (Handler,), {"routes": routes})
    try:
        server = _Server(("0.0.0.0", port), handler)
    except OSError as exc:
        log(f"listen tcp :{port}: bind: {exc.strerror.lower() if exc.strerror else exc}")
        sys.exit(1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _flags(args: list[str], defaults: dict[str, str]) -> dict[str, str]:
    """cobra/pflag's `--name=value` and `--name value` (and bare booleans)."""
    flags = dict(defaults)
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            i += 1
            continue
        name, eq, value = arg[2:].partition("=")
        if not eq:
            if defaults.get(name) in ("true", "false"):
                value = "true"
            elif i + 1 < len(args):
                i += 1
                value = args[i]
        flags[name] = value
        i += 1
    return flags


# -- liveness --
def liveness(_args: list[str]) -> int:
    stopper = Stopper((signal.SIGTERM, signal.SIGINT))
    started = time.monotonic()

    def started_route(_h: Handler, _q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        return 200, go_duration(time.monotonic() - started), {}

    def healthz(_h: Handler, _q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        duration = time.monotonic() - started
        if duration > 10:
            return 500, f"error: {duration!r}", {}
        return 200, "ok", {}

    def redirect(_h: Handler, q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        loc = q.get("loc", "")
        return (
            302,
            f'<a href="{loc}">Found</a>.\n\n',
            {"Location": loc, "Content-Type": "text/html; charset=utf-8"},
        )

    routes: dict[str, Route] = {
        "/started": started_route,
        "/healthz": healthz,
        "/redirect": redirect,
    }
    _serve(standin_port(8080), routes)
    return die_of(stopper.wait())


# -- netexec --
def netexec(args: list[str]) -> int:
    stopper = Stopper((signal.SIGTERM, signal.SIGINT))
    flags = _flags(args, {"http-port": "8080", "udp-port": "8081", "sctp-port": "-1"})
    http_port, udp_port = int(flags["http-port"]), int(flags["udp-port"])
    ready = threading.Event()
    hostname = socket.gethostname()
    exit_code: list[int] = []

    def root(_h: Handler, _q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        log("GET /")
        return 200, f"NOW: {go_now()}", {}

    def clientip(h: Handler, _q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        log("GET /clientip")
        host, port = h.client_address[:2]
        return 200, f"{host}:{port}", {}

    def echo(_h: Handler, q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        msg, code = q.get("msg", ""), q.get("code", "")
        log(f"GET /echo?msg={msg}&code={code}")
        if code:
            if not code.lstrip("-").isdigit():
                return (
                    200,
                    f"argument 'code' must be an integer or empty, got {json.dumps(code)}\n",
                    {},
                )
            return int(code), msg, {}
        return 200, msg, {}

    def host(_h: Handler, _q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        log("GET /hostname")
        return 200, hostname, {}

    def healthz(_h: Handler, _q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        log("GET /healthz")
        return (200 if ready.is_set() else 412), "", {}

    def exit_route(h: Handler, q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        code = q.get("code", "")
        log(f"GET /exit?code={code}&timeout={q.get('timeout', '')}&wait={q.get('wait', '')}")
        if code and not code.isdigit():
            return (
                200,
                f"argument 'code' must be an integer [0-127] or empty, got {json.dumps(code)}\n",
                {},
            )
        exit_code.append(int(code or 0))
        h.then = _stop_self
        return 200, "", {}

    def shutdown(h: Handler, _q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        log("GET /shutdown")
        exit_code.append(0)
        h.then = _stop_self
        return 200, "", {}

    def redirect(_h: Handler, q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        location, code = q.get("location", ""), int(q.get("code") or 302)
        return code, "", {"Location": location}

    def refused(_h: Handler, _q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        return (
            501,
            (
                "kubesim's agnhost stand-in does not run /shell or /dial: in kubesim's process "
                "mode they would run on the host. Use `kubectl exec` for commands in a pod.\n"
            ),
            {},
        )

    routes: dict[str, Route] = {
        "/": root,
        "/clientip": clientip,
        "/echo": echo,
        "/hostname": host,
        "/hostName": host,
        "/healthz": healthz,
        "/exit": exit_route,
        "/shutdown": shutdown,
        "/redirect": redirect,
        "/shell": refused,
        "/dial": refused,
    }
    if udp_port != -1:
        threading.Thread(target=_udp, args=(udp_port, hostname, ready), daemon=True).start()
    log(f"Started HTTP server on port {http_port}")
    _serve(http_port, routes)
    got = stopper.wait()
    if exit_code:
        log("Graceful shutdown completed with: <nil>")
        return exit_code[0]
    return die_of(got)


def _udp(port: int, hostname: str, ready: threading.Event) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("0.0.0.0", port))
    except OSError as exc:
        log(f"listen udp :{port}: bind: {exc.strerror}")
        return
    log(f"Started UDP server on port {port}")
    ready.set()
    while True:
        data, peer = sock.recvfrom(2048)
        text = data.decode(errors="replace").strip()
        if text == "hostname":
            reply = hostname
        elif text.startswith("echo "):
            reply = text[5:]
        elif text == "clientip":
            reply = f"{peer[0]}:{peer[1]}"
        else:
            reply = "unknown command"
        sock.sendto(reply.encode(), peer)


# -- serve-hostname --
def serve_hostname(args: list[str]) -> int:
    stopper = Stopper((signal.SIGTERM,))
    flags = _flags(
        args, {"tcp": "false", "udp": "false", "http": "true", "close": "false", "port": "9376"}
    )
    do_http = flags["http"] == "true" and "--http=false" not in args
    do_tcp, do_udp = flags["tcp"] == "true", flags["udp"] == "true"
    port = int(flags["port"])
    if do_http and (do_tcp or do_udp):
        log("Can't server TCP/UDP mode and HTTP mode at the same time")
        return 1
    hostname = socket.gethostname()
    if do_http:

        def answer(h: Handler, _q: dict[str, str]) -> tuple[int, str, dict[str, str]]:
            log(f"HTTP request from {h.client_address[0]}:{h.client_address[1]}")
            return 200, hostname, ({"Connection": "close"} if flags["close"] == "true" else {})

        _serve(port, {"/": answer})
    if do_tcp:
        threading.Thread(target=_tcp_hostname, args=(port, hostname), daemon=True).start()
    log(f"Serving on port {port}.")
    stopper.wait()
    log("Shutting down after receiving signal: terminated.")
    log("Awaiting pod deletion.")
    time.sleep(60)
    return 0


def _tcp_hostname(port: int, hostname: str) -> None:
    class One(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            log(f"TCP request from {self.client_address[0]}:{self.client_address[1]}")
            self.request.sendall(hostname.encode())

    socketserver.ThreadingTCPServer(("0.0.0.0", port), One).serve_forever()


# -- pause --
def pause(_args: list[str]) -> int:
    stopper = Stopper((signal.SIGTERM, signal.SIGINT))
    out("Paused")
    got = stopper.wait()
    return 2 if got == signal.SIGTERM else 1


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "liveness": liveness,
    "netexec": netexec,
    "serve-hostname": serve_hostname,
    "pause": pause,
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("/agnhost", "agnhost"):
        args = args[1:]  # `command: [/agnhost, netexec, ...]` names the binary itself
    if not args:
        args = ["pause"]
    if args[0] in ("--version", "version"):
        out(f"app version {VERSION}")
        return 0
    run = COMMANDS.get(args[0])
    if run is None:
        err(f'Error: unknown command "{args[0]}" for "app"')
        err("Run 'app --help' for usage.")
        return 1
    return run(args[1:])


if __name__ == "__main__":
    exit_now(main())
