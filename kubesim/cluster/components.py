"""Everything a kind cluster runs beside the API server, installed into one `Api`.

The nodes with their kubelets and the pod network (`kubesim.cluster.live`), then the
controller manager (which reads metrics from the hooks the nodes set, so the order
matters) and the scheduler.
"""

from __future__ import annotations

from kubesim import controllermanager, scheduler
from kubesim.apiserver.api import Api
from kubesim.cluster import live


def install(api: Api) -> None:
    live.install(api)
    controllermanager.install(api)  # reads metrics from api.hooks.metrics, which the nodes set
    api.hooks.tasks.append(scheduler.run_scheduler)
