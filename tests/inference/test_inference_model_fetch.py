"""MODEL_URL: a model on "remote storage" is fetched slowly, a local copy starts at once.

Lab 09's preload story: the same image starts in MODEL_FETCH_SECONDS plus its load when
MODEL_PATH is missing, and in its load alone when a preloader put the file on the node.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from _inference_harness import Server

Start = Callable[..., Server]


def _remote(workdir: Path) -> str:
    return f"file://{workdir / 'models' / 'iris-logreg.json'}"


def _loaded_in(server: Server) -> float:
    found = re.search(r"loaded in (\d+\.\d)s", server.log())
    assert found, server.log()
    return float(found.group(1))


def test_a_missing_model_path_is_fetched_from_model_url_taking_the_fetch_time(
    start: Start, workdir: Path
) -> None:
    server = start(
        MODEL_PATH="cache/iris-logreg.json",
        MODEL_URL=_remote(workdir),
        MODEL_FETCH_SECONDS="1.5",
    )
    server.wait_ready(timeout=10)
    assert time.monotonic() - server.started >= 1.5
    assert (workdir / "cache" / "iris-logreg.json").read_bytes() == (
        workdir / "models" / "iris-logreg.json"
    ).read_bytes()
    log = server.log()
    assert "MODEL_PATH=cache/iris-logreg.json is not on local disk; fetching MODEL_URL=" in log
    assert re.search(r"fetched MODEL_URL=\S+ to MODEL_PATH=cache/iris-logreg.json in 1\.\ds", log)
    assert _loaded_in(server) >= 1.5  # the pod's start time, fetch included


def test_a_model_path_already_on_local_disk_is_not_fetched_and_starts_at_once(
    start: Start, workdir: Path
) -> None:
    server = start(MODEL_URL=_remote(workdir), MODEL_FETCH_SECONDS="30")
    server.wait_ready(timeout=5)
    assert "is on local disk; not fetching MODEL_URL=" in server.log()
    assert _loaded_in(server) < 1.0


def test_a_model_url_that_is_not_a_file_url_is_refused_in_one_line(start: Start) -> None:
    server = start(MODEL_PATH="cache/m.json", MODEL_URL="s3://models/iris.json")
    assert server.proc.wait(timeout=10) == 1
    assert server.log().splitlines() == [
        "FATAL: MODEL_URL='s3://models/iris.json' is not a file:/// URL; the course's remote "
        "storage is a file the image holds, fetched in MODEL_FETCH_SECONDS, e.g. "
        "file:///app/models/iris-logreg.json (or unset MODEL_URL)"
    ]


def test_a_sigterm_during_the_fetch_exits_0_at_once(start: Start, workdir: Path) -> None:
    server = start(MODEL_PATH="cache/m.json", MODEL_URL=_remote(workdir), MODEL_FETCH_SECONDS="30")
    server.wait_log("fetching MODEL_URL=")
    begun = time.monotonic()
    assert server.terminate() == 0
    assert time.monotonic() - begun < 5
    assert not (workdir / "cache" / "m.json").exists()
