"""The pod garbage collector's decision (pkg/controller/podgc): force-delete the pods no
kubelet will ever finish.

* orphaned: bound to a Node object that no longer exists (`kubectl delete node` while the
  node is down). The node's name is quarantined for 40 s first, in case it is only being
  re-registered; then each pod is marked Failed with a `DisruptionTarget` condition
  (`DeletionByPodGC`, "PodGC: node no longer exists") and deleted with grace 0;
* terminating on a node that is not Ready and carries the `node.kubernetes.io/out-of-service`
  taint (non-graceful node shutdown: an administrator says the node is gone for good);
* terminating and never scheduled.

The last two are marked Failed (without a condition) and deleted with grace 0 as well.
Upstream looks every 20 s; here the controller manager runs this when a pod or a node
changes and again when a quarantine ends. Not modelled: the terminated-pod threshold
(12,500 finished pods before the oldest are deleted), which no lab reaches.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from kubesim.core.objects import (
    Obj,
    deepcopy,
    deleting,
    disruption_target,
    fmt_time,
    get_condition,
    name,
    pod_finished,
)

from ._actions import Action, Decision, UpdateStatus, delete_of

QUARANTINE_SECONDS = 40.0  # quarantineTime
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
ORPHANED = ("DeletionByPodGC", "PodGC: node no longer exists")


def _node_name(pod: Obj) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def missing_nodes(
    pods: list[Obj], nodes: list[Obj], *, known: Mapping[str, datetime], now: datetime
) -> dict[str, datetime]:
    """The node names pods are bound to that no Node has, each with when it was first found
    missing (the quarantine's start); a name that exists again, or that no pod names any
    more, is forgotten."""
    existing = {name(n) for n in nodes}
    wanted = {_node_name(p) for p in pods} - existing - {""}
    return {node: known.get(node, now) for node in sorted(wanted)}


def _out_of_service(node: Obj) -> bool:
    """Not Ready, and tainted out of service by an administrator."""
    ready = get_condition((node.get("status") or {}).get("conditions") or [], "Ready") or {}
    taints = (node.get("spec") or {}).get("taints") or []
    return ready.get("status") != "True" and any(t.get("key") == OUT_OF_SERVICE for t in taints)


def _fail_and_delete(pod: Obj, *, orphaned: bool, now: datetime) -> list[Action]:
    """markFailedAndDeletePodWithCondition: Failed (and why, for an orphan) unless already
    finished, then a delete with grace 0."""
    actions: list[Action] = []
    if not pod_finished(pod):
        marked = disruption_target(pod, *ORPHANED, now=fmt_time(now)) if orphaned else deepcopy(pod)
        marked.setdefault("status", {})["phase"] = "Failed"
        actions.append(UpdateStatus(marked))
    if _deletion_grace(pod) != 0:
        actions.append(delete_of(pod, grace_seconds=0))
    return actions


def collect_pods(
    pods: list[Obj], nodes: list[Obj], *, missing: Mapping[str, datetime], now: datetime
) -> Decision:
    """One pass: the pods to fail and force-delete, and when to look again (a quarantine
    that has not ended yet)."""
    by_name = {name(n): n for n in nodes}
    actions: list[Action] = []
    waits: list[float] = []
    for pod in pods:
        node = _node_name(pod)
        if _deletion_grace(pod) == 0 and pod_finished(pod):
            continue  # finished and force-deleted already: only a finalizer holds it
        if node in missing:
            left = QUARANTINE_SECONDS - (now - missing[node]).total_seconds()
            if left > 0:
                waits.append(left)
            else:
                actions += _fail_and_delete(pod, orphaned=True, now=now)
        elif deleting(pod) and (not node or _out_of_service(by_name.get(node) or {})):
            actions += _fail_and_delete(pod, orphaned=False, now=now)
    return Decision(actions, min(waits) if waits else None)


def _deletion_grace(pod: Obj) -> int | None:
    """The grace period of the pod's deletion (0 once force-deleted: nothing left to do)."""
    if not deleting(pod):
        return None
    grace = (pod.get("metadata") or {}).get("deletionGracePeriodSeconds")
    return int(grace) if grace is not None else None
