"""The PodDisruptionBudget check of the eviction subresource (`kubectl drain` goes through
it): the API server side of the disruption controller's bookkeeping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.apiserver.api import WriteOptions
from kubesim.client.actuator import CONTROLLER_MANAGER
from kubesim.controllers import eviction_cause, eviction_decision
from kubesim.core.errors import InternalError, TooManyRequests
from kubesim.core.objects import deleting, labels, meta, phase, selector_matches

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]


def check_eviction(api: Api, pod: Obj, eviction: Obj) -> None:
    """`hooks.eviction_check`: refuse with 429 (and the DisruptionBudget cause) when the
    pod's budget allows no disruption; otherwise spend one disruption in the budget's
    status (disruptionsAllowed - 1, disruptedPods[pod] = now) as the eviction REST does,
    so two quick evictions cannot both pass one allowed disruption."""
    if phase(pod) in ("Succeeded", "Failed") or deleting(pod):
        return
    ns = meta(pod).get("namespace") or ""
    res = api.resource("policy", "v1", "poddisruptionbudgets")
    pdbs = api.list(res, ns).objects()
    verdict = eviction_decision(pod, pdbs, [])
    matching = [
        b for b in pdbs if selector_matches((b.get("spec") or {}).get("selector"), labels(pod))
    ]
    if verdict is not None:
        if len(matching) > 1:
            raise InternalError(verdict)
        raise TooManyRequests(
            verdict,
            details={
                "causes": [{"reason": "DisruptionBudget", "message": eviction_cause(matching[0])}]
            },
        )
    if len(matching) == 1:
        pdb = matching[0]
        status = dict(pdb.get("status") or {})
        status["disruptionsAllowed"] = max(int(status.get("disruptionsAllowed") or 0) - 1, 0)
        disrupted = dict(status.get("disruptedPods") or {})
        disrupted[pod["metadata"]["name"]] = api.clock.rfc3339()
        status["disruptedPods"] = disrupted
        api.update(
            res,
            ns,
            pdb["metadata"]["name"],
            {**pdb, "status": status},
            subresource="status",
            options=WriteOptions(field_manager=CONTROLLER_MANAGER),
        )
