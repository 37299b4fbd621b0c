"""Each environment variable's effect on a real process: the hooks of the course's lessons."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from _inference_harness import SETOSA, Server

Start = Callable[..., Server]
NOBODY = 65534


def _exit(server: Server) -> tuple[int, list[str]]:
    code = server.proc.wait(timeout=10)
    return code, server.log().splitlines()


def test_missing_model_path_exits_1_with_one_fatal_line(start: Start) -> None:
    code, lines = _exit(start(MODEL_PATH=None))
    assert code == 1
    assert lines == [
        "FATAL: MODEL_PATH is not set; set it to the model file, e.g. models/iris-logreg.json"
    ]


@pytest.mark.parametrize(
    "model_path, fragment",
    [
        pytest.param("models/nope.json", "no such file or directory", id="missing-file"),
        pytest.param("models", "is a directory", id="directory"),
        pytest.param("broken.json", "is not valid JSON", id="not-json"),
        pytest.param("empty-object.json", "is not a usable model", id="not-a-model"),
    ],
)
def test_unreadable_model_path_exits_1_naming_the_path(
    start: Start, workdir: Path, model_path: str, fragment: str
) -> None:
    (workdir / "broken.json").write_text("{")
    (workdir / "empty-object.json").write_text("{}")
    code, lines = _exit(start(MODEL_PATH=model_path))
    assert code == 1
    fatal = [line for line in lines if line.startswith("FATAL:")]
    assert len(fatal) == 1
    assert f"MODEL_PATH={model_path}" in fatal[0]
    assert fragment in fatal[0]


def test_model_without_read_permission_exits_1(start: Start, workdir: Path) -> None:
    if os.geteuid() != 0:
        secret = workdir / "secret.json"
        secret.write_text("{}")
        secret.chmod(0)
        code, lines = _exit(start(MODEL_PATH="secret.json"))
    else:  # root reads any file: serve as `nobody` from a folder nobody may enter
        folder = Path(tempfile.mkdtemp(prefix="kubelab-perm-"))
        try:
            folder.chmod(0o755)
            secret = folder / "secret.json"
            secret.write_text("{}")
            secret.chmod(0)
            code, lines = _exit(start(MODEL_PATH=str(secret), as_user=NOBODY))
        finally:
            shutil.rmtree(folder)
    assert code == 1
    assert lines[-1].startswith("FATAL: ") and "permission denied" in lines[-1]


def test_bad_port_exits_1_with_the_fix(start: Start) -> None:
    code, lines = _exit(start(PORT="eighty"))
    assert code == 1
    assert lines[-1].startswith("FATAL: PORT='eighty' is not a whole number")


def test_port_already_taken_exits_1(start: Start) -> None:
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        code, lines = _exit(start(PORT=str(holder.getsockname()[1])))
    assert code == 1
    assert "FATAL: cannot listen on port" in lines[-1]


def test_startup_seconds_delays_readiness_while_health_passes(start: Start) -> None:
    server = start(STARTUP_SECONDS="1.0")
    server.wait_listening()
    ready = server.get("/ready")
    assert ready.status == 503
    assert ready.json()["reason"] == "model not loaded yet"
    assert server.get("/health").status == 200
    assert server.post("/predict", {"instances": [SETOSA]}).status == 503
    server.wait_ready(timeout=5)
    assert time.monotonic() - server.started >= 1.0
    assert "WARNING: GET /ready 503" in server.log()
    server.wait_log("holding 0 MiB; ready")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_model_memory_mb_really_raises_resident_memory(start: Start) -> None:
    small, big = start(MODEL_MEMORY_MB="0"), start(MODEL_MEMORY_MB="200")
    small.wait_ready()
    big.wait_ready()
    grown = _rss_mib(big.proc.pid) - _rss_mib(small.proc.pid)
    assert 190 <= grown <= 230


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_predict_cpu_ms_costs_real_cpu_time_per_prediction(start: Start) -> None:
    server = start(PREDICT_CPU_MS="150")
    server.wait_ready()
    before = _cpu_seconds(server.proc.pid)
    assert server.post("/predict", {"instances": [SETOSA, SETOSA]}).status == 200
    assert server.post("/predict", {"instances": [SETOSA, SETOSA]}).status == 200
    spent = _cpu_seconds(server.proc.pid) - before
    assert 0.55 <= spent < 1.5  # 4 predictions x 150 ms


def test_log_level_debug_logs_successful_requests(start: Start) -> None:
    server = start(LOG_LEVEL="debug")
    server.wait_ready()
    server.get("/version")
    server.wait_log("DEBUG: GET /version 200")


def test_version_2_5_0_stays_unready_forever_with_an_honest_reason(start: Start) -> None:
    server = start(INFERENCE_VERSION="2.5.0")
    server.wait_log("requires model format 2")
    ready = server.get("/ready")
    assert ready.status == 503
    assert (
        "requires model format 2, but models/iris-logreg.json is format 1" in ready.json()["reason"]
    )
    assert server.get("/health").status == 200
    predict = server.post("/predict", {"instances": [SETOSA]})
    assert predict.status == 503
    assert "readiness will stay false" in predict.json()["error"]
    assert server.get("/version").json()["version"] == "2.5.0"
    assert "inference_model_loaded 0" in server.get("/metrics").text
    errors = [line for line in server.log().splitlines() if line.startswith("ERROR:")]
    assert errors[0].startswith("ERROR: inference 2.5.0 requires model format 2")
