"""PodDisruptionBudget status (disruption controller) and the eviction verdict.

expectedPods is the number of selected pods for an integer minAvailable; for maxUnavailable
or a percentage it is the sum of the pods' controllers' scale (getExpectedScale: a
ReplicaSet's Deployment, a ReplicaSet, a ReplicationController, a StatefulSet). A selected
pod without a controller is unmanaged: it is left out of that sum and the controller warns
(UnmanagedPods); a controller without a scale subresource (a Job, a DaemonSet) fails the
sync, and the budget then allows no disruption (failSafe, SyncFailed).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kubesim.core.objects import (
    Obj,
    controller_ref,
    deleting,
    fmt_time,
    labels,
    meta,
    name,
    parse_time,
    phase,
    pod_ready,
    selector_matches,
)

from ._actions import Action, Decision, Emit, Event, UpdateStatus, object_ref

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
    allowed = max(healthy - desired, 0) if expected > 0 else 0
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


STILL_PROCESSING = "The disruption budget {name} is still being processed by the server."


@dataclass(frozen=True)
class EvictionVerdict:
    """What the eviction subresource does with one pod (registry/core/pod/storage/eviction.go).

    ``refusal`` None: delete the pod; ``spend``: first take one disruption from ``pdb``'s
    status (checkAndDecrement). Otherwise answer ``code`` (429, or 500 for several budgets)
    with ``refusal`` and, for a 429, the DisruptionBudget ``cause``."""

    refusal: str | None = None
    code: int = 429
    cause: str | None = None
    pdb: Obj | None = None
    spend: bool = False


def _budgets_for(pod: Obj, pdbs: list[Obj]) -> list[Obj]:
    """getPodDisruptionBudgets: an empty selector matches nothing, not everything."""
    out = []
    for b in pdbs:
        selector = (b.get("spec") or {}).get("selector")
        if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
            continue
        if covers(b, pod):
            out.append(b)
    return out


def eviction_verdict(pod: Obj, pdbs: list[Obj]) -> EvictionVerdict:
    """The eviction REST's decision, in upstream's order: a pod that is Pending, finished or
    already being deleted goes without a budget check (canIgnorePDB); several budgets are a
    500; a pod that is not Ready goes without spending a disruption when the budget's
    unhealthyPodEvictionPolicy is AlwaysAllow, or (IfHealthyBudget, the default) when the
    budget has its desired healthy pods; a budget whose status is older than its spec is a
    429 "still being processed"; no disruption allowed is the 429 kubectl drain retries on;
    otherwise one disruption is spent."""
    if phase(pod) in ("Succeeded", "Failed", "Pending") or deleting(pod):
        return EvictionVerdict()
    matching = _budgets_for(pod, pdbs)
    if not matching:
        return EvictionVerdict()
    if len(matching) > 1:
        return EvictionVerdict(refusal=MULTIPLE_PDBS, code=500)
    budget = matching[0]
    spec, st = budget.get("spec") or {}, budget.get("status") or {}
    if not pod_ready(pod):
        if spec.get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
            return EvictionVerdict(pdb=budget)
        desired = int(st.get("desiredHealthy") or 0)
        if int(st.get("currentHealthy") or 0) >= desired and desired > 0:
            return EvictionVerdict(pdb=budget)
    if int(st.get("observedGeneration") or 0) < int(meta(budget).get("generation") or 0):
        return EvictionVerdict(
            refusal=EVICTION_REFUSED, cause=STILL_PROCESSING.format(name=name(budget)), pdb=budget
        )
    if int(st.get("disruptionsAllowed") or 0) <= 0:
        return EvictionVerdict(refusal=EVICTION_REFUSED, cause=eviction_cause(budget), pdb=budget)
    return EvictionVerdict(pdb=budget, spend=True)


def spent_status(pdb: Obj, pod_name: str, *, now: datetime) -> Obj:
    """The budget's status after checkAndDecrement let one eviction through: one disruption
    fewer (DisruptionAllowed turning False at 0) and the pod in disruptedPods, so two quick
    evictions cannot both pass one allowed disruption."""
    status = dict(pdb.get("status") or {})
    allowed = max(int(status.get("disruptionsAllowed") or 0) - 1, 0)
    status["disruptionsAllowed"] = allowed
    if allowed == 0:
        conditions = []
        for c in status.get("conditions") or []:
            if c.get("type") == "DisruptionAllowed" and c.get("status") != "False":
                c = {
                    **c,
                    "status": "False",
                    "reason": "InsufficientPods",
                    "lastTransitionTime": fmt_time(now),
                }
            conditions.append(c)
        status["conditions"] = conditions
    status["disruptedPods"] = {**(status.get("disruptedPods") or {}), pod_name: fmt_time(now)}
    return status


def eviction_decision(pod: Obj, pdbs: list[Obj], pods: list[Obj]) -> str | None:
    """None when the eviction may proceed, else the API's refusal message (429, or 500
    for several budgets). ``pods`` is unused (kept for callers)."""
    del pods
    return eviction_verdict(pod, pdbs).refusal


def eviction_cause(pdb: Obj) -> str:
    """The DisruptionBudget cause that accompanies the 429."""
    st = pdb.get("status") or {}
    return (
        f"The disruption budget {name(pdb)} needs {int(st.get('desiredHealthy') or 0)} healthy pods "
        f"and has {int(st.get('currentHealthy') or 0)} currently"
    )


# the kinds a pod's controller may be that have no scale subresource, as the scale client
# names their resources
_NO_SCALE = {
    "Job": "jobs.batch",
    "DaemonSet": "daemonsets.apps",
    "CronJob": "cronjobs.batch",
    "Node": "nodes",
}
UNMANAGED = (
    "Pods selected by this PodDisruptionBudget (selector: {selector}) were found to be "
    "unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may "
    'result in undefined behavior. To account for these pods please set ".spec.minAvailable" '
    "field of the PDB to an integer value."
)


@dataclass(frozen=True)
class ExpectedScale:
    """getExpectedScale's answer: the pods' controllers' summed scale, the pods with no
    controller, or why the sum cannot be made (the sync then fails)."""

    count: int
    unmanaged: tuple[str, ...] = ()
    error: str = ""


def _no_owners(_kind: str, _name: str) -> Obj | None:
    return None


def needs_scale(pdb: Obj) -> bool:
    """maxUnavailable and a percentage count from the controllers' scale."""
    spec = pdb.get("spec") or {}
    least = spec.get("minAvailable")
    return spec.get("maxUnavailable") is not None or (
        isinstance(least, str) and least.endswith("%")
    )


# a pod's namespace's controller by (kind, name): a ReplicaSet, Deployment,
# ReplicationController or StatefulSet, or None
Owners = Callable[[str, str], Obj | None]


def expected_scale(pods: list[Obj], owners: Owners) -> ExpectedScale:
    """The sum of the scale of the controllers of ``pods`` (the budget's pods), each
    controller once."""
    scales: dict[str, int] = {}
    unmanaged: list[str] = []
    for pod in pods:
        ref = controller_ref(pod)
        if ref is None:
            unmanaged.append(name(pod))
            continue
        owner = _scaled_owner(ref, owners)
        if owner is None:
            kind = str(ref.get("kind") or "")
            if kind in _NO_SCALE:
                return ExpectedScale(
                    0, error=f"{_NO_SCALE[kind]} does not implement the scale subresource"
                )
            return ExpectedScale(0, error=f'found no controllers for pod "{name(pod)}"')
        scales[str(meta(owner).get("uid") or name(owner))] = int(
            (owner.get("spec") or {}).get("replicas", 1)
        )
    return ExpectedScale(sum(scales.values()), tuple(unmanaged))


def _scaled_owner(ref: Obj, owners: Owners) -> Obj | None:
    """The finders in order: a ReplicaSet's Deployment, then the ReplicaSet itself (when
    no Deployment controls it), a ReplicationController, a StatefulSet."""
    kind, owner_name = str(ref.get("kind") or ""), str(ref.get("name") or "")
    if kind == "ReplicaSet":
        replica_set = owners("ReplicaSet", owner_name)
        top = controller_ref(replica_set) if replica_set else None
        if top is not None and top.get("kind") == "Deployment":
            return owners("Deployment", str(top.get("name")))
        return replica_set
    if kind in ("ReplicationController", "StatefulSet"):
        return owners(kind, owner_name)
    return None


def selector_text(selector: Obj | None) -> str:
    """A LabelSelector as Go's generated String() prints it (the event quotes it)."""
    sel = selector or {}
    labels_text = "".join(f"{k}: {v}," for k, v in sorted((sel.get("matchLabels") or {}).items()))
    requirements = "".join(
        f"&LabelSelectorRequirement{{Key:{r.get('key', '')},Operator:{r.get('operator', '')},"
        f"Values:[{' '.join(r.get('values') or [])}],}},"
        for r in sel.get("matchExpressions") or []
    )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels_text}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{requirements}}},}}"
    )


def _pdb_event(pdb: Obj, reason: str, message: str) -> Emit:
    return Emit(Event(object_ref(pdb), "Warning", reason, message))


def _fail_safe(pdb: Obj, error: str, *, now: datetime) -> Decision:
    """A sync that cannot count: no disruption allowed, and the condition says why."""
    status = dict(pdb.get("status") or {})
    generation = int(status.get("observedGeneration") or 0)
    old = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "DisruptionAllowed"),
        None,
    )
    changed = not old or old.get("status") != "False"
    status["disruptionsAllowed"] = 0
    status["conditions"] = [
        {
            "type": "DisruptionAllowed",
            "status": "False",
            "reason": "SyncFailed",
            "message": error,
            "lastTransitionTime": fmt_time(now)
            if changed
            else (old or {}).get("lastTransitionTime"),
            "observedGeneration": generation,
        }
    ]
    event = _pdb_event(
        pdb,
        "CalculateExpectedPodCountFailed",
        f"Failed to calculate the number of expected pods: {error}",
    )
    if status == (pdb.get("status") or {}):
        return Decision([])
    return Decision([UpdateStatus({**pdb, "status": status}), event])


def reconcile_pdb(
    pdb: Obj,
    pods: list[Obj],
    *,
    now: datetime,
    owners: Owners | None = None,
) -> Decision:
    """The disruption controller's sync: forget disrupted pods that are gone, being deleted
    or older than its DeletionTimeout, count the rest, and write the status when it changed
    (looking again when the next remembered disruption expires). ``owners`` finds the
    namespace's scalable controllers, for a budget counted from their scale."""
    scale: ExpectedScale | None = None
    if needs_scale(pdb):
        scale = expected_scale([p for p in pods if covers(pdb, p)], owners or _no_owners)
        if scale.error:
            return _fail_safe(pdb, scale.error, now=now)
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
    status = pdb_status(pdb, counted, now=now, expected_pods=scale.count if scale else None)
    if disrupted:
        status["disruptedPods"] = disrupted
    if status == (pdb.get("status") or {}):
        return Decision([], recheck)
    actions: list[Action] = [UpdateStatus({**pdb, "status": status})]
    if scale and scale.unmanaged:
        selector = selector_text((pdb.get("spec") or {}).get("selector"))
        actions.append(_pdb_event(pdb, "UnmanagedPods", UNMANAGED.format(selector=selector)))
    return Decision(actions, recheck)
