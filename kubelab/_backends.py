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
from pathlib import Path

from kubelab import _backend_kind, _backend_sim, _bundle, _outage, _procs
from kubelab._backend_base import Backend, LabPaths, Machine
from kubelab._backend_kind import KindBackend, docker_daemon_up
from kubelab._backend_sim import SimBackend
from kubelab._errors import ClusterError, KubelabError, UsageError
from kubelab._kubeconfig import LabKubeconfig

CHOICES = ("auto", "kind", "sim")


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
        return KindBackend(paths, offline=_bundle.read(bundle) if bundle else None)
    if name == "sim":
        return SimBackend(paths)
    raise UsageError(f"Unknown backend {name!r}. Use one of: auto, kind, sim.")


def control_plane_down(paths: LabPaths, info: LabKubeconfig) -> bool:
    """Whether a fault of ours stopped the lab cluster's control plane and the backend that
    runs the lab says it is still down (`_outage`); a backend that cannot be made is not
    an outage."""
    if not _outage.stopped_by_us(paths):
        return False
    try:
        backend = make_backend(remembered(paths) or info.backend, paths)
    except KubelabError:
        return False
    return _outage.backend_says_down(paths, backend)


def machines() -> dict[str, Machine]:
    """What `kubelab doctor` finds for each backend, in `auto`'s order of preference."""
    return {"kind": _backend_kind.machine(), "sim": _backend_sim.machine()}
