"""Part 2's entry point for the server: the live cluster and its control plane.

`kubesim._serve` calls `install(api)` at start-up when this module exists. It installs the
nodes and kubelets (`kubesim.cluster`) and, when present, the controller manager and the
scheduler (`kubesim.cluster._controller_manager`, `_scheduler_loop`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from kubesim import cluster

if TYPE_CHECKING:
    from kubesim._api import Api


def install(api: Api, *, event_ttl: float = cluster.KIND_EVENT_TTL) -> None:
    cluster.install(api, event_ttl=event_ttl)
    try:
        manager = importlib.import_module("kubesim.cluster._controller_manager")
    except ModuleNotFoundError as exc:
        if exc.name != "kubesim.cluster._controller_manager":
            raise
        return
    manager.install(api)  # reads metrics from api.hooks.metrics, which the cluster set
