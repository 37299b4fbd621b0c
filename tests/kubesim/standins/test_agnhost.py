"""agnhost's subcommands answer as the Go servers in kubernetes/test/images/agnhost do."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import time

import pytest
from standin_process import free_port


def get(port: int, path: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    return response, response.read().decode()


def test_netexec_endpoints(standin):
    port, udp = free_port(), free_port()
    agnhost = standin(
        "agnhost", "netexec", f"--http-port={port}", "--udp-port", str(udp), port=port
    )
    response, body = get(port, "/hostname")
    assert (response.status, body) == (200, socket.gethostname())
    assert response.getheader("Server") is None  # Go's net/http sends none
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert get(port, "/echo?msg=hello")[1] == "hello"
    assert get(port, "/echo?msg=teapot&code=418")[0].status == 418
    assert re.fullmatch(r"127\.0\.0\.1:\d+", get(port, "/clientip")[1])
    assert re.fullmatch(
        r"NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} [+-]\d{4} \w+ m=\+\d+\.\d{9}",
        get(port, "/")[1],
    )
    deadline = time.monotonic() + 10
    while get(port, "/healthz")[0].status != 200:  # 412 until its UDP server runs
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(b"echo over udp", ("127.0.0.1", udp))
        assert s.recv(100) == b"over udp"
    assert get(port, "/shell?cmd=id")[0].status == 501
    assert re.search(
        r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d GET /echo\?msg=hello&code=$", agnhost.stderr, re.M
    )
    assert f"Started HTTP server on port {port}" in agnhost.stderr


def test_netexec_exit_ends_with_the_asked_code(standin):
    port = free_port()
    agnhost = standin("agnhost", "netexec", f"--http-port={port}", "--udp-port=-1", port=port)
    assert get(port, "/healthz")[0].status == 412  # no UDP server: never ready, as upstream
    get(port, "/exit?code=3")
    assert agnhost.proc.wait(timeout=10) == 3


def test_liveness_is_healthy_for_ten_seconds_then_fails(standin):
    port = free_port()
    standin("agnhost", "liveness", env={"KUBESIM_STANDIN_PORT": str(port)}, port=port)
    response, body = get(port, "/healthz")
    assert (response.status, body) == (200, "ok")
    assert re.fullmatch(r"\d+(\.\d+)?(ms|s)", get(port, "/started")[1])
    time.sleep(10.2)
    response, body = get(port, "/healthz")
    assert response.status == 500
    assert re.fullmatch(r"error: 1\d\.\d+", body)


def test_liveness_dies_of_sigterm_as_a_go_program_without_a_handler(standin):
    port = free_port()
    agnhost = standin("agnhost", "liveness", env={"KUBESIM_STANDIN_PORT": str(port)}, port=port)
    assert agnhost.stop(signal.SIGTERM) == -signal.SIGTERM


def test_serve_hostname_answers_its_hostname_and_waits_after_sigterm(standin):
    port = free_port()
    agnhost = standin("agnhost", "serve-hostname", "--port", str(port), port=port)
    assert get(port, "/")[1] == socket.gethostname()
    agnhost.proc.send_signal(signal.SIGTERM)
    agnhost.wait_for_output("Awaiting pod deletion.", stream="stderr")
    assert agnhost.proc.poll() is None  # the kubelet's SIGKILL ends it, as upstream
    assert "Shutting down after receiving signal: terminated." in agnhost.stderr


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 2), (signal.SIGINT, 1)])
def test_pause_prints_paused_and_exits_as_upstream(standin, sig, code):
    agnhost = standin("agnhost")  # the image's CMD: pause
    agnhost.wait_for_output("Paused\n")
    assert agnhost.stop(sig) == code


def test_an_unknown_subcommand_is_cobra_error(standin):
    agnhost = standin("agnhost", "no-such")
    assert agnhost.proc.wait(timeout=20) == 1
    assert agnhost.stderr.startswith('Error: unknown command "no-such" for "app"\n')
