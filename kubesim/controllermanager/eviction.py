"""The PodDisruptionBudget check of the eviction subresource (`kubectl drain` goes through
it): the API server side of the disruption controller's bookkeeping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.apiserver.api import WriteOptions
from kubesim.client.actuator import CONTROLLER_MANAGER
from kubesim.controllers import eviction_verdict, spent_status
from kubesim.core.errors import InternalError, TooManyRequests
from kubesim.core.objects import meta

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]


def check_eviction(api: Api, pod: Obj, eviction: Obj) -> None:
    """`hooks.eviction_check`: the eviction REST's budget check (`eviction_verdict`). A
    refusal is a 429 with its DisruptionBudget cause (a 500 for several budgets); a pass
    that spends a disruption writes the budget's status first (`spent_status`), as
    checkAndDecrement does, so two quick evictions cannot both pass one allowed
    disruption. A dry run is judged the same and spends nothing (checkAndDecrement)."""
    dry_run = bool((eviction.get("deleteOptions") or {}).get("dryRun"))
    ns = meta(pod).get("namespace") or ""
    res = api.resource("policy", "v1", "poddisruptionbudgets")
    verdict = eviction_verdict(pod, api.list(res, ns).objects())
    if verdict.refusal is not None:
        if verdict.code == 500:
            raise InternalError(verdict.refusal)
        raise TooManyRequests(
            verdict.refusal,
            details={"causes": [{"reason": "DisruptionBudget", "message": verdict.cause}]},
        )
    if verdict.spend and verdict.pdb is not None and not dry_run:
        pdb = verdict.pdb
        status = spent_status(pdb, pod["metadata"]["name"], now=api.clock.now())
        api.update(
            res,
            ns,
            pdb["metadata"]["name"],
            {**pdb, "status": status},
            subresource="status",
            options=WriteOptions(field_manager=CONTROLLER_MANAGER),
        )
