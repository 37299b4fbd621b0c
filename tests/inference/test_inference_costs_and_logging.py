"""Real resource costs, the line logger, and the background loader's reminders."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from inference import Model, config_from_env
from inference._costs import MIB, burn_cpu, hold_memory
from inference._log import Log
from inference._main import load_model
from inference._server import App

MODEL = Model("iris-logreg", "1.0.0", 1, ("a",), ("x", "y"), ((1.0,), (2.0,)), (0.0, 0.0))


def test_burn_cpu_spends_at_least_the_requested_cpu_time_on_this_thread() -> None:
    before = time.thread_time()
    burn_cpu(30)
    spent = time.thread_time() - before
    assert 0.030 <= spent < 0.5


@pytest.mark.parametrize("mib", [0, 1, 3])
def test_hold_memory_allocates_and_touches_every_page(mib: int) -> None:
    ballast = hold_memory(mib)
    assert len(ballast) == mib * MIB
    assert ballast[::4096].count(1) == mib * MIB // 4096


@pytest.mark.parametrize(
    "level, shown",
    [
        pytest.param("DEBUG", ["DEBUG", "INFO", "WARNING", "FATAL"], id="debug"),
        pytest.param("INFO", ["INFO", "WARNING", "FATAL"], id="info"),
        pytest.param("ERROR", ["FATAL"], id="error"),
    ],
)
def test_log_level_filters_lines_but_never_fatal(level: str, shown: list[str]) -> None:
    out = io.StringIO()
    log = Log(level, stream=out)
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.fatal("f")
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == shown


def test_log_keeps_every_event_on_one_line() -> None:
    out = io.StringIO()
    Log(stream=out).info("two\nlines  here")
    assert out.getvalue() == "INFO: two lines here\n"


def _app(version: str, out: io.StringIO) -> App:
    env = {"MODEL_PATH": "m.json", "STARTUP_SECONDS": "0", "MODEL_MEMORY_MB": "1"}
    config = config_from_env({**env, "INFERENCE_VERSION": version}, cwd=Path("/"))
    return App(config=config, model=MODEL, log=Log(stream=out))


def test_loader_marks_2_4_0_ready_and_holds_the_memory() -> None:
    out = io.StringIO()
    app = _app("2.4.0", out)
    load_model(app, stop=threading.Event())
    assert app.ready
    assert len(app.ballast) == MIB
    assert "loaded in" in out.getvalue()


def test_loader_keeps_2_5_0_unready_and_repeats_the_reason_until_stopped() -> None:
    out = io.StringIO()
    app = _app("2.5.0", out)
    stop = threading.Event()
    loader = threading.Thread(
        target=load_model, args=(app,), kwargs={"stop": stop, "remind_every": 0.01}
    )
    loader.start()
    deadline = time.monotonic() + 5
    while out.getvalue().count("still not ready") < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    loader.join(5)
    assert not loader.is_alive()
    assert not app.ready
    assert "requires model format 2" in app.not_ready_reason
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("ERROR: inference 2.5.0 requires model format 2")
    assert sum("still not ready" in line for line in lines) >= 2
