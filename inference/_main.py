"""The process lifecycle: configure, fetch the model if it is remote, read it, serve, load
in the background, drain.

With ``MODEL_URL`` set, a MODEL_PATH that is missing is first fetched from that "remote
storage" (a ``file:///`` URL; the transfer takes ``MODEL_FETCH_SECONDS``, the model's size over
a slow link, modelled) and written to MODEL_PATH, so a MODEL_PATH on a node's disk that a
preloader filled, or a volume an earlier pod filled, starts at once. The "loaded in" line
counts from the process start, fetch included: the pod's start time as a learner measures it.

Exit codes: 0 after SIGTERM/SIGINT (drained or drain timeout), 1 on a configuration or
model error (one ``FATAL:`` line says which), 1 if the port cannot be bound.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.parse
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
    process_started = time.monotonic()
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
    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if config.model_url:
        try:
            if not fetch_model(config, log=log, stop=stop):
                log.info(f"{received[0] if received else 'stop'} during the fetch; exiting")
                return 0
        except ModelError as exc:
            log.fatal(str(exc))
            return 1
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
    serving = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    serving.start()
    log.info(f"listening on port {server.server_address[1]} (version {config.version})")
    loader = threading.Thread(
        target=load_model,
        args=(app,),
        kwargs={"stop": stop, "process_started": process_started},
        daemon=True,
    )
    loader.start()
    while not stop.wait(0.5):
        pass
    return drain(
        app,
        server_shutdown=server.shutdown,
        server_close=server.server_close,
        signal_name=received[0] if received else "stop",
    )


def fetch_model(config: Config, *, log: Log, stop: threading.Event) -> bool:
    """Fetch MODEL_URL to MODEL_PATH unless MODEL_PATH is already there; False when stopped.

    The copy is written beside MODEL_PATH and renamed into place, so replicas fetching to one
    shared volume never read half a file. Raises ``ModelError`` naming what failed.
    """
    shown = config.model_path_shown
    if config.model_path.exists():
        log.info(f"MODEL_PATH={shown} is on local disk; not fetching MODEL_URL={config.model_url}")
        return True
    log.info(
        f"MODEL_PATH={shown} is not on local disk; fetching MODEL_URL={config.model_url} from "
        f"remote storage (MODEL_FETCH_SECONDS={config.model_fetch_seconds:g})"
    )
    begun = time.monotonic()
    source = Path(urllib.parse.unquote(urllib.parse.urlsplit(config.model_url).path))
    try:
        data = source.read_bytes()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise ModelError(f"cannot fetch MODEL_URL={config.model_url}: {reason}") from None
    if stop.wait(config.model_fetch_seconds):
        return False
    partial = config.model_path.with_name(f".{config.model_path.name}.{os.getpid()}.part")
    try:
        config.model_path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(config.model_path)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise ModelError(
            f"cannot write the fetched model to MODEL_PATH={shown}: {reason}; mount a "
            "writable volume there or point MODEL_PATH at one"
        ) from None
    log.info(
        f"fetched MODEL_URL={config.model_url} to MODEL_PATH={shown} in "
        f"{time.monotonic() - begun:.1f}s"
    )
    return True


def load_model(
    app: App,
    *,
    stop: threading.Event,
    remind_every: float = REMIND_EVERY_SECONDS,
    process_started: float | None = None,
) -> None:
    """Hold the model's memory, wait out STARTUP_SECONDS, then become ready (or explain why not).

    Runs in its own thread; ``stop`` cuts every wait short so SIGTERM during startup is quick.
    The "loaded in" time counts from ``process_started`` (a fetch included) when given.
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
        f"{time.monotonic() - (process_started or started):.1f}s, holding {config.model_memory_mb} MiB; ready"
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
