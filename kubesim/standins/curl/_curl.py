"""curlimages/curl: its entrypoint, and curl for plain HTTP with the flags tutorials use.

The image's `/entrypoint.sh` runs `curl "$@"` when the first argument is an option or no
program of that name exists, else `exec "$@"` (so `-- sh -c ...` runs a shell). curl here is
a Python program, so in kubesim it reaches Services by name and pod IPs as a pod does (the
pod network shim works for Python programs). It speaks HTTP and HTTPS: a server's certificate
is verified against `--cacert FILE` (the docs' "Accessing the Kubernetes API from a Pod" uses
the service account's ca.crt) or the image's CA store, which knows no cluster's CA, so
without either it fails as curl does (`(60) SSL certificate problem: ...`); `-k` skips the
check. Flags: -s -S -v -i -I -o -X -d/--data(-raw) -H -A -u -m/--max-time --connect-timeout
-f -L -w (`%{http_code}` and friends) -k --cacert --retry; unknown options are curl's
`option --x: is unknown` error (exit 2). Errors use curl's words and exit codes: `curl: (6)
Could not resolve host: x`, `(7) Failed to connect`, `(28) ... timed out`, `(22) The
requested URL returned error: 404`.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import os
import shutil
import socket
import ssl
import sys
import time
import urllib.parse
from dataclasses import dataclass, field

VERSION = "8.11.1"
WITH_VALUE = {
    "-o": "output",
    "--output": "output",
    "-X": "method",
    "--request": "method",
    "-d": "data",
    "--data": "data",
    "--data-raw": "data",
    "--data-binary": "data",
    "-H": "header",
    "--header": "header",
    "-A": "agent",
    "--user-agent": "agent",
    "-u": "user",
    "--user": "user",
    "-m": "max_time",
    "--max-time": "max_time",
    "--connect-timeout": "connect_timeout",
    "-w": "write_out",
    "--write-out": "write_out",
    "--retry": "retry",
    "--cacert": "cacert",
}
# what curl 8 adds under a certificate it could not verify (exit 60)
NOT_VERIFIED = """
More details here: https://curl.se/docs/sslcerts.html

curl failed to verify the legitimacy of the server and therefore could not
establish a secure connection to it. To learn more about this situation and
how to fix it, please visit the webpage mentioned above."""
FLAGS = {
    "-s": "silent",
    "--silent": "silent",
    "-S": "show_error",
    "--show-error": "show_error",
    "-v": "verbose",
    "--verbose": "verbose",
    "-i": "include",
    "--include": "include",
    "-I": "head",
    "--head": "head",
    "-f": "fail",
    "--fail": "fail",
    "-L": "location",
    "--location": "location",
    "-k": "insecure",
    "--insecure": "insecure",
    "-4": "ipv4",
    "-N": "no_buffer",
    "--no-buffer": "no_buffer",
}


class CurlError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Options:
    urls: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    headers: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    output: str | None = None
    method: str | None = None
    agent: str = f"curl/{VERSION}"
    user: str | None = None
    max_time: float | None = None
    connect_timeout: float | None = None
    write_out: str | None = None
    retry: int = 0
    cacert: str | None = None


def parse(args: list[str]) -> Options:
    opts = Options()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in WITH_VALUE or (
            arg.startswith("--") and "=" in arg and arg.split("=")[0] in WITH_VALUE
        ):
            if "=" in arg and arg.startswith("--"):
                arg, value = arg.split("=", 1)
            else:
                if i + 1 >= len(args):
                    raise CurlError(2, f"option {arg}: requires parameter")
                i += 1
                value = args[i]
            _set(opts, WITH_VALUE[arg], value)
        elif arg in FLAGS:
            opts.flags.add(FLAGS[arg])
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 2:
            rest = arg[1:]  # combined short options: -sS, -sSf, -so file, -XPOST
            for j, letter in enumerate(rest):
                short = "-" + letter
                if short in FLAGS:
                    opts.flags.add(FLAGS[short])
                elif short in WITH_VALUE:
                    value = rest[j + 1 :]
                    if not value:
                        if i + 1 >= len(args):
                            raise CurlError(2, f"option {short}: requires parameter")
                        i += 1
                        value = args[i]
                    _set(opts, WITH_VALUE[short], value)
                    break
                else:
                    raise CurlError(2, f"option -{letter}: is unknown")
        elif arg.startswith("-") and arg != "-":
            raise CurlError(2, f"option {arg}: is unknown")
        else:
            opts.urls.append(arg)
        i += 1
    return opts


def _set(opts: Options, name: str, value: str) -> None:
    if name == "header":
        opts.headers.append(value)
    elif name == "data":
        opts.data.append(value)
    elif name in ("max_time", "connect_timeout"):
        setattr(opts, name, float(value))
    elif name == "retry":
        opts.retry = int(value)
    else:
        setattr(opts, name, value)


@dataclass
class Result:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    url: str
    remote_ip: str
    remote_port: int
    seconds: float


def fetch(url: str, opts: Options, *, redirects: int = 0) -> Result:
    started = time.monotonic()
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise CurlError(1, f'Protocol "{parts.scheme}" not supported')
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        raise CurlError(6, f"Could not resolve host: {host}") from None
    address = str(infos[0][4][0])
    timeout = opts.connect_timeout or opts.max_time or 300.0
    if opts.max_time is not None:
        timeout = min(timeout, opts.max_time)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise CurlError(
            28, f"Connection timed out after {int(timeout * 1000)} milliseconds"
        ) from None
    except OSError:
        spent = int((time.monotonic() - started) * 1000)
        raise CurlError(
            7,
            f"Failed to connect to {host} port {port} after {spent} ms: Couldn't connect to server",
        ) from None
    remote_ip = address
    if parts.scheme == "https":
        sock = _tls(sock, host, opts)
    conn = http.client.HTTPConnection(host, port, timeout=opts.max_time or 300.0)
    conn.sock = sock
    method = opts.method or ("HEAD" if "head" in opts.flags else ("POST" if opts.data else "GET"))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": parts.netloc, "User-Agent": opts.agent, "Accept": "*/*"}
    body = "&".join(opts.data).encode() if opts.data else None
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if opts.user:
        headers["Authorization"] = "Basic " + base64.b64encode(opts.user.encode()).decode()
    for line in opts.headers:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    if "verbose" in opts.flags:
        _err(f"*   Trying {remote_ip}:{port}...")
        _err(f"* Connected to {host} ({remote_ip}) port {port}")
        _err(f"> {method} {path} HTTP/1.1")
        for k, v in headers.items():
            _err(f"> {k}: {v}")
        _err(">")
    try:
        conn.request(method, path, body=body, headers=headers)
        reply = conn.getresponse()
        data = b"" if method == "HEAD" else reply.read()
    except TimeoutError:
        spent = int((time.monotonic() - started) * 1000)
        raise CurlError(
            28, f"Operation timed out after {spent} milliseconds with 0 bytes received"
        ) from None
    except (OSError, http.client.HTTPException):
        raise CurlError(52, "Empty reply from server") from None
    finally:
        conn.close()
    version = "HTTP/1.1" if reply.version == 11 else "HTTP/1.0"
    result = Result(
        reply.status,
        reply.reason,
        version,
        reply.getheaders(),
        data,
        url,
        remote_ip,
        port,
        time.monotonic() - started,
    )
    location = reply.getheader("Location")
    if "location" in opts.flags and location and 300 <= reply.status < 400 and redirects < 50:
        return fetch(urllib.parse.urljoin(url, location), opts, redirects=redirects + 1)
    return result


def _tls(sock: socket.socket, host: str, opts: Options) -> ssl.SSLSocket:
    """The TLS handshake, the server's certificate checked as curl checks it."""
    try:
        context = ssl.create_default_context(cafile=opts.cacert)
    except OSError:
        sock.close()
        raise CurlError(77, f"error setting certificate file: {opts.cacert}") from None
    if "insecure" in opts.flags:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        tls = context.wrap_socket(sock, server_hostname=host)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        if exc.verify_code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH
            why = (
                "SSL: no alternative certificate subject name matches target "
                f"{_target_kind(host)} '{host}'"
            )
        else:
            why = f"SSL certificate problem: {exc.verify_message}"
        raise CurlError(60, why + NOT_VERIFIED) from None
    except (ssl.SSLError, OSError) as exc:
        sock.close()
        raise CurlError(35, f"TLS connect error: {getattr(exc, 'reason', None) or exc}") from None
    if "verbose" in opts.flags:
        cipher = tls.cipher()
        _err(f"* SSL connection using {tls.version()} / {cipher[0] if cipher else ''}")
    return tls


def _target_kind(host: str) -> str:
    """What curl calls the name it checked the certificate against."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "hostname"
    return f"ipv{address.version} address"


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _write_out(fmt: str, r: Result) -> str:
    values = {
        "http_code": f"{r.status:03d}",
        "response_code": f"{r.status:03d}",
        "time_total": f"{r.seconds:.6f}",
        "size_download": str(len(r.body)),
        "url_effective": r.url,
        "remote_ip": r.remote_ip,
        "remote_port": str(r.remote_port),
        "content_type": dict((k.lower(), v) for k, v in r.headers).get("content-type", ""),
    }
    text = fmt.replace("\\n", "\n").replace("\\t", "\t")
    for key, value in values.items():
        text = text.replace("%{" + key + "}", value)
    return text


def _meter(size: int, seconds: float) -> None:
    """curl's progress meter, which it prints to stderr when its output is not a terminal."""
    speed = int(size / seconds) if seconds > 0 else size
    human = f"{speed}" if speed < 100000 else f"{speed // 1024}k"
    _err("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current")
    _err("                                 Dload  Upload   Total   Spent    Left  Speed")
    _err(
        f"\r100 {size:>5}  100 {size:>5}    0     0 {human:>6}      0 --:--:-- --:--:-- --:--:-- {human:>6}"
    )


def curl(args: list[str]) -> int:
    try:
        opts = parse(args)
    except CurlError as exc:
        _err(f"curl: {exc}")
        _err("curl: try 'curl --help' or 'curl --manual' for more information")
        return exc.code
    if not opts.urls:
        _err("curl: try 'curl --help' or 'curl --manual' for more information")
        return 2
    silent, show_error = "silent" in opts.flags, "show_error" in opts.flags
    code = 0
    for url in opts.urls:
        attempts = opts.retry + 1
        for attempt in range(attempts):
            try:
                result = fetch(url, opts)
                break
            except CurlError as exc:
                if attempt + 1 < attempts and exc.code in (6, 7, 28):
                    time.sleep(1)
                    continue
                if not silent or show_error:
                    _err(f"curl: ({exc.code}) {exc}")
                code = exc.code
                result = None
                break
        if result is None:
            continue
        if "fail" in opts.flags and result.status >= 400:
            if not silent or show_error:
                _err(f"curl: (22) The requested URL returned error: {result.status}")
            code = 22
            continue
        head = f"{result.version} {result.status} {result.reason}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in result.headers
        )
        payload = result.body
        if "include" in opts.flags or "head" in opts.flags:
            payload = (head + "\r\n").encode() + payload
        if "verbose" in opts.flags:
            for line in head.rstrip("\r\n").split("\r\n"):
                _err(f"< {line}")
            _err("<")
        if opts.output and opts.output != "-":
            with open(opts.output, "wb") as handle:
                handle.write(payload)
            if not silent:
                _meter(len(payload), result.seconds)
        else:
            if not silent and not sys.stdout.isatty():
                _meter(len(payload), result.seconds)
            sys.stdout.buffer.write(payload)
            sys.stdout.flush()
        if opts.write_out:
            sys.stdout.write(_write_out(opts.write_out, result))
            sys.stdout.flush()
    return code


def entrypoint(args: list[str]) -> int:
    """The image's /entrypoint.sh: curl for options or unknown programs, else exec them."""
    if not args:
        args = ["curl"]
    if args[0] == "curl":
        return curl(args[1:])
    if args[0].startswith("-") or shutil.which(args[0]) is None:
        return curl(args)
    os.execvp(args[0], args)
    return 127  # execvp does not return
