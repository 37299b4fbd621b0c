"""The nginx stand-in: the official image's entrypoint, then nginx serving its configuration.

What a tutorial sees of the real `nginx` image, from one process:
- the entrypoint's start-up lines on stdout (`/docker-entrypoint.sh: ...`, from 1.19 on) and
  nginx's `[notice]` lines on stderr (error_log ... notice);
- `/etc/nginx/nginx.conf` and `conf.d/*.conf` read at start (a configMap mounted over them is
  what is served), the welcome page and `50x.html` from `/usr/share/nginx/html`;
- responses with `Server: nginx/<version>`, nginx's own error pages (`404 Not Found` ...
  `<hr><center>nginx/1.27.5</center>`), 301 to a folder's slash, 403 for a folder without an
  index, 405 for a POST to a static file, `error_page`, `return`, `try_files` and
  `proxy_pass` (502 with nginx's error log line when the upstream refuses);
- the access log in the `main` format on stdout, errors on stderr (the image links
  access.log and error.log to them);
- SIGQUIT (the image's STOPSIGNAL) shuts down gracefully and SIGTERM fast, both exit 0,
  with nginx's notices.
One process, threads for connections: no worker processes, so `ps` shows one.
"""

from __future__ import annotations

import email.utils
import http.client
import http.server
import itertools
import os
import re
import resource
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from kubesim.standins._program import ImageFiles, Stopper, err, name_process, out
from kubesim.standins.nginx._conf import (
    MAIN_LOG_FORMAT,
    ConfError,
    Directive,
    Http,
    Location,
    Server,
    first,
    load,
)

FILES = ImageFiles(
    Path(__file__).resolve().parent / "files", ("/etc/nginx", "/usr/share/nginx/html")
)
PACKAGED_DEFAULT_CONF = FILES.packaged / "etc/nginx/conf.d/default.conf"

# What a tag's image runs: `latest`, `stable` and the minor tags name a release.
LATEST = "1.29.3"
ALIASES = {
    "latest": LATEST,
    "mainline": LATEST,
    "alpine": LATEST,
    "perl": LATEST,
    "stable": "1.28.0",
    "1.29": LATEST,
    "1.28": "1.28.0",
    "1.27": "1.27.5",
    "1.26": "1.26.3",
    "1.25": "1.25.5",
    "1.24": "1.24.0",
    "1.23": "1.23.4",
    "1.21": "1.21.6",
    "1.19": "1.19.10",
    "1.17": "1.17.10",
    "1.15": "1.15.12",
}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}
REASONS = {
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Not Allowed",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def version() -> str:
    tag = os.environ.get("NGINX_VERSION", LATEST)
    for suffix in ("-alpine-slim", "-alpine-perl", "-alpine", "-perl", "-bookworm", "-trixie"):
        tag = tag.removesuffix(suffix)
    return ALIASES.get(tag, tag)


def _newer_than(v: str, minor: int) -> bool:
    """Whether nginx version `v` (1.x.y) is 1.`minor` or later."""
    parts = v.split(".")
    return len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= minor


def _built_by(v: str) -> str:
    if _newer_than(v, 29):
        return "gcc 14.2.0 (Debian 14.2.0-19) "
    if _newer_than(v, 23):
        return "gcc 12.2.0 (Debian 12.2.0-14) "
    return "gcc 10.2.1 20210110 (Debian 10.2.1-6) "


class ErrorLog:
    """nginx's error log on stderr: `2026/12/05 06:37:03 [notice] 1#1: ...`."""

    LEVELS = ("debug", "info", "notice", "warn", "error", "crit", "alert", "emerg")

    def __init__(self, level: str = "error") -> None:
        self.level = level if level in self.LEVELS else "error"
        self.worker = os.getpid()  # the serving thread's id once it runs: nginx's worker pid

    def log(self, level: str, text: str, *, worker: bool = False) -> None:
        if self.LEVELS.index(level) < self.LEVELS.index(self.level):
            return
        pid = self.worker if worker else os.getpid()
        stamp = time.strftime("%Y/%m/%d %H:%M:%S")
        err(f"{stamp} [{level}] {pid}#{pid}: {text}")


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class Nginx:
    def __init__(self, main: list[Directive], http_: Http, v: str) -> None:
        self.version = v
        self.http = http_
        error_log = first(main, "error_log")
        level = error_log.args[1] if error_log and len(error_log.args) > 1 else "error"
        if not _newer_than(v, 19) and level == "notice":
            level = "warn"  # the images before 1.19 shipped `error_log ... warn`
        self.error_log = ErrorLog(level)
        self.connections = itertools.count(1)
        access = first(http_.directives, "access_log")
        self.access_format: str | None = MAIN_LOG_FORMAT
        if access is not None:
            if access.args[:1] == ["off"]:
                self.access_format = None
            else:
                name = access.args[1] if len(access.args) > 1 else "combined"
                self.access_format = http_.log_formats.get(name, MAIN_LOG_FORMAT)

    # -- configuration lookups: location, then server, then http --
    def setting(self, name: str, server: Server, loc: Location | None) -> Directive | None:
        for scope in (loc.directives if loc else [], server.directives, self.http.directives):
            found = first(scope, name)
            if found is not None:
                return found
        return None

    def server_for(self, port: int, host: str) -> Server:
        candidates = [s for s in self.http.servers if any(p == port for _, p, _ in s.listens)]
        name = host.split(":")[0].lower()
        for s in candidates:
            if name in (n.lower() for n in s.names):
                return s
        for s in candidates:
            if any(p == port and d for _, p, d in s.listens):
                return s
        return candidates[0]

    def ports(self) -> list[tuple[str, int]]:
        seen: list[tuple[str, int]] = []
        for s in self.http.servers:
            for address, port, _ in s.listens:
                if ":" in address:
                    continue  # IPv6: the pod network is IPv4 only
                bind = "0.0.0.0" if address == "*" else address
                if (bind, port) not in seen:
                    seen.append((bind, port))
        return seen

    def check_upstreams(self) -> None:
        """nginx resolves a proxy_pass host when it reads its configuration."""
        for s in self.http.servers:
            for loc in s.locations:
                d = first(loc.directives, "proxy_pass")
                if d is None or not d.args:
                    continue
                parsed = urllib.parse.urlsplit(d.args[0])
                if parsed.scheme not in ("http", "https") or not parsed.hostname:
                    raise ConfError(f'invalid URL prefix in "{d.args[0]}" in {d.where}')
                if "$" in parsed.netloc:
                    continue
                try:
                    socket.getaddrinfo(parsed.hostname, parsed.port or 80)
                except OSError:
                    raise ConfError(
                        f'host not found in upstream "{parsed.netloc}" in {d.where}'
                    ) from None


def error_page(status: int, v: str) -> bytes:
    reason = REASONS.get(status, http.client.responses.get(status, ""))
    title = f"{status} {reason}"
    lines = [
        "<html>",
        f"<head><title>{title}</title></head>",
        "<body>",
        f"<center><h1>{title}</h1></center>",
        f"<hr><center>nginx/{v}</center>",
        "</body>",
        "</html>",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TCPServer

    def version_string(self) -> str:
        return f"nginx/{self.server.nginx.version}"

    def setup(self) -> None:
        super().setup()
        self.connection_id = next(self.server.nginx.connections)

    def log_message(self, format: str, *args: object) -> None:
        return  # our access log is written in `finish_request`, nginx's format

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        del message, explain  # nginx's page says only the status
        # the stdlib's own parse errors (a bad request line, too long headers)
        self.close_connection = True
        self._send(Response(code, [("Content-Type", "text/html")], self._page(code)), "GET")

    def _page(self, code: int) -> bytes:
        return error_page(code, self.server.nginx.version)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's names
        self._respond("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._respond("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._respond("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._respond("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self._respond("PATCH")

    def do_OPTIONS(self) -> None:  # noqa: N802
        self._respond("OPTIONS")

    # -- one request --
    def _respond(self, method: str) -> None:
        nginx = self.server.nginx
        length = int(self.headers.get("Content-Length") or 0)
        self.body_in = self.rfile.read(length) if length > 0 else b""
        port = self.connection.getsockname()[1]
        self.vhost = nginx.server_for(port, self.headers.get("Host", ""))
        split = urllib.parse.urlsplit(self.path)
        uri = urllib.parse.unquote(split.path or "/")
        if not uri.startswith("/") or _escapes(uri):
            response = Response(400, [("Content-Type", "text/html")], self._page(400))
        else:
            response = self._process(method, uri, split.query, depth=0)
        self._send(response, method)

    def _process(self, method: str, uri: str, query: str, *, depth: int) -> Response:
        nginx = self.server.nginx
        loc = self.vhost.location(uri)
        ret = (
            nginx.setting("return", self.vhost, loc)
            if loc
            else first(self.vhost.directives, "return")
        )
        if ret is not None:
            return self._return(ret, method, uri, depth=depth)
        proxy = first(loc.directives, "proxy_pass") if loc else None
        if proxy is not None and proxy.args:
            return self._proxy(proxy.args[0], method, uri, query, loc, depth=depth)
        try_files = nginx.setting("try_files", self.vhost, loc)
        if try_files is not None and len(try_files.args) >= 2:
            for candidate in try_files.args[:-1]:
                path = candidate.replace("$uri", uri)
                real = self._file_for(path, loc)
                if real is not None and (real.is_dir() if path.endswith("/") else real.is_file()):
                    return self._static(method, path, loc, depth=depth)
            last = try_files.args[-1]
            if last.startswith("=") and last[1:].isdigit():
                return self._error(int(last[1:]), method, uri, depth=depth)
            if depth < 10:
                return self._process(method, last.replace("$uri", uri), query, depth=depth + 1)
            return self._error(500, method, uri, depth=depth)
        return self._static(method, uri, loc, depth=depth)

    def _file_for(self, uri: str, loc: Location | None) -> Path | None:
        nginx = self.server.nginx
        alias = first(loc.directives, "alias") if loc else None
        if alias is not None and alias.args and loc is not None and loc.modifier != "~":
            container = alias.args[0] + uri[len(loc.pattern) :]
        else:
            root = nginx.setting("root", self.vhost, loc)
            base = root.args[0] if root and root.args else "/etc/nginx/html"
            container = base.rstrip("/") + uri
        self.container_path = container
        return FILES.path(container)

    def _static(self, method: str, uri: str, loc: Location | None, *, depth: int) -> Response:
        nginx = self.server.nginx
        real = self._file_for(uri, loc)
        assert real is not None
        if uri.endswith("/"):
            index = nginx.setting("index", self.vhost, loc)
            names = index.args if index and index.args else ["index.html"]
            for name in names:
                if (real / name).is_file():
                    return self._static(method, uri + name, loc, depth=depth)
            if real.is_dir():
                self._log_error(f'directory index of "{self.container_path}" is forbidden')
                return self._error(403, method, uri, depth=depth)
            self._log_error(
                f'"{self.container_path}index.html" is not found (2: No such file or directory)'
            )
            return self._error(404, method, uri, depth=depth)
        if real.is_dir():
            host = self.headers.get("Host") or self.connection.getsockname()[0]
            location = f"http://{host}{urllib.parse.quote(uri)}/"
            return self._redirect(301, location)
        try:
            data = real.read_bytes()
            stat = real.stat()
        except FileNotFoundError:
            self._log_error(f'open() "{self.container_path}" failed (2: No such file or directory)')
            return self._error(404, method, uri, depth=depth)
        except PermissionError:
            self._log_error(f'open() "{self.container_path}" failed (13: Permission denied)')
            return self._error(403, method, uri, depth=depth)
        except OSError:
            return self._error(500, method, uri, depth=depth)
        if method not in ("GET", "HEAD"):
            return self._error(405, method, uri, depth=depth)
        ext = uri.rsplit(".", 1)[-1].lower() if "." in uri.rsplit("/", 1)[-1] else ""
        default = nginx.setting("default_type", self.vhost, loc)
        ctype = nginx.http.types.get(ext) or (
            default.args[0] if default and default.args else "text/plain"
        )
        headers = [
            ("Content-Type", ctype),
            ("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True)),
            ("ETag", f'"{int(stat.st_mtime):x}-{stat.st_size:x}"'),
            ("Accept-Ranges", "bytes"),
        ]
        return Response(200, headers, data)

    def _return(self, d: Directive, method: str, uri: str, *, depth: int) -> Response:
        args = d.args
        if args and not args[0].isdigit():
            return self._redirect(302, self._expand(args[0], uri))
        code = int(args[0]) if args else 444
        text = self._expand(args[1], uri) if len(args) > 1 else None
        if code in (301, 302, 303, 307, 308) and text is not None:
            return self._redirect(code, text)
        if text is None:
            if code >= 400 or code == 204:
                return self._error(code, method, uri, depth=depth)
            return Response(code, [("Content-Type", "text/plain")], b"")
        default = self.server.nginx.setting("default_type", self.vhost, self.vhost.location(uri))
        ctype = default.args[0] if default and default.args else "text/plain"
        return Response(code, [("Content-Type", ctype)], text.encode())

    def _expand(self, text: str, uri: str) -> str:
        values = {
            "uri": uri,
            "request_uri": self.path,
            "host": (self.headers.get("Host") or "").split(":")[0],
            "scheme": "http",
            "remote_addr": self.client_address[0],
            "server_name": self.vhost.names[0],
            "hostname": socket.gethostname(),
            "request_method": self.command,
        }
        return re.sub(r"\$(\w+)", lambda m: values.get(m.group(1), ""), text)

    def _redirect(self, code: int, location: str) -> Response:
        return Response(
            code, [("Content-Type", "text/html"), ("Location", location)], self._page(code)
        )

    def _error(self, code: int, method: str, uri: str, *, depth: int) -> Response:
        """nginx's built-in page, or the `error_page` for the code (an internal redirect)."""
        nginx = self.server.nginx
        loc = self.vhost.location(uri)
        for scope in (loc.directives if loc else [], self.vhost.directives, nginx.http.directives):
            for d in scope:
                if d.name != "error_page" or len(d.args) < 2:
                    continue
                codes, target = d.args[:-1], d.args[-1]
                override = None
                if codes[-1].startswith("="):
                    override = int(codes[-1][1:]) if codes[-1][1:].isdigit() else None
                    codes = codes[:-1]
                if str(code) in codes and depth < 10:
                    if target.startswith(("http://", "https://")):
                        return self._redirect(302, target)
                    page = self._process("GET", target, "", depth=depth + 1)
                    if page.status == 200:
                        page.status = override or code
                    return page
        return Response(code, [("Content-Type", "text/html")], self._page(code))

    def _proxy(
        self, target: str, method: str, uri: str, query: str, loc: Location | None, *, depth: int
    ) -> Response:
        parsed = urllib.parse.urlsplit(target)
        host, port = parsed.hostname or "", parsed.port or 80
        if parsed.path and loc is not None and loc.modifier in ("", "^~", "="):
            path = parsed.path + uri[len(loc.pattern) :]
        else:
            path = uri if not parsed.path else parsed.path
        path = urllib.parse.quote(path) + (f"?{query}" if query else "")
        upstream = f"http://{host}:{port}{path}"
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
        headers["Host"] = parsed.netloc
        headers["Connection"] = "close"
        try:
            conn = http.client.HTTPConnection(host, port, timeout=60)
            conn.request(method, path, body=self.body_in or None, headers=headers)
            reply = conn.getresponse()
            body = reply.read()
            conn.close()
        except ConnectionRefusedError:
            self._log_error(
                "connect() failed (111: Connection refused) while connecting to upstream",
                upstream=upstream,
            )
            return self._error(502, method, uri, depth=depth)
        except TimeoutError:
            self._log_error(
                "upstream timed out (110: Connection timed out) while reading response header from upstream",
                upstream=upstream,
            )
            return self._error(504, method, uri, depth=depth)
        except OSError as exc:
            self._log_error(
                f"connect() failed ({exc.errno or 0}: {exc.strerror or exc}) while connecting to upstream",
                upstream=upstream,
            )
            return self._error(502, method, uri, depth=depth)
        kept = [
            (k, v)
            for k, v in reply.getheaders()
            if k.lower() not in HOP_BY_HOP | {"server", "date", "content-length"}
        ]
        return Response(reply.status, kept, body)

    def _log_error(self, text: str, *, upstream: str | None = None) -> None:
        parts = [
            f"*{self.connection_id} {text}",
            f"client: {self.client_address[0]}",
            f"server: {self.vhost.names[0]}",
            f'request: "{self.requestline}"',
        ]
        if upstream:
            parts.append(f'upstream: "{upstream}"')
        if self.headers.get("Host"):
            parts.append(f'host: "{self.headers["Host"]}"')
        self.server.nginx.error_log.log("error", ", ".join(parts), worker=True)

    def _send(self, response: Response, method: str) -> None:
        body = response.body
        self.send_response_only(response.status, REASONS.get(response.status))
        self.send_header("Server", self.version_string())
        self.send_header("Date", self.date_time_string())
        names = {k.lower() for k, _ in response.headers}
        for k, v in response.headers:
            self.send_header(k, v)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(body)))
        add = (
            self.server.nginx.setting("add_header", self.vhost, None)
            if hasattr(self, "vhost")
            else None
        )
        if add is not None and len(add.args) >= 2:
            self.send_header(add.args[0], add.args[1])
        if self.close_connection or self.headers is None:
            self.send_header("Connection", "close")
        else:
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)
        self._access_log(response.status, 0 if method == "HEAD" else len(body))

    def _access_log(self, status: int, sent: int) -> None:
        fmt = self.server.nginx.access_format
        if fmt is None:
            return
        headers = self.headers

        def value(name: str) -> str:
            if name.startswith("http_"):
                header = headers.get(name[5:].replace("_", "-")) if headers else None
                return header or "-"
            return {
                "remote_addr": self.client_address[0],
                "remote_user": "-",
                "time_local": time.strftime("%d/%b/%Y:%H:%M:%S %z"),
                "request": getattr(self, "requestline", ""),
                "status": str(status),
                "body_bytes_sent": str(sent),
                "request_method": getattr(self, "command", "") or "",
                "request_uri": getattr(self, "path", "") or "",
                "host": (headers.get("Host") if headers else None) or "-",
            }.get(name, "-")

        out(re.sub(r"\$(\w+)", lambda m: value(m.group(1)), fmt))


def _escapes(uri: str) -> bool:
    depth = 0
    for part in uri.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    nginx: Nginx


def entrypoint_lines(v: str) -> None:
    """What /docker-entrypoint.sh and its /docker-entrypoint.d scripts print (1.19 on)."""
    me = "/docker-entrypoint.sh"
    out(f"{me}: /docker-entrypoint.d/ is not empty, will attempt to perform configuration")
    out(f"{me}: Looking for shell scripts in /docker-entrypoint.d/")
    out(f"{me}: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh")
    script = "10-listen-on-ipv6-by-default.sh"
    conf = "/etc/nginx/conf.d/default.conf"
    real = FILES.path(conf)
    if not Path("/proc/net/if_inet6").is_file():
        out(f"{script}: info: ipv6 not available")
    elif not real.is_file():
        out(f"{script}: info: {conf} is not a file or does not exist")
    elif real.read_bytes() == PACKAGED_DEFAULT_CONF.read_bytes():
        out(f"{script}: info: Getting the checksum of {conf}")
        out(f"{script}: info: Enabled listen on IPv6 in {conf}")
    elif not os.access(real, os.W_OK):
        out(f"{script}: info: can not modify {conf} (read-only file system?)")
    elif "listen  [::]:80;" in real.read_text(errors="replace"):
        out(f"{script}: info: IPv6 listen already enabled")
    else:
        out(f"{script}: info: Getting the checksum of {conf}")
        out(f"{script}: info: {conf} differs from the packaged version")
    if _newer_than(v, 25):
        out(f"{me}: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh")
    out(f"{me}: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh")
    out(f"{me}: Launching /docker-entrypoint.d/30-tune-worker-processes.sh")
    out(f"{me}: Configuration complete; ready for start up")


def run_nginx(args: list[str], v: str) -> int:
    conf_path = "/etc/nginx/nginx.conf"
    if "-c" in args and args.index("-c") + 1 < len(args):
        conf_path = args[args.index("-c") + 1]
    if "-v" in args or "-V" in args:
        err(f"nginx version: nginx/{v}")
        return 0
    if "-s" in args and args.index("-s") + 1 < len(args):
        return send_signal(args[args.index("-s") + 1], conf_path)
    try:
        main, http_ = load(FILES, conf_path)
        nginx = Nginx(main, http_, v)
        nginx.check_upstreams()
    except ConfError as exc:
        err(f"{time.strftime('%Y/%m/%d %H:%M:%S')} [emerg] {os.getpid()}#{os.getpid()}: {exc}")
        err(f"nginx: [emerg] {exc}")
        if "-t" in args:
            err(f"nginx: configuration file {conf_path} test failed")
        return 1
    if "-t" in args:
        err(f"nginx: the configuration file {conf_path} syntax is ok")
        err(f"nginx: configuration file {conf_path} test is successful")
        return 0
    stopper = Stopper((signal.SIGTERM, signal.SIGQUIT, signal.SIGINT, signal.SIGHUP))
    listeners = Listeners()
    problem = listeners.follow(nginx)
    if problem:
        nginx.error_log.log("emerg", problem)
        err(f"nginx: [emerg] {problem}")
        return 1
    log = nginx.error_log
    log.log("notice", 'using the "epoll" event method')
    log.log("notice", f"nginx/{v}")
    log.log("notice", f"built by {_built_by(v)}")
    log.log("notice", f"OS: Linux {os.uname().release}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    log.log("notice", f"getrlimit(RLIMIT_NOFILE): {soft}:{hard}")
    log.log("notice", "start worker processes")
    log.worker = listeners.worker()
    log.log("notice", f"start worker process {log.worker}")
    _write_pid(main)
    name_process("nginx")
    while True:
        got = stopper.wait()
        if got != signal.SIGHUP:
            break
        log.log("notice", "signal 1 (SIGHUP) received, reconfiguring")
        log.log("notice", "reconfiguring")
        try:
            main, http_ = load(FILES, conf_path)
            fresh = Nginx(main, http_, v)
            fresh.check_upstreams()
        except ConfError as exc:
            log.log("emerg", str(exc))  # nginx keeps serving the configuration it had
            continue
        problem = listeners.follow(fresh)
        if problem:
            log.log("emerg", problem)
            continue
        fresh.error_log.worker = listeners.worker()
        fresh.error_log.log("notice", 'using the "epoll" event method')
        fresh.error_log.log("notice", "start worker processes")
        fresh.error_log.log("notice", f"start worker process {fresh.error_log.worker}")
        nginx, log = fresh, fresh.error_log
    action = ", shutting down" if got == signal.SIGQUIT else ", exiting"
    log.log("notice", f"signal {int(got)} ({got.name}) received{action}")
    listeners.close()
    if got == signal.SIGQUIT:
        log.log("notice", "gracefully shutting down", worker=True)
    log.log("notice", "exiting", worker=True)
    log.log("notice", "exit", worker=True)
    log.log("notice", f"signal 17 (SIGCHLD) received from {log.worker}")
    log.log("notice", f"worker process {log.worker} exited with code 0")
    log.log("notice", "exit")
    return 0


class Listeners:
    """The listening sockets of the current configuration; a reload keeps the ones it still
    names (their connections carry on), opens new ones and closes the rest."""

    def __init__(self) -> None:
        self.open: dict[tuple[str, int], tuple[_TCPServer, threading.Thread]] = {}

    def follow(self, nginx: Nginx) -> str | None:
        wanted = nginx.ports()
        for address, port in wanted:
            if (address, port) in self.open:
                continue
            try:
                srv = _TCPServer((address, port), Handler)
            except OSError as exc:
                return f"bind() to {address}:{port} failed ({exc.errno}: {exc.strerror})"
            srv.nginx = nginx
            thread = threading.Thread(target=srv.serve_forever, daemon=True)
            thread.start()
            self.open[(address, port)] = (srv, thread)
        for key in [k for k in self.open if k not in wanted]:
            srv, _ = self.open.pop(key)
            srv.shutdown()
            srv.server_close()
        for srv, _ in self.open.values():
            srv.nginx = nginx
        return None

    def worker(self) -> int:
        for _, thread in self.open.values():
            if thread.native_id:
                return thread.native_id
        return os.getpid()

    def close(self) -> None:
        for srv, _ in self.open.values():
            srv.shutdown()
            srv.server_close()
        self.open.clear()


def _write_pid(main: list[Directive]) -> None:
    """The `pid` file, for `nginx -s reload`; only as a container's PID 1, so that kubesim's
    process mode never writes into the host's /run."""
    if os.getpid() != 1:
        return
    d = first(main, "pid")
    path = Path(d.args[0] if d and d.args else "/run/nginx.pid")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{os.getpid()}\n")
    except OSError:
        pass


SIGNALS = {
    "stop": signal.SIGTERM,
    "quit": signal.SIGQUIT,
    "reload": signal.SIGHUP,
    "reopen": signal.SIGUSR1,
}


def send_signal(name: str, conf_path: str) -> int:
    """`nginx -s reload|stop|quit|reopen`: signal the master named in its pid file."""
    if name not in SIGNALS:
        err(f'nginx: invalid option: "-s {name}"')
        return 1
    try:
        main, _ = load(FILES, conf_path)
    except ConfError as exc:
        err(f"nginx: [emerg] {exc}")
        return 1
    d = first(main, "pid")
    pid_file = d.args[0] if d and d.args else "/run/nginx.pid"
    try:
        pid = int(Path(pid_file).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        err(f'nginx: [error] open() "{pid_file}" failed (2: No such file or directory)')
        return 1
    try:
        os.kill(pid, SIGNALS[name])
    except OSError as exc:
        err(
            f"nginx: [error] kill({pid}, {int(SIGNALS[name])}) failed ({exc.errno}: {exc.strerror})"
        )
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """The image's ENTRYPOINT: `/docker-entrypoint.sh nginx -g 'daemon off;'`."""
    args = list(sys.argv[1:] if argv is None else argv)
    v = version()
    if not args:
        args = ["nginx", "-g", "daemon off;"]
    if args[0] not in ("nginx", "nginx-debug"):
        try:
            os.execvp(args[0], args)  # the entrypoint's `exec "$@"`
        except OSError as exc:
            err(f"/docker-entrypoint.sh: exec: line 47: {args[0]}: not found")
            return 127 if isinstance(exc, FileNotFoundError) else 126
    if _newer_than(v, 19):
        entrypoint_lines(v)
    return run_nginx(args[1:], v)
