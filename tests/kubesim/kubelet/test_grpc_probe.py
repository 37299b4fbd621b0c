"""The kubelet's gRPC probe (grpc.health.v1.Health/Check), against the etcd stand-in's health
service and against ports where no gRPC server answers, with pkg/probe/grpc's messages."""

from __future__ import annotations

import asyncio
import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from kubesim.kubelet._grpcprobe import check, request_message, response_status
from kubesim.standins import _grpchealth


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _dial(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(host, port)


def _probe(port: int, service: str = "", timeout: float = 1.0):  # type: ignore[no-untyped-def]
    return asyncio.run(
        check("127.0.0.1", port, service, timeout, dial=_dial, user_agent="kube-probe/1.37")
    )


@pytest.fixture(scope="module")
def etcd() -> Iterator[int]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubesim.standins.etcd", "--listen-client-urls",
         f"http://127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.unit
def test_the_messages_are_the_health_protocol_s() -> None:
    assert request_message("") == b"\x00\x00\x00\x00\x00"
    assert request_message("etcd") == b"\x00\x00\x00\x00\x06\x0a\x04etcd"
    assert _grpchealth.requested_service(request_message("etcd")) == "etcd"
    assert response_status(_grpchealth.response_message(2)) == 2


def test_a_serving_server_passes(etcd: int) -> None:
    assert _probe(etcd) == type(_probe(etcd))(True, "service healthy")


def test_an_unknown_service_is_grpc_s_not_found(etcd: int) -> None:
    result = _probe(etcd, service="nope")
    assert not result.ok
    assert result.message == (
        "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service"
    )


def test_nothing_listening_times_out_after_the_whole_timeout() -> None:
    port = _free_port()
    started = time.monotonic()
    result = _probe(port, timeout=1.0)
    assert time.monotonic() - started >= 0.9  # WithBlock: retried until the deadline
    assert not result.ok
    assert result.message == (
        f'timeout: failed to connect service "127.0.0.1:{port}" within 1s: '
        "context deadline exceeded"
    )


def test_an_http_1_server_is_not_a_grpc_one() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = _probe(server.server_port, timeout=1.0)
    finally:
        server.shutdown()
    assert not result.ok and result.message.startswith("timeout: failed to connect service")


def test_the_etcd_stand_in_answers_http_health_on_the_same_port(etcd: int) -> None:
    with socket.create_connection(("127.0.0.1", etcd), timeout=5) as s:
        s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.0 200") and reply.endswith(b'{"health":"true","reason":""}')
