"""PodDisruptionBudget status (disruption controller) and the eviction verdict.

expectedPods is the number of selected pods unless the caller passes the owners' scale
(the real controller reads the controllers' spec.replicas for percentages/maxUnavailable).
"""

from __future__ import annotations

import math
from datetime import datetime

from kubesim.core.objects import (
    Obj,
    deleting,
    fmt_time,
    labels,
    meta,
    name,
    pod_ready,
    selector_matches,
)

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
