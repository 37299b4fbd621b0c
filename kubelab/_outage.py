"""The control plane down on purpose (the control-plane-down fault): remembered, and said.

A stopped control plane looks, from kubectl, like a cluster that is not there: the API
server refuses connections. `kubelab status`, `check`, `doctor` and `up` must not then tell
a learner to run `kubelab up`, but that the control plane is down on purpose and how to
bring it back. The step that stopped it leaves `<lab_home>/control-plane-down` (holding the
command that brings it back; `reset` reads it too), and only then, once the API server has
not answered, is the backend asked (`Backend.control_plane("status")`, through `_backends.control_plane_down`), so a cluster
that is simply not running costs no extra process.
"""

from __future__ import annotations

from pathlib import Path

from kubelab._backend_base import Backend, LabPaths
from kubelab._errors import KubelabError
from kubelab._kubeconfig import LabKubeconfig

DEFAULT_FIX = "kubelab fix control-plane-down"


def marker(paths: LabPaths) -> Path:
    return paths.home / "control-plane-down"


def remember_down(paths: LabPaths, fix: str) -> None:
    paths.home.mkdir(parents=True, exist_ok=True)
    marker(paths).write_text(fix + "\n")


def forget_down(paths: LabPaths) -> None:
    marker(paths).unlink(missing_ok=True)


def stopped_by_us(paths: LabPaths) -> bool:
    return marker(paths).exists()


def fix_command(paths: LabPaths) -> str:
    try:
        return marker(paths).read_text().strip() or DEFAULT_FIX
    except OSError:
        return DEFAULT_FIX


def backend_says_down(paths: LabPaths, backend: Backend) -> bool:
    """Whether a step of ours stopped the control plane and the backend says it is still
    down. Any trouble asking (no kubesim running, no Docker) is not an outage: the caller's
    own message stands."""
    if not stopped_by_us(paths):
        return False
    try:
        return backend.control_plane("status") == "down"
    except (KubelabError, OSError, ValueError):
        return False


def down_message(paths: LabPaths, info: LabKubeconfig) -> str:
    """One paragraph: what is down, what still works, and the command that brings it back."""
    return (
        f"The lab cluster's control plane is down: the API server at {info.server} refuses "
        "connections, and the controller manager and the scheduler are stopped (the "
        "control-plane-down fault). Running pods keep running and Services keep answering "
        "from them, but nothing can be read or changed through the API, and nothing is "
        "scheduled, scaled or healed until it is back; this is not a cluster to recreate "
        f"with `kubelab up`. Bring the control plane back with `{fix_command(paths)}`."
    )
