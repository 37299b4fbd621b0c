"""Every endpoint of a running 2.4.0 server, over real HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from _inference_harness import SETOSA, Server

EVAL = json.loads(
    (Path(__file__).resolve().parents[2] / "inference" / "models" / "iris-eval.json").read_text()
)


def test_health_answers_200_with_the_version(server: Server) -> None:
    resp = server.get("/health")
    assert resp.status == 200
    assert resp.json() == {"status": "ok", "version": "2.4.0"}


def test_ready_answers_200_once_loaded(server: Server) -> None:
    resp = server.get("/ready")
    assert (resp.status, resp.json()) == (200, {"status": "ready"})


def test_version_names_server_and_model(server: Server) -> None:
    assert server.get("/version").json() == {
        "version": "2.4.0",
        "model": "iris-logreg",
        "model_version": "1.0.0",
        "model_format": 1,
    }


def test_predict_with_instances_returns_one_answer_per_row(server: Server) -> None:
    resp = server.post("/predict", {"instances": [SETOSA, [6.3, 3.3, 6.0, 2.5]]})
    assert resp.status == 200
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert [p["class"] for p in body["predictions"]] == ["setosa", "virginica"]
    assert set(body["predictions"][0]["probabilities"]) == {"setosa", "versicolor", "virginica"}
    assert sum(body["predictions"][0]["probabilities"].values()) == pytest.approx(1, abs=1e-5)
    assert (body["model_version"], body["version"]) == ("1.0.0", "2.4.0")


def test_predict_with_named_features(server: Server) -> None:
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    resp = server.post("/predict", {"features": dict(zip(names, SETOSA, strict=True))})
    assert resp.status == 200
    assert resp.json()["predictions"][0]["class"] == "setosa"


def test_predict_over_http_matches_the_recorded_held_out_accuracy(server: Server) -> None:
    resp = server.post("/predict", {"instances": EVAL["instances"]})
    assert resp.status == 200
    got = [p["class"] for p in resp.json()["predictions"]]
    accuracy = sum(g == y for g, y in zip(got, EVAL["labels"], strict=True)) / len(got)
    assert accuracy == pytest.approx(EVAL["expected_accuracy"], abs=1e-3)


@pytest.mark.parametrize(
    "body, fragment",
    [
        pytest.param(b"{broken", "not valid JSON", id="bad-json"),
        pytest.param(b'{"instances": [[1, 2]]}', "has 2 values; the model needs 4", id="shape"),
        pytest.param(b'{"nope": 1}', "'instances'", id="wrong-key"),
    ],
)
def test_bad_predict_bodies_get_400_with_a_json_error(
    server: Server, body: bytes, fragment: str
) -> None:
    resp = server.request("POST", "/predict", body)
    assert resp.status == 400
    assert fragment in resp.json()["error"]
    # The log line is written just after the reply is sent.
    server.wait_log("WARNING: POST /predict 400")


@pytest.mark.parametrize(
    "method, path, status",
    [
        pytest.param("GET", "/predict", 405, id="get-predict"),
        pytest.param("POST", "/health", 405, id="post-health"),
        pytest.param("GET", "/nowhere", 404, id="unknown-path"),
        pytest.param("DELETE", "/ready", 405, id="delete-ready"),
    ],
)
def test_wrong_method_or_path_gets_a_json_error(
    server: Server, method: str, path: str, status: int
) -> None:
    resp = server.request(method, path)
    assert resp.status == status
    assert "error" in resp.json()
    if status == 405:
        assert resp.headers["allow"] in {"GET", "POST"}


def test_head_on_health_has_no_body(server: Server) -> None:
    resp = server.request("HEAD", "/health")
    assert (resp.status, resp.text) == (200, "")


def test_metrics_count_requests_by_path_and_code_in_prometheus_format(server: Server) -> None:
    parser = pytest.importorskip("prometheus_client.parser")
    server.post("/predict", {"instances": [SETOSA]})
    server.request("POST", "/predict", b"{")
    # the server counts a request out after its answer is sent, so the last POST may still
    # be in flight for a moment after the client has read its answer
    for _ in range(50):
        resp = server.get("/metrics")
        if "\ninference_in_flight_requests 1\n" in resp.text:
            break
        time.sleep(0.02)
    assert resp.status == 200
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in parser.text_string_to_metric_families(resp.text)}
    codes = {
        (s.labels["path"], s.labels["code"]): s.value
        for s in families["inference_requests"].samples
    }
    assert codes[("/predict", "200")] >= 1
    assert codes[("/predict", "400")] >= 1
    count = next(
        s.value
        for s in families["inference_request_duration_seconds"].samples
        if s.name.endswith("_count") and s.labels["path"] == "/predict"
    )
    assert count == sum(v for (p, _), v in codes.items() if p == "/predict")
    assert families["inference_in_flight_requests"].samples[0].value == 1  # this scrape
    assert families["inference_model_loaded"].samples[0].value == 1


def test_successful_requests_are_not_logged_at_info(server: Server) -> None:
    server.get("/health")
    assert "GET /health 200" not in server.log()
