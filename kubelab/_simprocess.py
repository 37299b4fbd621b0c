"""The one way to start a kubesim: `python -m kubesim serve` as a process, ready when it says so.

The sim backend (a server that outlives `kubelab up`), the test suites and the benchmarks
all start the simulator through here, so its command line and its readiness rule live in
one place. kubesim prints `kubesim: ready on <url>` once it serves; stdout and stderr go to
a log file, so a detached server's readiness and its last words are read the same way.
This module only builds command lines and runs a process: like the rest of kubelab it
never imports kubesim.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

READY_MARK = "kubesim: ready on "
POLL_SECONDS = 0.02


def kubesim_argv() -> list[str]:
    """`python -m kubesim` with this installation's interpreter."""
    return [sys.executable, "-m", "kubesim"]


def serve_argv(
    state_dir: Path,
    kubeconfig: Path,
    *,
    port: int | None = None,
    controllers: bool = True,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """`python -m kubesim serve`; without `controllers` the API server runs alone (no
    scheduler, kubelets or controllers), so API tests see exactly what the API does."""
    argv = [
        *kubesim_argv(),
        "serve",
        "--state-dir",
        str(state_dir),
        "--kubeconfig",
        str(kubeconfig),
    ]
    if port is not None:
        argv += ["--port", str(port)]
    if not controllers:
        argv.append("--no-controllers")
    return [*argv, *extra_args]


def stop_argv(state_dir: Path) -> list[str]:
    return [*kubesim_argv(), "stop", "--state-dir", str(state_dir)]


def control_plane_argv(state_dir: Path, action: str) -> list[str]:
    """`python -m kubesim control-plane stop|start|status`: the control-plane-down fault's
    switch, reached through the server's pid (the API port is what the fault closes);
    prints `up` or `down`."""
    return [*kubesim_argv(), "control-plane", action, "--state-dir", str(state_dir)]


def snapshot_argv(state_dir: Path, action: str, file: Path) -> list[str]:
    """`python -m kubesim snapshot save|restore FILE`: the simulator's store (it has no etcd)
    copied with SQLite's online backup, or put back through the admin channel; prints
    `saved REVISION` or `restored REVISION`."""
    return [*kubesim_argv(), "snapshot", action, str(file), "--state-dir", str(state_dir)]


def ready_url(log_text: str) -> str | None:
    """The URL a kubesim announced in its log, or None while it has not."""
    for line in log_text.splitlines():
        if line.startswith(READY_MARK):
            return line[len(READY_MARK) :].split()[0]
    return None


@dataclass
class Served:
    """A kubesim this process started and may stop."""

    process: subprocess.Popen[bytes]
    url: str
    state_dir: Path
    kubeconfig: Path
    log: Path

    def stop(self, timeout: float = 10.0) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def launch(
    state_dir: Path,
    kubeconfig: Path | None = None,
    *,
    port: int = 0,
    controllers: bool = True,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Served:
    """Start a kubesim as a child process (port 0: any free port) and wait until it serves.

    Raises RuntimeError with the end of its log if it exits or is not ready in `timeout`."""
    state_dir.mkdir(parents=True, exist_ok=True)
    kubeconfig = kubeconfig or state_dir / "kubeconfig"
    log = state_dir / "kubesim.log"
    start = log.stat().st_size if log.exists() else 0  # a restart appends: read only this run
    with log.open("ab") as sink:
        process = subprocess.Popen(
            serve_argv(
                state_dir, kubeconfig, port=port, controllers=controllers, extra_args=extra_args
            ),
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        url = ready_url(_since(log, start))
        if url:
            return Served(process, url, state_dir, kubeconfig, log)
        if process.poll() is not None:
            break
        time.sleep(POLL_SECONDS)  # a real process starting: there is no event to wait on
    if process.poll() is None:
        process.kill()
        process.wait()
    tail = _since(log, start)[-2000:]
    raise RuntimeError(f"kubesim did not get ready within {timeout:.0f} s; its log ends:\n{tail}")


def _since(log: Path, offset: int) -> str:
    with log.open("rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")
