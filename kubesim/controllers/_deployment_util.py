"""Deployment arithmetic shared by the rollout strategies (deployment/util in Kubernetes).

Fence posts (maxSurge / maxUnavailable), replica-set sums, the revision and replica
annotations, the Deployment conditions and the progress predicates.  Pure functions.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from kubesim.core.objects import (
    Obj,
    annotations_of,
    created,
    deepcopy,
    fmt_time,
    get_condition,
    meta,
    name,
    parse_time,
)

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"
_SKIPPED_ANNOTATIONS = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}
MAX_INT32 = 2**31 - 1
MAX_REV_HISTORY_CHARS = 2000

# Condition reasons, as deployment/util names them.
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# --- spec accessors (stored objects are defaulted; default again defensively) -----------


def replicas(obj: Obj) -> int:
    r = (obj.get("spec") or {}).get("replicas")
    return 1 if r is None else int(r)


def status_int(obj: Obj, field: str) -> int:
    return int((obj.get("status") or {}).get(field) or 0)


def is_rolling(d: Obj) -> bool:
    return strategy(d).get("type", "RollingUpdate") == "RollingUpdate"


def strategy(d: Obj) -> Obj:
    return (d.get("spec") or {}).get("strategy") or {"type": "RollingUpdate"}


def min_ready_seconds(obj: Obj) -> int:
    return int((obj.get("spec") or {}).get("minReadySeconds") or 0)


def progress_deadline(d: Obj) -> int | None:
    """progressDeadlineSeconds, or None when there is none (unset or MaxInt32)."""
    spec = d.get("spec") or {}
    v = spec.get("progressDeadlineSeconds", 600)
    if v is None or int(v) == MAX_INT32:
        return None
    return int(v)


def revision_history_limit(d: Obj) -> int | None:
    v = (d.get("spec") or {}).get("revisionHistoryLimit", 10)
    if v is None or int(v) == MAX_INT32:
        return None
    return int(v)


# --- fence posts ------------------------------------------------------------------------


def scaled_value(v: int | str | None, total: int, *, round_up: bool, default: str) -> int:
    """intstr.GetScaledValueFromIntOrPercent: percents of ``total``, rounded up or down."""
    if v is None:
        v = default
    if isinstance(v, int):
        return v
    s = str(v)
    if not s.endswith("%"):
        return int(s)
    pct = int(s[:-1])
    exact = pct * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def fenceposts(d: Obj) -> tuple[int, int]:
    """ResolveFenceposts: (maxSurge rounded up, maxUnavailable rounded down; both 0 -> 1)."""
    ru = strategy(d).get("rollingUpdate") or {}
    desired = replicas(d)
    surge = scaled_value(ru.get("maxSurge"), desired, round_up=True, default="25%")
    unavailable = scaled_value(ru.get("maxUnavailable"), desired, round_up=False, default="25%")
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Obj) -> int:
    return fenceposts(d)[0] if is_rolling(d) else 0


def max_unavailable(d: Obj) -> int:
    if not is_rolling(d) or replicas(d) == 0:
        return 0
    return min(fenceposts(d)[1], replicas(d))


# --- replica set sets -------------------------------------------------------------------


def spec_sum(rss: list[Obj]) -> int:
    return sum(replicas(rs) for rs in rss if rs is not None)


def status_sum(rss: list[Obj], field: str) -> int:
    return sum(status_int(rs, field) for rs in rss if rs is not None)


def active(rss: list[Obj]) -> list[Obj]:
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


def by_creation(rs: Obj) -> tuple[datetime, str]:
    return (created(rs), name(rs))


def revision(rs: Obj) -> int:
    try:
        return int(annotations_of(rs).get(REVISION, "0") or 0)
    except ValueError:
        return 0


def strip_hash(template: Obj) -> Obj:
    """The template without the pod-template-hash label, for EqualIgnoreHash."""
    t = deepcopy(template or {})
    md = t.setdefault("metadata", {})
    lbls = dict(md.get("labels") or {})
    lbls.pop(HASH_LABEL, None)
    if lbls:
        md["labels"] = lbls
    else:
        md.pop("labels", None)
    if not md:
        t.pop("metadata")
    return t


def equal_ignore_hash(a: Obj, b: Obj) -> bool:
    return strip_hash(a) == strip_hash(b)


def find_new_rs(d: Obj, rss: list[Obj]) -> Obj | None:
    """The oldest RS whose template equals the Deployment's, ignoring the hash label."""
    template = (d.get("spec") or {}).get("template") or {}
    for rs in sorted(rss, key=by_creation):
        if equal_ignore_hash((rs.get("spec") or {}).get("template") or {}, template):
            return rs
    return None


def set_replicas_annotations(rs: Obj, desired: int, max_replicas: int) -> bool:
    ann = meta(rs).setdefault("annotations", {})
    changed = False
    for key, val in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(max_replicas))):
        if ann.get(key) != val:
            ann[key] = val
            changed = True
    return changed


def replicas_annotations_need_update(rs: Obj, desired: int, max_replicas: int) -> bool:
    ann = annotations_of(rs)
    return ann.get(DESIRED_REPLICAS) != str(desired) or ann.get(MAX_REPLICAS) != str(max_replicas)


def set_new_rs_annotations(d: Obj, rs: Obj, new_revision: str, *, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations: copy annotations, bump revision, keep revision history."""
    ann = meta(rs).setdefault("annotations", {})
    changed = False
    for k, v in annotations_of(d).items():
        if k in _SKIPPED_ANNOTATIONS:
            continue
        if ann.get(k) != v:
            ann[k] = v
            changed = True
    had = REVISION in ann
    old_revision = ann.get(REVISION, "")
    try:
        old_int = int(old_revision) if old_revision else 0
    except ValueError:
        return False
    new_int = int(new_revision)
    if old_int < new_int:
        ann[REVISION] = new_revision
        changed = True
        if had:
            history = ann.get(REVISION_HISTORY, "")
            if not history:
                ann[REVISION_HISTORY] = old_revision
            else:
                olds = history.split(",")
                total = len(history) + len(old_revision) + 1
                start = 0
                while total > MAX_REV_HISTORY_CHARS and start < len(olds):
                    total -= len(olds[start]) + 1
                    start += 1
                if total <= MAX_REV_HISTORY_CHARS:
                    ann[REVISION_HISTORY] = ",".join([*olds[start:], old_revision])
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def new_rs_new_replicas(d: Obj, all_rss: list[Obj], new_rs: Obj) -> int:
    """NewRSNewReplicas: how far the new RS may grow now."""
    if not is_rolling(d):
        return replicas(d)
    current = spec_sum(all_rss)
    max_total = replicas(d) + max_surge(d)
    if current >= max_total:
        return replicas(new_rs)
    scale_up = min(max_total - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + scale_up


def is_saturated(d: Obj, rs: Obj | None) -> bool:
    if rs is None:
        return False
    try:
        desired = int(annotations_of(rs).get(DESIRED_REPLICAS, ""))
    except ValueError:
        return False
    return (
        replicas(rs) == replicas(d)
        and desired == replicas(d)
        and status_int(rs, "availableReplicas") == replicas(d)
    )


def round_half_away(x: float) -> int:
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def proportion(rs: Obj, d: Obj, to_add: int, added: int) -> int:
    """GetProportion: this RS's share of a scaling event, bounded by what is left to add."""
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _fraction(rs: Obj, d: Obj) -> int:
    if replicas(d) == 0:
        return -replicas(rs)
    deployment_replicas = replicas(d) + max_surge(d)
    try:
        annotated = int(annotations_of(rs).get(MAX_REPLICAS, ""))
    except ValueError:
        annotated = status_int(d, "replicas")
    if annotated == 0:
        return 0
    size = replicas(rs) * deployment_replicas / annotated
    return round_half_away(size) - replicas(rs)


# --- conditions and progress ------------------------------------------------------------


def new_condition(ctype: str, status: str, reason: str, message: str, now: datetime) -> Obj:
    t = fmt_time(now)
    return {
        "type": ctype,
        "status": status,
        "lastUpdateTime": t,
        "lastTransitionTime": t,
        "reason": reason,
        "message": message,
    }


def set_condition(status: Obj, cond: Obj) -> None:
    """SetDeploymentCondition: no-op on same status+reason; keep transition time on same
    status; the changed condition moves to the end of the list, as in Go."""
    conds: list[Any] = status.setdefault("conditions", [])
    current = get_condition(conds, cond["type"])
    if current and current["status"] == cond["status"] and current.get("reason") == cond["reason"]:
        return
    if current and current["status"] == cond["status"]:
        cond = {**cond, "lastTransitionTime": current.get("lastTransitionTime")}
    status["conditions"] = [c for c in conds if c.get("type") != cond["type"]] + [cond]


def remove_condition(status: Obj, ctype: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != ctype]


def deployment_complete(d: Obj, st: Obj) -> bool:
    want = replicas(d)
    return (
        int(st.get("updatedReplicas") or 0) == want
        and int(st.get("replicas") or 0) == want
        and int(st.get("availableReplicas") or 0) == want
        and int(st.get("observedGeneration") or 0) >= int(meta(d).get("generation") or 0)
    )


def deployment_progressing(d: Obj, new: Obj) -> bool:
    old = d.get("status") or {}

    def g(s: Obj, k: str) -> int:
        return int(s.get(k) or 0)

    old_old = g(old, "replicas") - g(old, "updatedReplicas")
    new_old = g(new, "replicas") - g(new, "updatedReplicas")
    return (
        g(new, "updatedReplicas") > g(old, "updatedReplicas")
        or new_old < old_old
        or g(new, "readyReplicas") > g(old, "readyReplicas")
        or g(new, "availableReplicas") > g(old, "availableReplicas")
    )


def deployment_timed_out(d: Obj, st: Obj, now: datetime) -> bool:
    deadline = progress_deadline(d)
    if deadline is None:
        return False
    cond = get_condition(st.get("conditions") or [], "Progressing")
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    last = parse_time(cond.get("lastUpdateTime"))
    if last is None:
        return False
    return last + timedelta(seconds=deadline) < now
