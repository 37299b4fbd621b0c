"""The process lifecycle: configure, read the model, serve, load in the background, drain.

Exit codes: 0 after SIGTERM/SIGINT (drained or drain timeout), 1 on a configuration or
model error (one ``FATAL:`` line says which), 1 if the port cannot be bound.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType

from ._config import Config, config_from_env, read_api_key
from ._costs import hold_memory
from ._errors import ConfigError, ModelError
from ._log import Log
from ._model import read_model
from ._release import readiness_defect
from ._server import App, make_server

REMIND_EVERY_SECONDS = 30.0


def run(env: Mapping[str, str], *, cwd: Path) -> int:
    """Run the server until SIGTERM or SIGINT; return the process exit code."""
    log = Log(env.get("LOG_LEVEL", "INFO").strip().upper())
    try:
        config = config_from_env(env, cwd=cwd)
    except ConfigError as exc:
        log.fatal(str(exc))
        return 1
    log = Log(config.log_level)
    api_key = ""
    if config.api_key_file is not None:
        try:
            api_key = read_api_key(config.api_key_file, shown=env.get("API_KEY_FILE", "").strip())
        except ConfigError as exc:
            log.fatal(str(exc))
            return 1
    log.info(
        f"inference {config.version} starting: MODEL_PATH={config.model_path_shown} "
        f"PORT={config.port} STARTUP_SECONDS={config.startup_seconds:g} "
        f"MODEL_MEMORY_MB={config.model_memory_mb} PREDICT_CPU_MS={config.predict_cpu_ms:g}"
    )
    try:
        model = read_model(config.model_path, shown_as=config.model_path_shown)
    except ModelError as exc:
        log.fatal(str(exc))
        return 1
    app = App(config=config, model=model, log=log, api_key=api_key)
    try:
        server = make_server(app)
    except OSError as exc:
        log.fatal(
            f"cannot listen on port {config.port}: {(exc.strerror or str(exc)).lower()}; "
            "another process holds it, or PORT is wrong"
        )
        return 1
    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    serving = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    serving.start()
    log.info(f"listening on port {server.server_address[1]} (version {config.version})")
    loader = threading.Thread(target=load_model, args=(app,), kwargs={"stop": stop}, daemon=True)
    loader.start()
    while not stop.wait(0.5):
        pass
    return drain(
        app,
        server_shutdown=server.shutdown,
        server_close=server.server_close,
        signal_name=received[0] if received else "stop",
    )


def load_model(
    app: App, *, stop: threading.Event, remind_every: float = REMIND_EVERY_SECONDS
) -> None:
    """Hold the model's memory, wait out STARTUP_SECONDS, then become ready (or explain why not).

    Runs in its own thread; ``stop`` cuts every wait short so SIGTERM during startup is quick.
    """
    config: Config = app.config
    started = time.monotonic()
    app.ballast = hold_memory(config.model_memory_mb)
    if stop.wait(max(0.0, config.startup_seconds - (time.monotonic() - started))):
        return
    defect = readiness_defect(config.version, app.model, shown_as=config.model_path_shown)
    if defect is not None:
        app.not_ready_reason = defect
        app.log.error(defect)
        while not stop.wait(remind_every):
            app.log.error(f"still not ready: {defect}")
        return
    app.ready = True
    app.log.info(
        f"model {app.model.name} {app.model.model_version} loaded in "
        f"{time.monotonic() - started:.1f}s, holding {config.model_memory_mb} MiB; ready"
    )


def drain(
    app: App,
    *,
    server_shutdown: Callable[[], None],
    server_close: Callable[[], None],
    signal_name: str,
) -> int:
    """Stop accepting, wait for in-flight requests up to DRAIN_SECONDS, and return 0."""
    app.draining = True
    timeout = app.config.drain_seconds
    in_flight = app.in_flight.count
    server_shutdown()  # ends the accept loop
    server_close()  # closes the listening socket: new connections are refused
    # Logged only once it is true, so whoever reads the log may rely on it.
    app.log.info(
        f"{signal_name} received: no new connections; draining {in_flight} "
        f"in-flight request(s), waiting up to {timeout:g}s"
    )
    left = app.in_flight.wait_idle(timeout)
    if left:
        app.log.warning(f"drain timeout after {timeout:g}s with {left} request(s) still in flight")
    app.log.info("shutdown complete; exiting 0")
    return 0
