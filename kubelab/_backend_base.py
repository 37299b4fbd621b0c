"""What every backend shares: the lab's paths, the `Backend` protocol, and kubectl on the
lab's kubeconfig.

The backends (`_backend_kind`, `_backend_sim`) and everything that runs kubectl for the lab
import this module; only the launcher (`_backends`) imports the backends themselves, so the
layers stay a tree: base <- backends <- launcher <- commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kubelab import _procs
from kubelab._errors import ClusterError
from kubelab._kubeconfig import LabKubeconfig, kubeconfig_path, lab_home
from kubelab._progress import Progress

REPO_ROOT = Path(__file__).resolve().parent.parent
# the Kubernetes minor every backend serves: kind's node image and kubesim alike
KUBERNETES_MINOR = (1, 37)
OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class LabPaths:
    """Where the lab keeps things: its home (`.kubelab/`) and the course files in the repo."""

    home: Path
    repo: Path = REPO_ROOT

    @property
    def kubeconfig(self) -> Path:
        return self.home / "kubeconfig"

    @property
    def backend_file(self) -> Path:
        return self.home / "backend"

    @property
    def sim_dir(self) -> Path:
        return self.home / "sim"

    @property
    def kube_cache(self) -> Path:
        # kubectl's discovery cache lives with the lab, not under ~/.kube.
        return self.home / "kube-cache"

    @property
    def manifests(self) -> Path:
        return self.repo / "manifests"

    @property
    def notebooks(self) -> Path:
        return self.repo / "notebooks"


@dataclass(frozen=True)
class Row:
    """One line of `kubelab doctor`: a requirement, how it stands, what was found, the fix."""

    item: str
    status: str
    found: str
    fix: str = ""


class Machine(Protocol):
    """What `kubelab doctor` found on this machine for one backend (gathered at the edge by
    the backend's own module, judged purely here), so the doctor knows no backend by name."""

    def rows(self) -> list[Row]:
        """This backend's requirements, each with what was found and the fix."""
        ...

    def usable(self) -> bool:
        """The backend can bring up a cluster here now."""
        ...

    def preferred(self) -> bool:
        """`auto` would pick it (kind when Docker and kind are there; the simulator always)."""
        ...

    def needs(self) -> str:
        """What stands between it and a cluster, as a clause for the doctor's verdict."""
        ...


def minor_of(version: str | None) -> tuple[int, int] | None:
    match = re.search(r"v?(\d+)\.(\d+)", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def lab_paths() -> LabPaths:
    home = lab_home()
    assert kubeconfig_path() == home / "kubeconfig"  # one rule, from _kubeconfig
    return LabPaths(home=home)


class Backend(Protocol):
    """What `up`, `down` and `status` need from a cluster backend."""

    name: str
    paths: LabPaths

    def up(self, progress: Progress) -> None:
        """Bring the cluster to Ready, redoing only what is missing."""

    def down(self, progress: Progress, *, force: bool) -> None:
        """Delete the cluster and the lab kubeconfig."""

    def steps(self) -> int:
        """How many progress lines `up` prints (for the `[n/N]` counter)."""
        ...

    def node(self, name: str, action: str) -> None:
        """Stop or start one node of the lab cluster (`action` is "stop" or "start").

        Node faults (`{node: {name, action}}` steps) need it: a stopped node goes NotReady
        and its pods are evicted after the grace period, as when a machine dies.
        """

    def control_plane(self, action: str) -> str:
        """Stop or start the control plane (API server, controller manager, scheduler) while
        the nodes and the pod network run on, or ask (`status`); returns `up` or `down`.

        The control-plane-down fault (`{controlPlane: stop}` steps) needs it."""
        ...

    def snapshot(self, action: str, file: Path) -> str:
        """Save a snapshot of the cluster's store to `file`, or restore it from `file`
        (`action` is "save" or "restore"); returns one line saying what was done.

        kind: etcd's own snapshot (`etcdctl snapshot save` in the etcd pod; `etcdutl snapshot
        restore` into a new data dir that the etcd manifest then points at). The simulator
        has no etcd: its SQLite store's snapshot. A restore rewinds the API's state; the
        nodes' running containers keep running."""
        ...

    def describe(self, info: LabKubeconfig) -> list[tuple[str, str]]:
        """Rows `kubelab status` shows about this backend: what it is, and what it cannot
        do as the real thing would (the simulator names its limits; DESIGN.md, Backends)."""
        ...


def kubectl(paths: LabPaths, *args: str) -> list[str]:
    """A kubectl argv on the lab's kubeconfig, always explicit, never the user's."""
    return [
        _procs.kubectl_binary(),
        "--kubeconfig",
        str(paths.kubeconfig),
        "--cache-dir",
        str(paths.kube_cache),
        *args,
    ]


def run_kubectl(paths: LabPaths, *args: str, timeout: float | None = 300) -> _procs.Result:
    return _procs.run(kubectl(paths, *args), env=_procs.lab_env(paths.kubeconfig), timeout=timeout)


def check(result: _procs.Result, what: str, fix: str) -> _procs.Result:
    """A failed step becomes one paragraph: what failed, its own last words, what to do."""
    if result.ok:
        return result
    said = (result.stderr or result.stdout).strip().splitlines()
    tail = " ".join(said[-3:]) if said else f"exit code {result.returncode}"
    raise ClusterError(f"{what} failed: {tail}. {fix}")


def wait_nodes_ready(paths: LabPaths, progress: Progress, *, timeout: str = "180s") -> None:
    progress.step("Wait until every node is Ready")
    check(
        run_kubectl(
            paths, "wait", "--for=condition=Ready", "nodes", "--all", f"--timeout={timeout}"
        ),
        "Waiting for the nodes to be Ready",
        "Look at `kubectl get nodes` and `kubectl describe nodes` with the lab kubeconfig, "
        "or start over with `kubelab down` and `kubelab up`.",
    )


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log was written)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(the log is empty)"
