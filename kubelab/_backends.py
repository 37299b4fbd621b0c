"""Which cluster backs the lab (kind or the simulator), and the protocol both follow.

This is the launcher: the only place in the project that knows a simulator exists
(DESIGN.md: no `if sim:` outside it). Everything past `make_backend()` sees a `Backend`
and a kubeconfig, exactly as the checker and the notebooks do.

    auto  -> kind when `docker info` succeeds and `kind` is on PATH, else sim
    kind  -> kind, or a clear error saying what is missing
    sim   -> kubesim, a simulated Kubernetes 1.37 API server started as a local process

The choice is remembered in `<lab_home>/backend` (one word) so `down` and `status` act on
what `up` started even when Docker comes and goes in between.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kubelab import _procs
from kubelab._errors import ClusterError, UsageError
from kubelab._kubeconfig import LabKubeconfig, kubeconfig_path, lab_home
from kubelab._progress import Progress

CHOICES = ("auto", "kind", "sim")
REPO_ROOT = Path(__file__).resolve().parent.parent


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


def resolve_choice(requested: str | None, *, env: str | None = None) -> str:
    """The backend name asked for: the flag, else $KUBELAB_BACKEND, else auto."""
    value = (requested or env or "auto").strip().lower()
    if value not in CHOICES:
        source = "--backend" if requested else "KUBELAB_BACKEND"
        raise UsageError(
            f"Unknown backend {value!r} (from {source}). kubelab runs the lab on `kind` "
            "(a real Kubernetes in Docker), on `sim` (kubesim, the built-in simulated "
            "cluster), or on `auto`, which picks kind when Docker is running and kind is "
            "installed and sim otherwise. Use one of: auto, kind, sim."
        )
    return value


def auto_choice(*, docker_daemon: bool, kind_on_path: bool) -> str:
    """kind only when it can work right now; the simulator otherwise."""
    return "kind" if docker_daemon and kind_on_path else "sim"


def docker_daemon_up() -> bool:
    if _procs.which("docker") is None:
        return False
    return _procs.run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=20).ok


def probe_auto() -> str:
    """Ask the machine which backend `auto` means (kind's check first: it is cheap)."""
    kind = _procs.which("kind") is not None
    return auto_choice(docker_daemon=kind and docker_daemon_up(), kind_on_path=kind)


def remembered(paths: LabPaths) -> str | None:
    try:
        word = paths.backend_file.read_text().strip()
    except OSError:
        return None
    return word if word in ("kind", "sim") else None


def remember(paths: LabPaths, name: str) -> None:
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.backend_file.write_text(name + "\n")


def forget(paths: LabPaths) -> None:
    for path in (paths.backend_file, paths.kubeconfig):
        path.unlink(missing_ok=True)


def pick(requested: str | None, paths: LabPaths) -> str:
    """The backend `up` acts on: the one already up wins over a fresh auto choice."""
    choice = resolve_choice(requested, env=os.environ.get("KUBELAB_BACKEND"))
    running = remembered(paths) if paths.kubeconfig.exists() else None
    if choice == "auto":
        return running or probe_auto()
    if running and running != choice:
        raise ClusterError(
            f"The lab cluster is already up on the {running} backend, and you asked for "
            f"{choice}. The lab runs one cluster at a time: run `kubelab down` first, then "
            f"`kubelab up --backend {choice}`."
        )
    return choice


def make_backend(name: str, paths: LabPaths, *, bundle: Path | None = None) -> Backend:
    """The launcher's one branch between the real cluster and the simulator.

    `bundle`: a workshop bundle folder (`kubelab bundle`) whose images replace every pull;
    only kind pulls images, so only kind takes one.
    """
    if bundle is not None and name != "kind":
        raise UsageError(
            f"--from-bundle brings the images a kind cluster would pull, and the {name} "
            "backend pulls none. Run `kubelab up --from-bundle DIR` (kind), or `kubelab up "
            "--backend sim` without a bundle."
        )
    if name == "kind":
        from kubelab._backend_kind import KindBackend

        if bundle is None:
            return KindBackend(paths)
        from kubelab import _bundle

        return KindBackend(paths, offline=_bundle.read(bundle))
    if name == "sim":
        from kubelab._backend_sim import SimBackend

        return SimBackend(paths)
    raise UsageError(f"Unknown backend {name!r}. Use one of: auto, kind, sim.")


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
