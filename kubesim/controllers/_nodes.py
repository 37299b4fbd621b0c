"""Node lifecycle: a node whose lease stops being renewed goes Unknown and gets tainted,
and pods that do not tolerate a NoExecute taint are deleted (taint eviction).

DefaultTolerationSeconds admission gives every pod 300 s tolerations for not-ready and
unreachable; they arrive here as ordinary tolerations with tolerationSeconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kubesim.core.objects import (
    Obj,
    disruption_target,
    fmt_time,
    meta,
    name,
    parse_time,
    pod_active,
)

from ._actions import Decision, Emit, Event, Update, UpdateStatus, delete_of, object_ref
from ._scheduler import tolerates

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
# TaintNodesByCondition: a condition whose status is True taints the node NoSchedule
CONDITION_TAINTS = {
    "MemoryPressure": "node.kubernetes.io/memory-pressure",
    "DiskPressure": "node.kubernetes.io/disk-pressure",
    "PIDPressure": "node.kubernetes.io/pid-pressure",
}
STOPPED = "Kubelet stopped posting node status."


@dataclass(frozen=True)
class NodeHealth:
    conditions: list[Obj] = field(default_factory=list)  # full replacement when non-empty
    add_taints: list[Obj] = field(default_factory=list)
    remove_taints: list[Obj] = field(default_factory=list)


def node_health(
    node: Obj,
    lease: Obj | None,
    *,
    now: datetime,
    grace: float = 50.0,
    probed: datetime | None = None,
) -> NodeHealth:
    """The conditions and taints the node lifecycle controller keeps: Unknown when the lease
    lapses, the not-ready/unreachable taints, and (TaintNodesByCondition) the
    `node.kubernetes.io/unschedulable:NoSchedule` taint while the node is cordoned and
    `node.kubernetes.io/memory-pressure:NoSchedule` (disk, pid) while that condition is True."""
    health = _readiness(node, lease, now=now, grace=grace, probed=probed)
    taints = (node.get("spec") or {}).get("taints") or []
    cordoned = bool((node.get("spec") or {}).get("unschedulable"))
    has = any(t["key"] == UNSCHEDULABLE for t in taints)
    if cordoned and not has:
        health.add_taints.append(
            {"key": UNSCHEDULABLE, "effect": "NoSchedule", "timeAdded": fmt_time(now)}
        )
    if not cordoned and has:
        health.remove_taints.extend(t for t in taints if t["key"] == UNSCHEDULABLE)
    conds = {c["type"]: c.get("status") for c in (node.get("status") or {}).get("conditions") or []}
    for kind, key in CONDITION_TAINTS.items():
        tainted = any(t["key"] == key and t.get("effect") == "NoSchedule" for t in taints)
        if conds.get(kind) == "True" and not tainted:
            health.add_taints.append(
                {"key": key, "effect": "NoSchedule", "timeAdded": fmt_time(now)}
            )
        elif conds.get(kind) != "True" and tainted:
            health.remove_taints.extend(t for t in taints if t["key"] == key)
    return health


def node_lifecycle(
    node: Obj,
    lease: Obj | None,
    pods: list[Obj],
    *,
    now: datetime,
    grace: float = 50.0,
    startup_grace: float = 60.0,
    probed: datetime | None = None,
) -> Decision:
    """One pass of the node lifecycle controller over a node, one write per pass, each pass
    triggered by the previous write: first the node's conditions (Unknown once its lease
    lapsed; then the NodeNotReady event and MarkPodsNotReady), then its taints. A node that
    never reported gets `startup_grace` before any verdict. Taint eviction is
    `pods_to_evict`'s.

    `probed`: when this controller last saw the node's lease or heartbeat change, on its own
    clock (upstream's nodeHealthData.probeTimestamp). A controller that has just started sees
    every node for the first time then, so a lease that is old only because the controller
    was away (a control-plane outage, a store restored from a snapshot) gets a whole grace
    period to be renewed before the node goes Unknown."""
    if lease is None and not _ever_reported(node):
        born = parse_time(meta(node).get("creationTimestamp"))
        if born is None or born + timedelta(seconds=startup_grace) >= now:
            return Decision([])  # still starting up: no verdict yet
    health = node_health(node, lease, now=now, grace=grace, probed=probed)
    if health.conditions:
        status = {**(node.get("status") or {}), "conditions": health.conditions}
        actions: list = [UpdateStatus({**node, "status": status})]
        ready = next((c for c in health.conditions if c.get("type") == "Ready"), None)
        if ready is not None and ready.get("status") != "True":
            actions.append(
                Emit(
                    Event(
                        object_ref(node),
                        "Normal",
                        "NodeNotReady",
                        f"Node {name(node)} status is now: NodeNotReady",
                    )
                )
            )
            actions += _mark_pods_not_ready(name(node), pods, now=now)
        return Decision(actions)
    if health.add_taints or health.remove_taints:
        gone = {(t["key"], t["effect"]) for t in health.remove_taints}
        spec = dict(node.get("spec") or {})
        taints = [t for t in spec.get("taints") or [] if (t["key"], t["effect"]) not in gone]
        spec["taints"] = taints + list(health.add_taints)
        if not spec["taints"]:
            spec.pop("taints")
        return Decision([Update({**node, "spec": spec})])
    return Decision([])


def _ever_reported(node: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("lastHeartbeatTime")
        for c in (node.get("status") or {}).get("conditions") or []
    )


def _mark_pods_not_ready(node_name: str, pods: list[Obj], *, now: datetime) -> list:
    """MarkPodsNotReady: the node's pods stop being Ready (so endpoints drop them), each with
    the NodeNotReady warning recorded after its update ("to make sure pod still exists")."""
    actions: list = []
    for pod in pods:
        if (pod.get("spec") or {}).get("nodeName") != node_name:
            continue
        conds = [dict(c) for c in (pod.get("status") or {}).get("conditions") or []]
        changed = False
        for c in conds:
            if c.get("type") == "Ready" and c.get("status") != "False":
                c.update(status="False", lastTransitionTime=fmt_time(now))
                changed = True
        if changed:
            actions.append(UpdateStatus({**pod, "status": {**pod["status"], "conditions": conds}}))
            actions.append(
                Emit(Event(object_ref(pod), "Warning", "NodeNotReady", "Node is not ready"))
            )
    return actions


def _readiness(
    node: Obj, lease: Obj | None, *, now: datetime, grace: float, probed: datetime | None = None
) -> NodeHealth:
    conds = [dict(c) for c in (node.get("status") or {}).get("conditions") or []]
    renew = parse_time(((lease or {}).get("spec") or {}).get("renewTime"))
    ready = next((c for c in conds if c["type"] == "Ready"), None)
    beat = parse_time((ready or {}).get("lastHeartbeatTime"))
    last = max([t for t in (renew, beat, probed) if t is not None], default=None)
    taints = (node.get("spec") or {}).get("taints") or []
    have = {(t["key"], t["effect"]) for t in taints}
    if last is None or last + timedelta(seconds=grace) < now:
        changed = []
        for c in conds:
            if (
                c["type"] in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
                and c.get("status") != "Unknown"
            ):
                c.update(
                    status="Unknown",
                    reason="NodeStatusUnknown",
                    message=STOPPED,
                    lastTransitionTime=fmt_time(now),
                )
                changed.append(c)
        want = [
            {"key": UNREACHABLE, "effect": "NoSchedule"},
            {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": fmt_time(now)},
        ]
        add = [t for t in want if (t["key"], t["effect"]) not in have]
        remove = [t for t in taints if t["key"] == NOT_READY]
        return NodeHealth(conds if changed else [], add, remove)
    status = (ready or {}).get("status")
    if status == "True":
        return NodeHealth([], [], [t for t in taints if t["key"] in (UNREACHABLE, NOT_READY)])
    want = [
        {"key": NOT_READY, "effect": "NoSchedule"},
        {"key": NOT_READY, "effect": "NoExecute", "timeAdded": fmt_time(now)},
    ]
    return NodeHealth(
        [],
        [t for t in want if (t["key"], t["effect"]) not in have],
        [t for t in taints if t["key"] == UNREACHABLE],
    )


TAINT_EVICTION = ("DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")


def pods_to_evict(node: Obj, pods: list[Obj], *, now: datetime) -> Decision:
    """Delete pods on ``node`` that do not tolerate its NoExecute taints (or whose
    tolerationSeconds ran out), with the TaintManagerEviction event; requeue for the next."""
    taints = [
        t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"
    ]
    actions: list = []
    waits: list[float] = []
    if not taints:
        return Decision([])
    for pod in pods:
        if (pod.get("spec") or {}).get("nodeName") != name(node) or not pod_active(pod):
            continue
        tolerations = (pod.get("spec") or {}).get("tolerations") or []
        due: datetime | None = None
        evict_now = False
        for taint in taints:
            matching = [t for t in tolerations if tolerates(t, taint)]
            if not matching:
                evict_now = True
                break
            limits = [
                t["tolerationSeconds"] for t in matching if t.get("tolerationSeconds") is not None
            ]
            if len(limits) == len(matching):  # every match is time-bound: the shortest wins
                added = parse_time(taint.get("timeAdded")) or now
                at = added + timedelta(seconds=max(0, min(limits)))
                due = at if due is None else min(due, at)
        if evict_now or (due is not None and due <= now):
            ns = meta(pod).get("namespace")
            event = Event(
                object_ref(pod),
                "Normal",
                "TaintManagerEviction",
                f"Marking for deletion Pod {ns}/{name(pod)}",
            )
            # addConditionAndDeletePod: the pod's DisruptionTarget first, then the delete
            marked = disruption_target(pod, *TAINT_EVICTION, now=fmt_time(now))
            actions += [UpdateStatus(marked), delete_of(pod), Emit(event)]
        elif due is not None:
            waits.append((due - now).total_seconds())
    return Decision(actions, min(waits) if waits else None)
