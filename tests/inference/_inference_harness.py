"""Helpers that run the inference service as a real process on a free local port.

The server runs from a scratch working directory holding ``models/`` (as in the image and
in kubesim's sandbox), so MODEL_PATH=models/iris-logreg.json is resolved exactly as there.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# The venv's editable install may predate inference/__init__.py and then maps ``inference``
# as a namespace package (no re-exported names). Putting the checkout first makes the
# regular package win, as it does under ``python -m pytest`` from the repo root.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
MODELS = REPO / "inference" / "models"
MODEL_PATH = "models/iris-logreg.json"
SETOSA = [5.1, 3.5, 1.4, 0.2]


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it, we release it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], *, timeout: float = 5.0, what: str = "") -> Any:
    """Poll a real process's observable state with tiny waits; fail with ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Server:
    """A running ``python -m inference`` and helpers to talk to it."""

    proc: subprocess.Popen[bytes]
    port: int
    log_file: Path
    started: float
    _closed: bool = field(default=False)

    def request(
        self, method: str, path: str, body: bytes | None = None, *, timeout: float = 10.0
    ) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, text)
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, doc: Any, **kw: Any) -> Response:
        return self.request("POST", path, json.dumps(doc).encode(), **kw)

    def log(self) -> str:
        return self.log_file.read_text()

    def wait_log(self, fragment: str, *, timeout: float = 10.0) -> None:
        """Wait until the server has logged ``fragment``; on timeout, show the whole log."""
        try:
            wait_until(lambda: fragment in self.log(), timeout=timeout, what=repr(fragment))
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the server's log:\n{self.log()}") from None

    def wait_ready(self, timeout: float = 5.0) -> None:
        wait_until(lambda: self._status("/ready") == 200, timeout=timeout, what="/ready 200")

    def wait_listening(self, timeout: float = 5.0) -> None:
        wait_until(lambda: self._status("/health") == 200, timeout=timeout, what="/health")

    def _status(self, path: str) -> int | None:
        if self.proc.poll() is not None:
            raise AssertionError(f"server exited {self.proc.returncode}:\n{self.log()}")
        try:
            return self.get(path).status
        except OSError:
            return None

    def terminate(self, sig: int = signal.SIGTERM, *, timeout: float = 10.0) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)


def run_env(**env: str) -> dict[str, str]:
    """The child's environment: ours, minus inference variables, plus ``env``."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "MODEL_PATH",
            "PORT",
            "STARTUP_SECONDS",
            "MODEL_MEMORY_MB",
            "PREDICT_CPU_MS",
            "LOG_LEVEL",
            "INFERENCE_VERSION",
            "DRAIN_SECONDS",
            "MODEL_URL",
            "MODEL_FETCH_SECONDS",
            "API_KEY_FILE",
        }
    }
    keep["PYTHONPATH"] = str(REPO)
    keep["PYTHONUNBUFFERED"] = "1"
    keep.update(env)
    return keep


def launch(workdir: Path, *, as_user: int | None = None, **env: str | None) -> Server:
    """Start the server with defaults fit for tests; ``env`` overrides (None unsets).

    ``as_user`` runs it under another uid (needs root): the way to meet file permissions
    when the tests themselves run as root, as they do in CI."""
    port = free_port()
    full: dict[str, str | None] = {
        "MODEL_PATH": MODEL_PATH,
        "PORT": str(port),
        "STARTUP_SECONDS": "0",
        "MODEL_MEMORY_MB": "0",
        "PREDICT_CPU_MS": "1",
        **env,
    }
    given = {k: v for k, v in full.items() if v is not None}
    if given.get("PORT", "").isdigit():  # a test may pass a taken or malformed PORT
        port = int(given["PORT"])
    log_file = workdir / f"server-{port}.log"
    with log_file.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "inference"],
            cwd=workdir,
            env=run_env(**given),
            stdout=out,
            stderr=subprocess.STDOUT,
            user=as_user,
        )
    return Server(proc=proc, port=port, log_file=log_file, started=time.monotonic())
