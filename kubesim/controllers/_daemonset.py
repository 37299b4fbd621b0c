"""The DaemonSet controller's decision: one pod per eligible node, rolling updates, status.

Follows pkg/controller/daemon (syncDaemonSet, manage/podsShouldBeOnNode, syncNodes,
rollingUpdate, updateDaemonSetStatus, constructHistory) and daemon/util of Kubernetes.
Eligibility is NodeShouldRunDaemonPod: the template's nodeName, node affinity/selector
(the scheduler's own filter) and taints against the template's tolerations plus the
automatic DaemonSet tolerations.  Pods are not bound here: each gets a required node
affinity ``matchFields metadata.name In [<node>]`` and the default scheduler binds it.

Each template version is a ControllerRevision ``<ds>-<hash>``; pods carry its hash in
``controller-revision-hash`` and the template generation in ``pod-template-generation``.

Simplified, on purpose:
* RollingUpdate with ``maxSurge > 0`` is run as ``maxSurge: 0`` (delete, then create);
* a failed daemon pod is deleted at once each time (the real one backs off 1 s .. 15 min
  between deletions on the same node);
* the template generation is the ``deprecated.daemonset.template.generation`` annotation
  when the API set it, else ``metadata.generation``;
* revision collisions (collisionCount) are not detected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubesim.core.objects import (
    Obj,
    annotations_of,
    created,
    deepcopy,
    deleting,
    labels,
    meta,
    name,
    phase,
    pod_available,
    pod_from_template,
    pod_ready,
)

from ._actions import Action, Create, Decision, Delete, Emit, Event, UpdateStatus, delete_of
from ._actions import object_ref as ref
from ._claim import claim_pods
from ._deployment_util import scaled_value
from ._hash import template_hash
from ._revisions import history_actions as revision_history
from ._scheduler import _node_affinity, untolerated_taint

HASH_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"
GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
BURST_REPLICAS = 250


# --- pods for a node ----------------------------------------------------------------------


def _toleration(key: str, effect: str) -> Obj:
    return {"key": key, "operator": "Exists", "effect": effect}


def daemon_tolerations(pod_spec: Obj) -> list[Obj]:
    """AddOrUpdateDaemonPodTolerations: the tolerations every daemon pod gets, replacing a
    toleration that matches one of them (same key, operator, value and effect)."""
    wanted = [
        _toleration("node.kubernetes.io/not-ready", "NoExecute"),
        _toleration("node.kubernetes.io/unreachable", "NoExecute"),
        _toleration("node.kubernetes.io/disk-pressure", "NoSchedule"),
        _toleration("node.kubernetes.io/memory-pressure", "NoSchedule"),
        _toleration("node.kubernetes.io/pid-pressure", "NoSchedule"),
        _toleration("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]
    if pod_spec.get("hostNetwork"):
        wanted.append(_toleration("node.kubernetes.io/network-unavailable", "NoSchedule"))
    out = [dict(t) for t in pod_spec.get("tolerations") or []]
    for new in wanted:
        matched = False
        for i, old in enumerate(out):
            if _same_toleration(old, new):
                out[i] = new
                matched = True
        if not matched:
            out.append(new)
    return out


def _same_toleration(a: Obj, b: Obj) -> bool:
    """Toleration.MatchToleration: key, operator, value and effect all equal."""
    return all((a.get(k) or "") == (b.get(k) or "") for k in ("key", "operator", "value", "effect"))


def node_should_run(ds: Obj, node: Obj) -> tuple[bool, bool]:
    """NodeShouldRunDaemonPod: (shouldRun, shouldContinueRunning) for ``node``."""
    tpl_spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
    if tpl_spec.get("nodeName") and tpl_spec["nodeName"] != name(node):
        return False, False
    pod = {"spec": {**tpl_spec, "tolerations": daemon_tolerations(tpl_spec)}}
    if _node_affinity(pod, node) is not None:
        return False, False
    if untolerated_taint(pod, node, ("NoSchedule", "NoExecute")) is not None:
        return False, untolerated_taint(pod, node, ("NoExecute",)) is None
    return True, True


def target_node(pod: Obj) -> str:
    """util.GetTargetNodeName: spec.nodeName, or the node a daemon pod's affinity pins."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for f in term.get("matchFields") or []:
            vals = f.get("values") or []
            if f.get("key") == "metadata.name" and f.get("operator") == "In" and len(vals) == 1:
                return str(vals[0])
    return ""


def pin_to_node(affinity: Obj | None, node_name: str) -> Obj:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: required node affinity = this node only."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    out = deepcopy(affinity or {})
    node_aff = out.setdefault("nodeAffinity", {})
    required = node_aff.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        node_aff["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}
    else:
        required["nodeSelectorTerms"] = [term]
    return out


def template_generation(ds: Obj) -> str:
    value = annotations_of(ds).get(GENERATION_ANNOTATION)
    return str(value) if value else str(meta(ds).get("generation") or 1)


def ds_hash(ds: Obj) -> str:
    spec = ds.get("spec") or {}
    return template_hash(spec.get("template") or {}, (ds.get("status") or {}).get("collisionCount"))


def pod_updated(pod: Obj, ds: Obj, hash_: str) -> bool:
    """util.IsPodUpdated: the revision hash or the template generation matches."""
    lbls = labels(pod)
    return lbls.get(HASH_LABEL) == hash_ or lbls.get(GENERATION_LABEL) == template_generation(ds)


def _new_pod(ds: Obj, node_name: str, hash_: str) -> Create:
    """CreatePodTemplate + GetPodFromTemplate: tolerations, labels, pinned affinity."""
    pod = pod_from_template(ds)
    spec = pod["spec"]
    spec["tolerations"] = daemon_tolerations(spec)
    spec["affinity"] = pin_to_node(spec.get("affinity"), node_name)
    pod["metadata"]["labels"].update({GENERATION_LABEL: template_generation(ds), HASH_LABEL: hash_})
    return Create(
        pod,
        events=(Event(ref(ds), "Normal", "SuccessfulCreate", "Created pod: {name}"),),
        slow_start=True,
    )


def _delete_pod(ds: Obj, pod: Obj) -> Delete:
    return delete_of(
        pod, events=(Event(ref(ds), "Normal", "SuccessfulDelete", f"Deleted pod: {name(pod)}"),)
    )


def _oldest_first(pods: list[Obj]) -> list[Obj]:
    """podByCreationTimestampAndPhase: scheduled first, then oldest, then by name."""
    return sorted(
        pods, key=lambda p: (not (p.get("spec") or {}).get("nodeName"), created(p), name(p))
    )


# --- history ------------------------------------------------------------------------------


def history_actions(ds: Obj, revisions: list[Obj], pods: list[Obj], hash_: str) -> list[Action]:
    """The DaemonSet's revisions; one is in use while a live pod carries its hash."""
    live = {labels(p).get(HASH_LABEL) for p in pods if not deleting(p)}
    return revision_history(
        ds,
        revisions,
        hash_,
        hash_label=HASH_LABEL,
        in_use=lambda r: labels(r).get(HASH_LABEL) in live,
        annotations={k: v for k, v in annotations_of(ds).items() if k == GENERATION_ANNOTATION},
    )


# --- the decision -------------------------------------------------------------------------


def daemon_pods(ds: Obj, pods: list[Obj]) -> tuple[list[Obj], list[Action]]:
    """ClaimPods: this DaemonSet's pods (by uid), adopting matching orphans."""
    mine, adoptions = claim_pods(ds, pods)
    return mine, list(adoptions)


def reconcile_daemonset(
    ds: Obj, nodes: list[Obj], pods: list[Obj], revisions: list[Obj], *, now: datetime
) -> Decision:
    """One syncDaemonSet pass: history, pods per node, rolling update, then status."""
    if deleting(ds):
        return Decision()
    if (ds.get("spec") or {}).get("selector") == {}:
        msg = "This daemon set is selecting all pods. A non-empty selector is required."
        return Decision([Emit(Event(ref(ds), "Warning", "SelectingAll", msg))])
    hash_ = ds_hash(ds)
    mine, actions = daemon_pods(ds, pods)
    actions += history_actions(ds, revisions, mine, hash_)
    by_node: dict[str, list[Obj]] = {}
    for p in mine:
        by_node.setdefault(target_node(p), []).append(p)
    nodes = sorted(nodes, key=name)
    pod_actions = manage(ds, nodes, by_node, hash_)
    strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
    if not pod_actions and strategy.get("type", "RollingUpdate") == "RollingUpdate":
        pod_actions = rolling_update(ds, nodes, by_node, hash_, now=now)
    actions += pod_actions
    status = daemonset_status(ds, nodes, by_node, hash_, now=now)
    if status != _comparable(ds.get("status") or {}):
        updated = deepcopy(ds)
        st = {**(ds.get("status") or {}), **status}
        for k in ("updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
            if not st.get(k):
                st.pop(k, None)
        updated["status"] = st
        actions.append(UpdateStatus(updated))
    mrs = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    requeue = float(mrs) if mrs > 0 and status["numberReady"] != status["numberAvailable"] else None
    return Decision(actions, requeue)


def manage(ds: Obj, nodes: list[Obj], by_node: dict[str, list[Obj]], hash_: str) -> list[Action]:
    """manage / podsShouldBeOnNode: create where missing, delete failed, extra and
    misplaced pods, and unscheduled pods aimed at nodes that no longer exist."""
    creates: list[Action] = []
    deletes: list[Action] = []
    events: list[Action] = []
    for node in nodes:
        should_run, should_continue = node_should_run(ds, node)
        on_node = by_node.get(name(node), [])
        if should_run and not on_node:
            creates.append(_new_pod(ds, name(node), hash_))
        elif should_continue:
            running = []
            for p in on_node:
                if deleting(p):
                    continue
                if phase(p) == "Failed":
                    msg = (
                        f"Found failed daemon pod {meta(p).get('namespace')}/{name(p)} on node "
                        f"{name(node)}, will try to kill it"
                    )
                    events.append(Emit(Event(ref(ds), "Warning", "FailedDaemonPod", msg)))
                    deletes.append(_delete_pod(ds, p))
                else:
                    running.append(p)
            for extra in _oldest_first(running)[1:]:
                deletes.append(_delete_pod(ds, extra))
        elif on_node:
            deletes += [_delete_pod(ds, p) for p in on_node if not deleting(p)]
    known = {name(n) for n in nodes}
    for node_name, on_node in sorted(by_node.items()):
        if node_name not in known:
            deletes += [
                _delete_pod(ds, p)
                for p in on_node
                if not (p.get("spec") or {}).get("nodeName") and not deleting(p)
            ]
    return events + creates[:BURST_REPLICAS] + deletes[:BURST_REPLICAS]


def max_unavailable(ds: Obj, desired: int) -> int:
    """The rolling update's budget: maxUnavailable of the desired count, rounded up;
    both zero means 1 (and so does a surge-only strategy, run here without the surge)."""
    ru = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    unavailable = scaled_value(ru.get("maxUnavailable"), desired, round_up=True, default="1")
    return max(unavailable, 1)


def rolling_update(
    ds: Obj, nodes: list[Obj], by_node: dict[str, list[Obj]], hash_: str, *, now: datetime
) -> list[Action]:
    """rollingUpdate (maxSurge 0): delete old pods, unavailable ones first, while no more
    than maxUnavailable daemon pods are unavailable; nodes in name order."""
    mrs = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    desired = sum(1 for n in nodes if node_should_run(ds, n)[0])
    budget = max_unavailable(ds, desired)
    unavailable = 0
    replace_now: list[Obj] = []
    candidates: list[Obj] = []
    for node_name in sorted(by_node):
        live = [p for p in by_node[node_name] if not deleting(p)]
        new = [p for p in live if pod_updated(p, ds, hash_)]
        old = [p for p in live if not pod_updated(p, ds, hash_)]
        if len(new) > 1 or len(old) > 1 or (new and old) or (not new and not old):
            unavailable += 1  # manage sorts these out first
            continue
        if new:
            if not pod_available(new[0], mrs, now):
                unavailable += 1
            continue
        if not pod_available(old[0], mrs, now):
            replace_now.append(old[0])  # replaced at once, and counted as unavailable
            unavailable += 1
        elif unavailable < budget:
            candidates.append(old[0])
    room = min(max(budget - unavailable, 0), len(candidates))
    return [_delete_pod(ds, p) for p in replace_now + candidates[:room]]


def _comparable(st: Obj) -> Obj:
    keys = (
        "desiredNumberScheduled",
        "currentNumberScheduled",
        "numberMisscheduled",
        "numberReady",
        "updatedNumberScheduled",
        "numberAvailable",
        "numberUnavailable",
        "observedGeneration",
    )
    return {k: int(st.get(k) or 0) for k in keys}


def daemonset_status(
    ds: Obj, nodes: list[Obj], by_node: dict[str, list[Obj]], hash_: str, *, now: datetime
) -> dict[str, int]:
    """updateDaemonSetStatus: counts over nodes, looking at each node's oldest pod."""
    mrs = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    desired = current = misscheduled = ready = updated = available = 0
    for node in nodes:
        should_run, _ = node_should_run(ds, node)
        on_node = by_node.get(name(node), [])
        if should_run:
            desired += 1
            if not on_node:
                continue
            current += 1
            pod = _oldest_first(on_node)[0]
            if pod_ready(pod):
                ready += 1
                if pod_available(pod, mrs, now):
                    available += 1
            if pod_updated(pod, ds, hash_):
                updated += 1
        elif on_node:
            misscheduled += 1
    return {
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": current,
        "numberMisscheduled": misscheduled,
        "numberReady": ready,
        "updatedNumberScheduled": updated,
        "numberAvailable": available,
        "numberUnavailable": desired - available,
        "observedGeneration": int(meta(ds).get("generation") or 0),
    }


__all__: list[Any] = [
    "reconcile_daemonset",
    "node_should_run",
    "daemon_tolerations",
    "target_node",
    "pin_to_node",
    "rolling_update",
    "manage",
    "daemonset_status",
    "history_actions",
    "ds_hash",
]
