"""kubesim/cluster.yaml, read once: the simulated cluster's name, versions and nodes.

The API layer (the apiserver's own Endpoints at bootstrap) and the cluster package (node
objects, kubelets) both need it, so it lives outside either.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kubesim.core.data import read_data


@cache
def cluster_config() -> dict[str, Any]:
    return read_data("cluster.yaml")


def control_plane_ip() -> str:
    """Where kube-apiserver runs: the control-plane node's InternalIP."""
    return next(n["ip"] for n in cluster_config()["nodes"] if n["role"] == "control-plane")
