"""The lab's own kubeconfig, and the guard that keeps kubelab off every other cluster.

DESIGN.md, "One kubeconfig, never the user's": kubelab writes `.kubelab/kubeconfig` and
uses nothing else. `~/.kube/config` and `$KUBECONFIG` are never read. Every command that
changes cluster state calls `require_lab_kubeconfig()` first.

Where `.kubelab/` is: `$KUBELAB_HOME` when set (the notebook kernel gets it from
`kubelab course`), otherwise the nearest `.kubelab/` in the current folder or a parent,
otherwise `./.kubelab` (where `kubelab up` creates it).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

from kubelab._errors import ClusterError, ForeignContextError

CLUSTER_NAME = "kubelab"
# kind names its context kind-<cluster>; kubesim mirrors that pattern with its own prefix.
LAB_CONTEXTS = ("kind-kubelab", "kubesim-kubelab")


def lab_home(cwd: Path | None = None) -> Path:
    """The `.kubelab` folder that holds the lab's kubeconfig and simulator state."""
    env = os.environ.get("KUBELAB_HOME")
    if env:
        return Path(env).expanduser().resolve()
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".kubelab").is_dir():
            return folder / ".kubelab"
    return here / ".kubelab"


def kubeconfig_path(cwd: Path | None = None) -> Path:
    return lab_home(cwd) / "kubeconfig"


@dataclass(frozen=True)
class LabKubeconfig:
    path: Path
    context: str
    server: str

    @property
    def backend(self) -> str:
        return "sim" if self.context.startswith("kubesim-") else "kind"


def inspect_kubeconfig(path: Path) -> LabKubeconfig:
    """Read a kubeconfig and say which context and server it points at (no guard)."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError as exc:
        raise ClusterError(
            f"There is no lab cluster yet: {path} does not exist. Run `kubelab up` to create "
            "the lab's cluster (it writes that kubeconfig), then try again."
        ) from exc
    except yaml.YAMLError as exc:
        raise ClusterError(
            f"The lab kubeconfig {path} is not valid YAML ({exc.__class__.__name__}). "
            "Run `kubelab down` and `kubelab up` to write a fresh one."
        ) from exc
    context = str(data.get("current-context") or "")
    contexts = {c.get("name"): c.get("context", {}) for c in data.get("contexts") or []}
    clusters = {c.get("name"): c.get("cluster", {}) for c in data.get("clusters") or []}
    cluster_name = (contexts.get(context) or {}).get("cluster")
    server = str((clusters.get(cluster_name) or {}).get("server") or "")
    return LabKubeconfig(path=path, context=context, server=server)


def _is_local(server: str) -> bool:
    host = urlparse(server).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_lab_kubeconfig(path: Path | None = None) -> LabKubeconfig:
    """The lab's kubeconfig, or an error if it points anywhere but the lab's own cluster."""
    info = inspect_kubeconfig(path or kubeconfig_path())
    if info.context not in LAB_CONTEXTS or not _is_local(info.server):
        raise ForeignContextError(
            f"Refusing to act: the kubeconfig {info.path} points at context "
            f"{info.context or '(none)'!r} on {info.server or '(no server)'}, which is not the "
            f"lab's own cluster (expected one of {', '.join(LAB_CONTEXTS)} on this machine). "
            "kubelab only ever touches the cluster it created; run `kubelab up` to create it, "
            "and leave other clusters to your own kubectl."
        )
    return info
