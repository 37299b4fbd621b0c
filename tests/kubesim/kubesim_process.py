"""Running a real kubesim process for tests, and the venv's real kubectl against it.

`start_kubesim(dir)` runs kubesim on a free port (through kubelab's one launcher) and
returns a `Cluster`:
the kubeconfig path and an environment for kubectl with its own HOME, so the discovery
cache never leaks between runs or into the user's `~/.kube`. `Cluster.kubectl(*args)` runs
the venv's kubectl by absolute path. (A module of its own, with a unique name, so tests
can import it; fixtures live in conftest.py.)
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

import kubesim
from kubelab._simprocess import Served, launch

KUBECTL = str(Path(sys.executable).parent / "kubectl")


@dataclass
class Cluster:
    kubeconfig: Path
    env: dict[str, str]
    url: str
    state_dir: Path
    served: Served
    kubectl_binary: str = KUBECTL

    def http_session(self) -> requests.Session:
        """A requests session that talks to this kubesim as a client would: its CA, its
        bearer token, no proxy from the environment; `session.base` is the server URL."""
        config = yaml.safe_load(self.kubeconfig.read_text())
        ca_path = self.state_dir / "test-ca.crt"
        ca_path.write_bytes(
            base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])
        )
        session = requests.Session()
        session.verify = str(ca_path)
        session.trust_env = False
        session.headers["Authorization"] = "Bearer " + config["users"][0]["user"]["token"]
        session.base = self.url  # type: ignore[attr-defined]
        return session

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
    """A served kubesim (`kubelab._simprocess.launch`, the launcher kubelab itself uses);
    without `controllers` the API runs alone, so API tests see exactly what the API layer
    does (no scheduler or kubelet acting)."""
    served = launch(state_dir, port=port, controllers=controllers, extra_args=extra_args)
    home = state_dir / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "KUBECONFIG": str(served.kubeconfig)}
    return Cluster(served.kubeconfig, env, served.url, state_dir, served)


def stop_kubesim(cluster: Cluster) -> None:
    cluster.served.stop()


def internal_paths(text: str, state_dir: Path) -> list[str]:
    """The lines of `text` that name a folder of kubesim's own."""
    markers = {
        str(state_dir),
        str(state_dir.resolve()),
        ".kubelab/sim",
        sys.executable,
        sys.prefix,
        str(Path(kubesim.__file__).resolve().parent),
        str(Path(tempfile.gettempdir()) / "kubesim-"),  # its network's and scratch folders
    }
    return [line for line in text.splitlines() if any(m in line for m in markers)]
