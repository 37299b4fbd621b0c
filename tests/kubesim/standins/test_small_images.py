"""goproxy, redis and curl stand-ins answer as the real programs do for the docs' uses."""

from __future__ import annotations

import http.client
import http.server
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest
from standin_process import free_port

from kubesim.apiserver.certs import ensure_tls


class _Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/missing":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = f"site saw {self.path} ua={self.headers['User-Agent']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()


@pytest.fixture
def tls_site(tmp_path):
    """The same site over HTTPS, with a certificate from kubesim's own CA (as the API
    server's: SANs localhost and 127.0.0.1); yields its port and the CA's file."""
    files = ensure_tls(tmp_path / "tls")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.server_cert, files.server_key)
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), _Site)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, files.ca_cert
    server.shutdown()


def test_goproxy_forwards_proxy_requests_and_refuses_plain_ones(standin, site):
    port = free_port()
    standin("goproxy", env={"KUBESIM_STANDIN_PORT": str(port)}, port=port)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"http://127.0.0.1:{site}/page", headers={"User-Agent": "test"})
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b"site saw /page ua=test")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 500
    assert response.read() == b"This is a proxy server. Does not respond to non-proxy requests.\n"


def test_goproxy_tunnels_connect(standin, site):
    port = free_port()
    standin("goproxy", env={"KUBESIM_STANDIN_PORT": str(port)}, port=port)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"CONNECT 127.0.0.1:{site} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert s.recv(100) == b"HTTP/1.0 200 OK\r\n\r\n"
        s.sendall(b"GET /tunnelled HTTP/1.0\r\n\r\n")
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.0 200") and b"site saw /tunnelled" in reply


def _redis(port: int, *commands: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"".join(commands))
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    return reply


def test_redis_speaks_resp_and_inline_commands(standin):
    port = free_port()
    redis = standin("redis", "redis-server", "--port", str(port), port=port)
    assert _redis(port, b"PING\r\n") == b"+PONG\r\n"
    assert _redis(
        port,
        b"*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$5\r\nworld\r\n",
        b"*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n",
        b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n",
        b"*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n",
        b"*1\r\n$4\r\nNOPE\r\n",
    ) == (
        b"+OK\r\n$5\r\nworld\r\n:1\r\n$-1\r\n"
        b"-ERR unknown command 'NOPE', with args beginning with: \r\n"
    )
    assert "* Ready to accept connections tcp" in redis.stdout
    assert redis.stop(signal.SIGTERM) == 0
    assert "Received SIGTERM scheduling shutdown..." in redis.stdout
    assert redis.stdout.rstrip().endswith("# Redis is now ready to exit, bye bye...")


def test_a_redis_replica_loads_its_master_then_follows_its_writes(standin):
    """The Guestbook's followers: `--replicaof HOST PORT`, read-only, in sync."""
    leader_port, follower_port = free_port(), free_port()
    leader = standin("redis", "redis-server", "--port", str(leader_port), port=leader_port)
    assert _redis(leader_port, b"SET before 1\r\n") == b"+OK\r\n"
    follower = standin(
        "redis", "--port", str(follower_port), "--replicaof", "127.0.0.1", str(leader_port),
        port=follower_port,
    )  # fmt: skip
    synced = follower.wait_for_output("MASTER <-> REPLICA sync: Finished with success")
    assert f"Connecting to MASTER 127.0.0.1:{leader_port}" in synced
    assert ":S " in synced and ":M " not in synced  # a replica's role letter
    assert _redis(follower_port, b"GET before\r\n") == b"$1\r\n1\r\n"
    assert _redis(leader_port, b"SET messages ,hello\r\n") == b"+OK\r\n"
    deadline = time.monotonic() + 10
    while _redis(follower_port, b"GET messages\r\n") != b"$6\r\n,hello\r\n":
        assert time.monotonic() < deadline, "the write never reached the replica"
        time.sleep(0.05)
    assert _redis(follower_port, b"SET x 1\r\n") == (
        b"-READONLY You can't write against a read only replica.\r\n"
    )
    info = _redis(follower_port, b"INFO\r\n")
    assert b"role:slave" in info and f"master_port:{leader_port}".encode() in info
    logged = leader.wait_for_output("Synchronization with replica 127.0.0.1:")
    assert "Replica 127.0.0.1:" in logged and "asks for synchronization" in logged


def test_a_redis_replica_retries_a_master_it_cannot_reach(standin):
    port = free_port()
    follower = standin(
        "redis", "--port", str(port), "--replicaof", "127.0.0.1", str(free_port()), port=port
    )
    said = follower.wait_for_output("Error condition on socket for SYNC: Connection refused")
    assert said.count("Connecting to MASTER") >= 1


def _curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubesim.standins.curl", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_curl_fetches_and_reports_as_curl_does(site):
    done = _curl("-s", f"http://127.0.0.1:{site}/x")
    assert (done.returncode, done.stdout, done.stderr) == (0, "site saw /x ua=curl/8.11.1", "")
    done = _curl(f"127.0.0.1:{site}/y")  # the entrypoint adds `curl`; the meter goes to stderr
    assert done.stdout == "site saw /y ua=curl/8.11.1"
    assert "% Total    % Received % Xferd" in done.stderr
    done = _curl(
        "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}\\n", f"http://127.0.0.1:{site}/"
    )
    assert done.stdout == "200\n"
    done = _curl("-si", "-d", "a=1", f"http://127.0.0.1:{site}/post")
    assert done.stdout.startswith("HTTP/1.0 201 Created\n")  # text mode: \r\n read as \n
    assert done.stdout.endswith("\n\na=1")


@pytest.mark.parametrize(
    "args, code, message",
    [
        pytest.param(["-sS", "http://no-such-host.invalid/"], 6,
                     "curl: (6) Could not resolve host: no-such-host.invalid", id="resolve"),
        pytest.param(["-sSf", "http://127.0.0.1:{site}/missing"], 22,
                     "curl: (22) The requested URL returned error: 404", id="fail"),
        pytest.param(["--nope", "http://x"], 2, "curl: option --nope: is unknown", id="option"),
    ],
)  # fmt: skip
def test_curl_errors_carry_curl_exit_codes_and_words(site, args, code, message):
    done = _curl(*[a.replace("{site}", str(site)) for a in args])
    assert done.returncode == code
    assert done.stderr.splitlines()[0] == message


def test_curl_connection_refused_is_exit_7():
    port = free_port()
    done = _curl("-sS", f"http://127.0.0.1:{port}/")
    assert done.returncode == 7
    assert done.stderr.startswith(f"curl: (7) Failed to connect to 127.0.0.1 port {port} after ")
    assert done.stderr.rstrip().endswith("ms: Couldn't connect to server")


def test_curl_image_runs_another_program_as_its_entrypoint_does():
    done = _curl("echo", "hi")
    assert (done.returncode, done.stdout) == (0, "hi\n")


def test_curl_speaks_https_and_checks_the_certificate_as_curl_does(tls_site):
    """Accessing the Kubernetes API from a Pod: `curl --cacert ${CACERT} https://...`. The
    image's CA store knows no cluster CA, so without --cacert (or -k) curl refuses."""
    port, ca = tls_site
    done = _curl("-sS", "--cacert", str(ca), f"https://localhost:{port}/api")
    assert (done.returncode, done.stdout) == (0, "site saw /api ua=curl/8.11.1"), done.stderr
    assert _curl("-sk", f"https://127.0.0.1:{port}/k").stdout == "site saw /k ua=curl/8.11.1"
    unknown = _curl("-sS", f"https://127.0.0.1:{port}/")
    assert unknown.returncode == 60
    assert unknown.stderr.splitlines()[:2] == [
        "curl: (60) SSL certificate problem: unable to get local issuer certificate",
        "More details here: https://curl.se/docs/sslcerts.html",
    ]
    other_name = _curl("-sS", "--cacert", str(ca), f"https://127.0.0.2:{port}/")
    assert other_name.returncode == 60
    assert other_name.stderr.splitlines()[0] == (
        "curl: (60) SSL: no alternative certificate subject name matches target ipv4 address "
        "'127.0.0.2'"
    )
    missing = _curl("-sS", "--cacert", "/no/such/ca.crt", f"https://127.0.0.1:{port}/")
    assert (missing.returncode, missing.stderr.strip()) == (
        77,
        "curl: (77) error setting certificate file: /no/such/ca.crt",
    )
