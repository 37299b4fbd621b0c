"""PodDisruptionBudget status (disruption controller) and the eviction verdict.

expectedPods is the number of selected pods unless the caller passes the owners' scale
(the real controller reads the controllers' spec.replicas for percentages/maxUnavailable).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from kubesim.core.objects import (
    Obj,
    deleting,
    fmt_time,
    labels,
    meta,
    name,
    parse_time,
    pod_ready,
    selector_matches,
)

from ._actions import Decision, UpdateStatus

DISRUPTED_POD_TIMEOUT = 120.0  # the disruption controller's DeletionTimeout
EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE_PDBS = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."


def _scaled(v: int | str, total: int) -> int:
    if isinstance(v, str) and v.endswith("%"):
        return math.ceil(int(v[:-1]) * total / 100)
    return int(v)


def covers(pdb: Obj, pod: Obj) -> bool:
    return meta(pdb).get("namespace") == meta(pod).get("namespace") and selector_matches(
        (pdb.get("spec") or {}).get("selector"), labels(pod)
    )


def pdb_status(
    pdb: Obj, pods: list[Obj], *, now: datetime, expected_pods: int | None = None
) -> Obj:
    """The status the disruption controller writes for ``pdb``."""
    spec = pdb.get("spec") or {}
    mine = [p for p in pods if covers(pdb, p)]
    expected = len(mine) if expected_pods is None else expected_pods
    if spec.get("maxUnavailable") is not None:
        desired = max(0, expected - _scaled(spec["maxUnavailable"], expected))
    else:
        desired = _scaled(spec.get("minAvailable", 1), expected)
    healthy = sum(1 for p in mine if pod_ready(p) and not deleting(p))
    allowed = max(healthy - desired, 0)
    old = next(
        (
            c
            for c in (pdb.get("status") or {}).get("conditions") or []
            if c["type"] == "DisruptionAllowed"
        ),
        None,
    )
    status = "True" if allowed > 0 else "False"
    ltt = old["lastTransitionTime"] if old and old.get("status") == status else fmt_time(now)
    return {
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "disruptionsAllowed": allowed,
        "expectedPods": expected,
        "observedGeneration": int(meta(pdb).get("generation") or 0),
        "conditions": [
            {
                "type": "DisruptionAllowed",
                "status": status,
                "reason": "SufficientPods" if allowed > 0 else "InsufficientPods",
                "message": "",
                "lastTransitionTime": ltt,
                "observedGeneration": int(meta(pdb).get("generation") or 0),
            }
        ],
    }


def eviction_decision(pod: Obj, pdbs: list[Obj], pods: list[Obj]) -> str | None:
    """None when the eviction may proceed, else the API's refusal message (429, or 500
    for several budgets).  ``pods`` is unused today; kept for unhealthy-pod policies."""
    del pods
    matching = [b for b in pdbs if covers(b, pod)]
    if not matching:
        return None
    if len(matching) > 1:
        return MULTIPLE_PDBS
    st = matching[0].get("status") or {}
    if int(st.get("disruptionsAllowed") or 0) <= 0:
        return EVICTION_REFUSED
    return None


def eviction_cause(pdb: Obj) -> str:
    """The DisruptionBudget cause that accompanies the 429."""
    st = pdb.get("status") or {}
    return (
        f"The disruption budget {name(pdb)} needs {int(st.get('desiredHealthy') or 0)} healthy pods "
        f"and has {int(st.get('currentHealthy') or 0)} currently"
    )


def reconcile_pdb(
    pdb: Obj, pods: list[Obj], *, now: datetime, expected_pods: int | None = None
) -> Decision:
    """The disruption controller's sync: forget disrupted pods that are gone, being deleted
    or older than its DeletionTimeout, count the rest, and write the status when it changed
    (looking again when the next remembered disruption expires)."""
    disrupted = dict((pdb.get("status") or {}).get("disruptedPods") or {})
    live = {p["metadata"]["name"]: p for p in pods}
    recheck: float | None = None
    for pod_name, at in list(disrupted.items()):
        when = parse_time(at)
        pod = live.get(pod_name)
        expired = when is None or when + timedelta(seconds=DISRUPTED_POD_TIMEOUT) < now
        if pod is None or deleting(pod) or expired:
            del disrupted[pod_name]
        elif when is not None:
            left = (when + timedelta(seconds=DISRUPTED_POD_TIMEOUT) - now).total_seconds()
            recheck = left if recheck is None else min(recheck, left)
    counted = [p for p in pods if p["metadata"]["name"] not in disrupted]
    status = pdb_status(pdb, counted, now=now, expected_pods=expected_pods)
    if disrupted:
        status["disruptedPods"] = disrupted
    if status == (pdb.get("status") or {}):
        return Decision([], recheck)
    return Decision([UpdateStatus({**pdb, "status": status})], recheck)
