"""The replicaset controller's decision: adopt, create or delete pods, and write status.

Follows pkg/controller/replicaset (syncReplicaSet, manageReplicas, calculateStatus) and the
pod ranking of controller_utils (ActivePodsWithRanks) used to pick which pods to delete.
Created pods use ``generateName: <rs-name>-``; their SuccessfulCreate event is attached to
the Create action and carries ``{name}`` until the server has chosen the name.

The replication controller is the same controller upstream (pkg/controller/replication
wraps the ReplicaSet controller, converting a ReplicationController's map selector into a
label selector): ``reconcile_replicationcontroller`` does the same over a converted view
and writes the status back onto the ReplicationController as it was stored.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import cmp_to_key

from kubesim.core.objects import (
    Obj,
    annotations_of,
    controller_ref,
    deepcopy,
    deleting,
    fmt_time,
    labels,
    meta,
    name,
    owner_ref_to,
    parse_time,
    phase,
    pod_active,
    pod_available,
    pod_from_template,
    pod_ready,
    pod_ready_since,
    selector_matches,
    uid,
)

from ._actions import Action, Create, Decision, Emit, Event, Update, UpdateStatus, delete_of
from ._actions import object_ref as ref

BURST_REPLICAS = 500
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def reconcile_replicaset(
    rs: Obj, pods: list[Obj], *, now: datetime, related_pods: list[Obj] | None = None
) -> Decision:
    """One syncReplicaSet pass over all ``pods`` of the namespace.

    ``related_pods`` (pods of sibling replica sets of the same Deployment) only sharpen the
    choice of which pods to delete (doubled-up nodes first); default: this RS's own pods.
    """
    actions: list[Action] = []
    spec = rs.get("spec") or {}
    want = 1 if spec.get("replicas") is None else int(spec["replicas"])
    mrs = int(spec.get("minReadySeconds") or 0)

    mine, claim_actions = _claim(rs, [p for p in pods if pod_active(p)])
    actions += claim_actions

    if not deleting(rs):
        diff = len(mine) - want
        if diff < 0:
            for _ in range(min(-diff, BURST_REPLICAS)):
                actions.append(_create_pod(rs))
        elif diff > 0:
            for pod in pods_to_delete(
                mine, related_pods or mine, min(diff, BURST_REPLICAS), now=now
            ):
                actions.append(
                    delete_of(
                        pod,
                        events=(
                            Event(
                                ref(rs), "Normal", "SuccessfulDelete", f"Deleted pod: {name(pod)}"
                            ),
                        ),
                    )
                )
        # The real controller waits for its expectations; the counts below describe the
        # pods as they are now, and the next pass sees the creations and deletions.

    status = _status(rs, mine, mrs, now)
    # calculateStatus drops ReplicaFailure once manageReplicas succeeds; here, once nothing
    # is left to create or delete (the manager sets it when a create is refused).
    cleared = None if len(mine) != want else replica_failure_status(rs, None, now=now)
    if status != _comparable(rs.get("status") or {}) or cleared is not None:
        updated = deepcopy(rs)
        updated["status"] = {**(cleared or rs.get("status") or {}), **status}
        for k in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
            if not updated["status"].get(k):
                updated["status"].pop(k, None)
        actions.append(UpdateStatus(updated))

    return Decision(actions, _requeue(mine, want, mrs, now))


def replica_failure_status(rs: Obj, error: str | None, *, now: datetime) -> Obj | None:
    """calculateStatus's ReplicaFailure condition: added (True, FailedCreate, the refused
    create's error, as `kubectl describe replicaset` shows it) when manageReplicas failed
    and the ReplicaSet has none yet; removed when it no longer fails. The new status, or
    None when it stays as it is. The deployment controller copies the condition onto the
    Deployment."""
    status = dict(rs.get("status") or {})
    conditions = list(status.get("conditions") or [])
    have = any(c.get("type") == "ReplicaFailure" for c in conditions)
    if error is not None and not have:
        conditions.append(
            {
                "type": "ReplicaFailure",
                "status": "True",
                "lastTransitionTime": fmt_time(now),
                "reason": "FailedCreate",
                "message": error,
            }
        )
    elif error is None and have:
        conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
    else:
        return None
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)
    return status


def reconcile_replicationcontroller(rc: Obj, pods: list[Obj], *, now: datetime) -> Decision:
    """syncReplicaSet over a ReplicationController (pkg/controller/replication's conversion):
    its ``spec.selector`` (a map; the template's labels when empty, as the API defaults it)
    becomes ``matchLabels``; pods it creates name it as owner (v1 ReplicationController)."""
    spec = rc.get("spec") or {}
    selector = spec.get("selector") or ((spec.get("template") or {}).get("metadata") or {}).get(
        "labels"
    )
    view = {**rc, "spec": {**spec, "selector": {"matchLabels": dict(selector or {})}}}
    decision = reconcile_replicaset(view, pods, now=now)
    actions: list[Action] = []
    for action in decision.actions:
        if isinstance(action, UpdateStatus) and uid(action.obj) == uid(rc):
            action = UpdateStatus({**deepcopy(rc), "status": action.obj["status"]})
        actions.append(action)
    return Decision(actions, decision.requeue_after)


def _comparable(st: Obj) -> Obj:
    keys = (
        "replicas",
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "observedGeneration",
    )
    return {k: int(st.get(k) or 0) for k in keys}


def _status(rs: Obj, mine: list[Obj], mrs: int, now: datetime) -> Obj:
    tpl_labels = ((rs.get("spec") or {}).get("template") or {}).get("metadata", {}).get(
        "labels"
    ) or {}
    return {
        "replicas": len(mine),
        "fullyLabeledReplicas": sum(
            1 for p in mine if all(labels(p).get(k) == v for k, v in tpl_labels.items())
        ),
        "readyReplicas": sum(1 for p in mine if pod_ready(p)),
        "availableReplicas": sum(1 for p in mine if pod_available(p, mrs, now)),
        "observedGeneration": int(meta(rs).get("generation") or 0),
    }


def _requeue(mine: list[Obj], want: int, mrs: int, now: datetime) -> float | None:
    """When the next ready pod turns available (the real one re-checks after minReadySeconds)."""
    if mrs == 0:
        return None
    waits = []
    for p in mine:
        since = pod_ready_since(p)
        if since is not None and not pod_available(p, mrs, now):
            waits.append((since + timedelta(seconds=mrs) - now).total_seconds())
    if not waits:
        return None
    return max(1.0, math.ceil(min(waits)) + 1.0)


def _claim(rs: Obj, pods: list[Obj]) -> tuple[list[Obj], list[Action]]:
    """ClaimPods: keep ours that match, adopt matching orphans, release ours that do not."""
    sel = (rs.get("spec") or {}).get("selector")
    mine: list[Obj] = []
    actions: list[Action] = []
    for pod in pods:
        if meta(pod).get("namespace") != meta(rs).get("namespace"):
            continue
        cref = controller_ref(pod)
        matches = selector_matches(sel, labels(pod))
        if cref is not None:
            if cref.get("uid") != uid(rs):
                continue
            if matches or deleting(rs):
                mine.append(pod)
            else:
                released = deepcopy(pod)
                meta(released)["ownerReferences"] = [
                    r for r in meta(pod).get("ownerReferences") or [] if r.get("uid") != uid(rs)
                ]
                actions.append(Update(released))
            continue
        if matches and not deleting(rs):
            adopted = deepcopy(pod)
            meta(adopted).setdefault("ownerReferences", []).append(owner_ref_to(rs))
            actions.append(Update(adopted))
            mine.append(adopted)
    return mine, actions


def _create_pod(rs: Obj) -> Create:
    """GetPodFromTemplate, with the replica set controller's event."""
    event = Event(ref(rs), "Normal", "SuccessfulCreate", "Created pod: {name}")
    return Create(pod_from_template(rs), events=(event,), slow_start=True)


# --- which pods go first ----------------------------------------------------------------


def pods_to_delete(pods: list[Obj], related: list[Obj], count: int, *, now: datetime) -> list[Obj]:
    """getPodsToDelete: rank by ActivePodsWithRanks and take the first ``count``."""
    if count >= len(pods):
        return list(pods)
    on_node: dict[str, int] = {}
    for p in related:
        node = (p.get("spec") or {}).get("nodeName")
        if node and pod_active(p):
            on_node[node] = on_node.get(node, 0) + 1
    ranked = [(p, on_node.get((p.get("spec") or {}).get("nodeName") or "", 0)) for p in pods]

    def cmp(a: tuple[Obj, int], b: tuple[Obj, int]) -> int:
        return _compare(a, b, now)

    ranked.sort(key=cmp_to_key(cmp))
    return [p for p, _ in ranked[:count]]


def _compare(a: tuple[Obj, int], b: tuple[Obj, int], now: datetime) -> int:
    """-1 if ``a`` should be deleted before ``b`` (ActivePodsWithRanks.Less)."""
    pa, ra = a
    pb, rb = b
    na, nb = (
        (pa.get("spec") or {}).get("nodeName") or "",
        (pb.get("spec") or {}).get("nodeName") or "",
    )
    # 1. unassigned < assigned
    if na != nb and (not na or not nb):
        return -1 if not na else 1
    # 2. Pending < Unknown < Running
    oa, ob = _PHASE_ORDINAL.get(phase(pa), 0), _PHASE_ORDINAL.get(phase(pb), 0)
    if oa != ob:
        return -1 if oa < ob else 1
    # 3. not ready < ready
    if pod_ready(pa) != pod_ready(pb):
        return -1 if not pod_ready(pa) else 1
    # 4. lower pod-deletion-cost first
    ca, cb = _cost(pa), _cost(pb)
    if ca != cb:
        return -1 if ca < cb else 1
    # 5. doubled up (more related pods on the same node) first
    if ra != rb:
        return -1 if ra > rb else 1
    # 6. ready for less time first, in logarithmic buckets (LogarithmicScaleDown)
    if pod_ready(pa) and pod_ready(pb):
        ta, tb = pod_ready_since(pa), pod_ready_since(pb)
        if ta != tb:
            res = _newer_first(ta, tb, now)
            if res is not None:
                return res
            return _by_uid(pa, pb)
    # 7. more container restarts first
    rsa, rsb = _restarts(pa), _restarts(pb)
    if rsa != rsb:
        return -1 if rsa > rsb else 1
    # 8. newer pods first (logarithmic buckets), then uid

    ca_t = parse_time(meta(pa).get("creationTimestamp"))
    cb_t = parse_time(meta(pb).get("creationTimestamp"))
    if ca_t != cb_t:
        res = _newer_first(ca_t, cb_t, now)
        if res is not None:
            return res
        return _by_uid(pa, pb)
    return 0


def _newer_first(ta: datetime | None, tb: datetime | None, now: datetime) -> int | None:
    if ta is None or tb is None:
        # afterOrZero: a zero time sorts first
        return -1 if ta is None else 1
    ba, bb = _log_bucket(now - ta), _log_bucket(now - tb)
    if ba == bb:
        return None
    return -1 if ba < bb else 1


def _log_bucket(age: timedelta) -> int:
    ns = age.total_seconds() * 1e9
    return int(math.log2(ns)) if ns > 0 else -1


def _by_uid(pa: Obj, pb: Obj) -> int:
    ua, ub = uid(pa) or "", uid(pb) or ""
    return -1 if ua < ub else (1 if ua > ub else 0)


def _cost(pod: Obj) -> int:
    try:
        return int(annotations_of(pod).get(DELETION_COST, "0"))
    except ValueError:
        return 0


def _restarts(pod: Obj) -> int:
    st = pod.get("status") or {}
    counts = [int(c.get("restartCount") or 0) for c in st.get("containerStatuses") or []]
    return max(counts, default=0)


__all__ = ["reconcile_replicaset", "reconcile_replicationcontroller", "pods_to_delete", "Emit"]
