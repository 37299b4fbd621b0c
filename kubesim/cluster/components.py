"""Everything a kind cluster runs beside the API server, installed into one `Api`.

The nodes with their kubelets and the pod network (`kubesim.cluster.live`), then the
controller manager (which reads metrics from the hooks the nodes set, so the order
matters) and the scheduler. The nodes and the network are `hooks.tasks` (the data plane);
the controller manager and the scheduler are `hooks.control_plane`, which the
control-plane-down fault stops with the API server (`kubesim.cluster.controlplane`).
"""

from __future__ import annotations

from kubesim import controllermanager, scheduler
from kubesim.apiserver.api import Api
from kubesim.cluster import live
from kubesim.cluster.event_ttl import KIND_EVENT_TTL


def install(api: Api, *, event_ttl: float = KIND_EVENT_TTL) -> None:
    live.install(api, event_ttl=event_ttl)
    data_plane = len(api.hooks.tasks)
    controllermanager.install(api)  # reads metrics from api.hooks.metrics, which the nodes set
    # the controller manager's loop is the control plane's: it stops with the API server
    api.hooks.control_plane.extend(api.hooks.tasks[data_plane:])
    del api.hooks.tasks[data_plane:]
    api.hooks.control_plane.append(scheduler.run_scheduler)
