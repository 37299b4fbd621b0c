"""API_KEY_FILE: with it set, every path but the probes and /metrics needs the key (lab 12)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from _inference_harness import SETOSA, Server

Start = Callable[..., Server]
KEY = "s3cr3t-key"


def _ask(server: Server, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        body = json.dumps({"instances": [SETOSA]}).encode() if method == "POST" else None
        conn.request(
            method, path, body=body, headers={"Content-Type": "application/json", **headers}
        )
        resp = conn.getresponse()
        return resp.status, {"body": json.loads(resp.read()), **dict(resp.getheaders())}
    finally:
        conn.close()


@pytest.fixture
def keyed(start: Start, workdir: Path) -> Server:
    (workdir / "key").mkdir()
    (workdir / "key" / "api-key").write_text(KEY + "\n")  # as `echo` leaves it in a Secret
    server = start(API_KEY_FILE="key/api-key")
    server.wait_ready()
    return server


@pytest.mark.parametrize(
    "method, path",
    [pytest.param("POST", "/predict", id="predict"), pytest.param("GET", "/version", id="version")],
)
def test_a_request_without_the_key_gets_401(keyed: Server, method: str, path: str) -> None:
    status, answer = _ask(keyed, method, path, {})
    assert status == 401
    assert answer["WWW-Authenticate"] == "Bearer"
    assert "needs the API key" in answer["body"]["error"]
    assert _ask(keyed, method, path, {"X-API-Key": "wrong"})[0] == 401


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-API-Key": KEY}, id="x-api-key"),
        pytest.param({"Authorization": f"Bearer {KEY}"}, id="bearer"),
    ],
)
def test_the_key_opens_predict(keyed: Server, headers: dict[str, str]) -> None:
    status, answer = _ask(keyed, "POST", "/predict", headers)
    assert status == 200
    assert answer["body"]["predictions"][0]["class"] == "setosa"


def test_probes_and_metrics_answer_without_the_key(keyed: Server) -> None:
    for path in ("/health", "/ready", "/metrics"):
        assert keyed.get(path).status == 200, path


def test_without_api_key_file_no_key_is_asked(start: Start) -> None:
    server = start()
    server.wait_ready()
    assert server.get("/version").status == 200


@pytest.mark.parametrize(
    "content, fatal",
    [
        pytest.param(None, "API_KEY_FILE=key does not exist; mount the Secret", id="missing"),
        pytest.param("  \n", "API_KEY_FILE=key is empty; put the API key in it", id="empty"),
    ],
)
def test_an_unusable_key_file_exits_1_with_one_fatal_line(
    start: Start, workdir: Path, content: str | None, fatal: str
) -> None:
    if content is not None:
        (workdir / "key").write_text(content)
    server = start(API_KEY_FILE="key")
    assert server.proc.wait(timeout=10) == 1
    lines = [line for line in server.log().splitlines() if line.startswith("FATAL:")]
    assert len(lines) == 1 and fatal in lines[0], server.log()
