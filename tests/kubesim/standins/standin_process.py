"""Run a stand-in program as kubesim's kubelet would (`python3 -m kubesim.standins.<name>`),
on a free port of this host, and talk to it as a tutorial's client would.

`standin` starts one: `standin("nginx", "nginx", "-c", conf, env={...}, port=port)` waits
until the port answers, and at the end stops it (SIGTERM) and keeps what it printed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Standin:
    proc: subprocess.Popen[bytes]
    port: int | None
    out_path: Path
    err_path: Path

    @property
    def stdout(self) -> str:
        return self.out_path.read_text()

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def wait_for_output(self, text: str, *, stream: str = "stdout", timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.stdout if stream == "stdout" else self.stderr
            if text in got:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared on {stream}: {got!r}")


def start_standin(
    folder: Path,
    n: int,
    name: str,
    *args: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Standin:
    """`python -m kubesim.standins.NAME ARGS` in `folder`; with `port`, wait until it answers."""
    out_path, err_path = folder / f"{name}-{n}.out", folder / f"{name}-{n}.err"
    proc = subprocess.Popen(
        [sys.executable, "-m", f"kubesim.standins.{name}", *args],
        cwd=folder,
        env={"PATH": os.environ["PATH"], **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=out_path.open("wb"),
        stderr=err_path.open("wb"),
    )
    running = Standin(proc, port, out_path, err_path)
    if port is not None:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"{name} never listened on {port} (exit {proc.poll()}): "
                        f"{running.stdout}{running.stderr}"
                    ) from None
                time.sleep(0.05)
    return running
