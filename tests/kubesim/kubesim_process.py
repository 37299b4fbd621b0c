"""Running a real kubesim process for tests, and the venv's real kubectl against it.

`start_kubesim(dir)` runs `python -m kubesim serve` on a free port and returns a `Cluster`:
the kubeconfig path and an environment for kubectl with its own HOME, so the discovery
cache never leaks between runs or into the user's `~/.kube`. `Cluster.kubectl(*args)` runs
the venv's kubectl by absolute path. (A module of its own, with a unique name, so tests
can import it; fixtures live in conftest.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

KUBECTL = str(Path(sys.executable).parent / "kubectl")
READY_TIMEOUT = 30.0


@dataclass
class Cluster:
    kubeconfig: Path
    env: dict[str, str]
    url: str
    state_dir: Path
    process: subprocess.Popen[str]
    kubectl_binary: str = KUBECTL

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [KUBECTL, "--kubeconfig", str(self.kubeconfig), *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}"
            )
        return proc


def start_kubesim(
    state_dir: Path, *, port: int = 0, controllers: bool = False, extra_args: tuple[str, ...] = ()
) -> Cluster:
    """Start `python -m kubesim serve`; without `controllers` the API runs alone, so API
    tests see exactly what the API layer does (no scheduler or kubelet acting)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    kubeconfig = state_dir / "kubeconfig"
    log = open(state_dir / "kubesim.stderr", "a")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubesim",
            "serve",
            "--state-dir",
            str(state_dir),
            "--kubeconfig",
            str(kubeconfig),
            "--port",
            str(port),
            *([] if controllers else ["--no-controllers"]),
            *extra_args,
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    deadline = time.monotonic() + READY_TIMEOUT
    url = ""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("kubesim: ready on "):
            url = line.split()[3]
            break
    if not url:
        proc.kill()
        raise RuntimeError(
            f"kubesim did not get ready: {(state_dir / 'kubesim.stderr').read_text()}"
        )
    home = state_dir / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "KUBECONFIG": str(kubeconfig)}
    return Cluster(kubeconfig, env, url, state_dir, proc)


def stop_kubesim(cluster: Cluster) -> None:
    cluster.process.terminate()
    try:
        cluster.process.wait(10)
    except subprocess.TimeoutExpired:
        cluster.process.kill()
        cluster.process.wait()
