"""Everything a kind cluster runs beside the API server, installed into one `Api`.

The nodes with their kubelets and the pod network (`kubesim.cluster.live`), then the
controller manager (which reads metrics from the hooks the nodes set, so the order
matters) and the scheduler.
"""

from __future__ import annotations

from kubesim import controllermanager, scheduler
from kubesim.apiserver.api import Api
from kubesim.cluster import live
from kubesim.cluster.event_ttl import KIND_EVENT_TTL


def install(api: Api, *, event_ttl: float = KIND_EVENT_TTL) -> None:
    live.install(api, event_ttl=event_ttl)
    controllermanager.install(api)  # reads metrics from api.hooks.metrics, which the nodes set
    api.hooks.tasks.append(scheduler.run_scheduler)
