"""The load generator: its statistics, its URL handling, and the CLI against a real server."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest
from _inference_harness import REPO, Server, free_port, run_env

from inference._loadgen import Result, Target, parse_target, percentile, summarize


@pytest.mark.parametrize(
    "values, q, want",
    [
        pytest.param([1.0], 50, 1.0, id="single"),
        pytest.param([1.0, 2.0, 3.0, 4.0], 50, 2.0, id="median-even-nearest-rank"),
        pytest.param([float(i) for i in range(1, 101)], 90, 90.0, id="p90-of-100"),
        pytest.param([float(i) for i in range(1, 101)], 99, 99.0, id="p99-of-100"),
        pytest.param([1.0, 2.0, 3.0], 100, 3.0, id="p100-is-max"),
        pytest.param([1.0, 2.0, 3.0], 0, 1.0, id="p0-is-min"),
    ],
)
def test_percentile_uses_nearest_rank(values: list[float], q: float, want: float) -> None:
    assert percentile(values, q) == want


def test_percentile_of_nothing_is_nan() -> None:
    assert math.isnan(percentile([], 50))


@pytest.mark.parametrize(
    "url, path, want",
    [
        pytest.param(
            "http://inference-service:8080",
            None,
            Target("http", "inference-service", 8080, "/predict"),
            id="k8s-service",
        ),
        pytest.param(
            "127.0.0.1:9000",
            None,
            Target("http", "127.0.0.1", 9000, "/predict"),
            id="scheme-optional",
        ),
        pytest.param(
            "http://h:1/health", None, Target("http", "h", 1, "/health"), id="url-path-used"
        ),
        pytest.param(
            "http://h:1/health", "/predict", Target("http", "h", 1, "/predict"), id="path-flag-wins"
        ),
        pytest.param(
            "https://h", "ready", Target("https", "h", 443, "/ready"), id="https-default-port"
        ),
    ],
)
def test_parse_target(url: str, path: str | None, want: Target) -> None:
    assert parse_target(url, path=path) == want


def test_predict_is_posted_and_other_paths_are_fetched() -> None:
    assert parse_target("http://h:1").method == "POST"
    assert parse_target("http://h:1/metrics").method == "GET"


def test_parse_target_refuses_non_http_urls() -> None:
    with pytest.raises(ValueError, match="is not an http"):
        parse_target("ftp://h/x")


def test_summary_counts_errors_by_kind_and_reports_percentiles() -> None:
    results = [Result(0.010, 200)] * 8 + [Result(0.050, 503), Result(0.001, None, "TimeoutError")]
    summary = summarize(
        parse_target("http://h:1"),
        results,
        rps=5,
        seconds=2,
        concurrency=3,
        planned=10,
        elapsed=2.5,
    )
    assert (summary.sent, summary.ok, summary.achieved_rps) == (10, 8, 4.0)
    text = summary.render()
    assert "sent 10 of 10 planned, ok 8, errors 2" in text
    assert "achieved 4.0 requests/s over 2.50 s" in text
    assert "latency p50 10.0 ms, p90 50.0 ms, p99 50.0 ms, max 50.0 ms" in text
    assert "errors by kind: 503 x 1, TimeoutError x 1" in text


def _loadgen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inference.loadgen", *args],
        cwd=REPO,
        env=run_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_cli_reports_achieved_rate_and_latency_against_a_real_server(server: Server) -> None:
    done = _loadgen(f"http://127.0.0.1:{server.port}", "--rps", "40", "--seconds", "1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "POST http://127.0.0.1:" in out
    assert "sent 40 of 40 planned, ok 40, errors 0" in out
    achieved = float(re.search(r"achieved ([\d.]+) requests/s", out).group(1))  # type: ignore[union-attr]
    assert 30 <= achieved <= 41
    assert re.search(r"latency p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms", out)


def test_cli_can_load_a_get_endpoint(server: Server) -> None:
    done = _loadgen(
        f"http://127.0.0.1:{server.port}",
        "--path",
        "/health",
        "--rps",
        "20",
        "--seconds",
        "0.5",
        "--concurrency",
        "2",
    )
    assert done.returncode == 0
    assert "GET http://127.0.0.1:" in done.stdout
    assert "ok 10, errors 0" in done.stdout


def test_cli_exits_0_and_reports_errors_when_nothing_listens() -> None:
    done = _loadgen(f"http://127.0.0.1:{free_port()}", "--rps", "10", "--seconds", "0.3")
    assert done.returncode == 0
    assert "ok 0, errors 3" in done.stdout
    assert "errors by kind: ConnectionRefusedError x 3" in done.stdout
    assert "latency n/a" in done.stdout


def test_fail_on_errors_turns_failed_requests_into_exit_1() -> None:
    done = _loadgen(
        f"http://127.0.0.1:{free_port()}", "--rps", "10", "--seconds", "0.2", "--fail-on-errors"
    )
    assert done.returncode == 1
    assert "request(s) failed" in done.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        pytest.param(
            ["http://h", "--rps", "0", "--seconds", "1"], "must be greater than 0", id="zero-rps"
        ),
        pytest.param(["http://h", "--seconds", "1"], "--rps", id="missing-rps"),
        pytest.param(["ftp://h", "--rps", "1", "--seconds", "1"], "is not an http", id="ftp"),
    ],
)
def test_cli_rejects_bad_arguments_with_exit_2(args: list[str], fragment: str) -> None:
    done = _loadgen(*args)
    assert done.returncode == 2
    assert fragment in done.stderr
