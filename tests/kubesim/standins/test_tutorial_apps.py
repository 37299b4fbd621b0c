"""The tutorials' echo apps answer and log as the docs print them: Learn Kubernetes Basics'
kubernetes-bootcamp (v1, v2), "Using Source IP"'s echoserver (1.4 and 1.10 formats) and
"Exposing an External IP Address"'s hello-app (1.0, 2.0)."""

from __future__ import annotations

import http.client
import re
import signal
import socket

import pytest
from standin_process import free_port

from kubesim.standins.bootcamp.__main__ import js_seconds

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def get(port: int, path: str = "/", **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response, response.read()


@pytest.mark.parametrize(
    ("milliseconds", "printed"),
    [(446976, "446.976"), (2000, "2"), (500, "0.5"), (1611113, "1611.113")],
)
def test_uptime_is_printed_as_a_javascript_number(milliseconds: int, printed: str) -> None:
    assert js_seconds(milliseconds) == printed


@pytest.mark.parametrize("version", ["1", "2"])
def test_bootcamp_greets_with_its_hostname_and_version_and_logs_each_request(standin, version):
    port = free_port()
    env = {"KUBESIM_STANDIN_PORT": str(port), "HOSTNAME": "kubernetes-bootcamp-5485cc6795-cdwz7"}
    app = standin("bootcamp", version, "server.js", env=env, port=port)
    for path in ("/", "/anything?at=all"):
        response, body = get(port, path)
        assert response.status == 200
        assert body == (
            b"Hello Kubernetes bootcamp! | Running on: kubernetes-bootcamp-5485cc6795-cdwz7"
            b" | v=" + version.encode() + b"\n"
        )
    assert response.getheader("Content-Type") == "text/plain"
    assert response.getheader("Transfer-Encoding") == "chunked"
    log = app.wait_for_output("Total Requests: 2 ")
    lines = log.split("\n")
    assert re.fullmatch(
        rf"Kubernetes Bootcamp App Started At: {ISO} \| Running On:  "
        r"kubernetes-bootcamp-5485cc6795-cdwz7 ",
        lines[0],
    ), lines[0]
    assert lines[1] == ""  # console.log's last argument was "\n"
    assert re.fullmatch(
        r"Running On: kubernetes-bootcamp-5485cc6795-cdwz7 \| Total Requests: 1 \| "
        rf"App Uptime: \d+(\.\d+)? seconds \| Log Time: {ISO}",
        lines[2],
    ), lines[2]


def test_echoserver_1_10_prints_the_client_address_and_the_request(standin) -> None:
    port = free_port()
    echo = standin("echoserver", "1.10", env={"KUBESIM_STANDIN_PORT": str(port)}, port=port)
    response, body = get(port, "/path?q=1", Host="10.96.0.20", **{"User-Agent": "curl/8.18.0"})
    assert echo.stop(signal.SIGTERM) == 0  # nginx ends at once on SIGTERM
    text = body.decode()
    assert response.getheader("Server") == "echoserver"
    assert text.startswith(f"\n\nHostname: {socket.gethostname()}\n\nPod Information:\n")
    assert "\t-no pod information available-\n" in text
    assert "\tserver_version=nginx: 1.13.3 - lua: 10008\n" in text
    assert (
        "Request Information:\n\tclient_address=127.0.0.1\n\tmethod=GET\n\treal path=/path\n"
        "\tquery=q=1\n\trequest_version=1.1\n\trequest_scheme=http\n"
        "\trequest_uri=http://10.96.0.20:8080/path?q=1\n"
    ) in text
    # the client's headers, lowercased and sorted
    headers = text.split("Request Headers:\n", 1)[1].split("\n\n", 1)[0].split("\n")
    assert headers == sorted(headers) and "\tuser-agent=curl/8.18.0" in headers
    assert "\thost=10.96.0.20" in headers
    assert text.endswith("Request Body:\n\t-no body in request-\n\n")


def test_echoserver_1_10_lists_the_pod_information_the_downward_api_gives(standin) -> None:
    port = free_port()
    pod = {"POD_NAME": "echo-1", "POD_NAMESPACE": "default", "NODE_NAME": "kind-worker"}
    standin("echoserver", "1.10", env={"KUBESIM_STANDIN_PORT": str(port), **pod}, port=port)
    _, body = get(port)
    assert (
        "Pod Information:\n\tnode name:\tkind-worker\n\tpod name:\techo-1\n"
        "\tpod namespace:\tdefault\n\tpod IP:\t\n"
    ) in body.decode()


def test_echoserver_1_4_prints_client_values_as_the_source_ip_page_shows(standin) -> None:
    port = free_port()
    standin("echoserver", "1.4", env={"KUBESIM_STANDIN_PORT": str(port)}, port=port)
    _, body = get(port, "/", Host=f"10.0.170.92:{port}")
    text = body.decode()
    assert text.startswith(
        "CLIENT VALUES:\nclient_address=127.0.0.1\ncommand=GET\nreal path=/\nquery=nil\n"
        "request_version=1.1\nrequest_uri=http://10.0.170.92:8080/\n\n"
        "SERVER VALUES:\nserver_version=nginx: 1.10.0 - lua: 10001\n\nHEADERS RECEIVED:\n"
    ), text
    assert text.endswith("BODY:\n-no body in request-")


@pytest.mark.parametrize(("tag", "version"), [("1.0", "1.0.0"), ("2.0", "2.0.0")])
def test_hello_app_says_hello_with_its_version_and_hostname_and_logs_each_path(
    standin, tag: str, version: str
) -> None:
    port = free_port()
    app = standin("hello_app", tag, env={"PORT": str(port)}, port=port)
    response, body = get(port, "/v2?x=1")
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert body.decode() == f"Hello, world!\nVersion: {version}\nHostname: {socket.gethostname()}\n"
    logged = app.wait_for_output("Serving request: /v2", stream="stderr")
    assert re.search(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d Server listening on port \d+$", logged, re.M)
    # no handler of its own: Go's runtime dies of SIGTERM at once (exit 2 as a PID 1)
    assert app.stop(signal.SIGTERM, timeout=5) == -signal.SIGTERM


def test_guestbook_frontend_serves_its_page_and_says_when_redis_cannot_be_reached(standin):
    port = free_port()
    env = {
        "KUBESIM_STANDIN_PORT": str(port),
        "GET_HOSTS_FROM": "env",
        "REDIS_FOLLOWER_SERVICE_HOST": "no-such-host.invalid",
    }
    frontend = standin("guestbook", "frontend", env=env, port=port)
    response, body = get(port, "/")
    assert response.status == 200 and b"<title>Guestbook</title>" in body
    assert b'src="controllers.js"' in body
    response, body = get(port, "/controllers.js")
    assert b"guestbook.php?cmd=get&key=messages" in body
    response, body = get(port, "/guestbook.php?cmd=get&key=messages")
    assert body.decode().startswith(
        "<br />\n<b>Fatal error</b>:  Uncaught Predis\\Connection\\ConnectionException: "
        "php_network_getaddresses: getaddrinfo for no-such-host.invalid failed"
    )
    assert body.decode().endswith("[tcp://no-such-host.invalid:6379]")
    response, _ = get(port, "/nope")
    assert response.status == 404
    logged = frontend.wait_for_output('"GET /nope HTTP/1.1" 404')
    assert '"GET / HTTP/1.1" 200' in logged
    assert "AH00558: apache2: Could not reliably determine" in frontend.stderr
