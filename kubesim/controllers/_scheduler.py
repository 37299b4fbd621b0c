"""The scheduler's decision for one pod: filter nodes, score the rest, bind or explain.

Filters run per node in the default profile's order and stop at the first that rejects
(NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit, VolumeBinding,
PodTopologySpread, InterPodAffinity).

VolumeBinding (pkg/scheduler/framework/plugins/volumebinding): a claim bound to a volume
with node affinity (local-path's PVs) admits only the nodes that affinity selects ("node(s)
had volume node affinity conflict"), so a ReadWriteOnce claim's pods all land on its node;
an unbound claim whose `volume.kubernetes.io/selected-node` names another node rejects the
node ("node(s) didn't find available persistent volumes to bind"). The real scheduler writes
that annotation itself before binding the pod and remembers it in its assume cache; here the
provisioner's controller writes it from the first consumer's node, so a consumer already
placed on a node stands in for the annotation until it is written.
A failure reads like kube-scheduler's FitError: "0/N nodes are available: " and a
histogram "<count> <reason>" sorted as strings, then the preemption (PostFilter) summary.

When nothing fits, preemption (`_preemption`, DefaultPreemption) may nominate a node and
delete lower-priority pods there; pending pods nominated to a node hold their room on it.
Not modelled: host ports, claims that do not exist or are unbound with Immediate binding.
Scoring is simplified to an order instead of weighted sums: fewest untolerated
PreferNoSchedule taints (TaintToleration), then the most weight of preferred node-affinity
terms the node matches (NodeAffinity: on the docs' "preferred node affinity" page a
labelled node wins), then the ScheduleAnyway spread cost, then fewest pods of the same
owner on the node (standing in for the system default spreading), then the least requested
share, then the name (the real scheduler breaks ties at random). Preferred inter-pod
affinity is not scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubesim.core.objects import (
    Obj,
    controller_ref,
    deepcopy,
    deleting,
    disruption_target,
    fmt_time,
    labels,
    meta,
    milli,
    name,
    pod_active,
    selector_matches,
    value,
)

from . import _preemption, _topologyspread
from ._actions import Bind, Decision, Emit, Event, UpdateStatus, delete_of, object_ref
from ._placement import NodePods, Placement, add_requests, owner_uid, pod_requests

UNRESOLVABLE = "UnschedulableAndUnresolvable"
UNSCHEDULABLE = "Unschedulable"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


@dataclass(frozen=True)
class FailedScheduling:
    """No node fits: the FitError message, as the event and the PodScheduled condition say."""

    pod: Obj
    message: str


@dataclass(frozen=True)
class Preempt:
    """No node fits, but deleting `victims` on `node_name` makes room: the preemptor is
    nominated there and still reported unschedulable with `message` (the filters' part)."""

    pod: Obj
    node_name: str
    victims: tuple[Obj, ...]
    message: str


@dataclass(frozen=True)
class _Verdict:
    code: str
    reasons: tuple[str, ...]


# --- requests ---------------------------------------------------------------------------


def _allocatable(node: Obj) -> dict[str, int]:
    alloc = (node.get("status") or {}).get("allocatable") or {}
    return {k: (milli(v) if k == "cpu" else value(v)) for k, v in alloc.items()}


# --- filters ----------------------------------------------------------------------------


def _node_unschedulable(pod: Obj, node: Obj) -> _Verdict | None:
    if not (node.get("spec") or {}).get("unschedulable"):
        return None
    taint = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    if any(tolerates(t, taint) for t in (pod.get("spec") or {}).get("tolerations") or []):
        return None
    return _Verdict(UNRESOLVABLE, ("node(s) were unschedulable",))


def tolerates(toleration: Obj, taint: Obj) -> bool:
    """Toleration.ToleratesTaint: effect, key and (for Equal) value must match."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def untolerated_taint(pod: Obj, node: Obj, effects: tuple[str, ...]) -> Obj | None:
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") not in effects:
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _taint_toleration(pod: Obj, node: Obj) -> _Verdict | None:
    taint = untolerated_taint(pod, node, ("NoSchedule", "NoExecute"))
    if taint is None:
        return None
    reason = f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value') or ''}}}"
    return _Verdict(UNRESOLVABLE, (reason,))


def _node_affinity(pod: Obj, node: Obj) -> _Verdict | None:
    spec = pod.get("spec") or {}
    node_labels = labels(node)
    fail = _Verdict(UNRESOLVABLE, ("node(s) didn't match Pod's node affinity/selector",))
    for k, v in (spec.get("nodeSelector") or {}).items():
        if node_labels.get(k) != v:
            return fail
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms")
    if terms is not None and not any(_term_matches(t, node) for t in terms):
        return fail
    return None


def _term_matches(term: Obj, node: Obj) -> bool:
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False  # an empty term matches no objects
    node_labels = labels(node)
    if not all(_node_expr(e, node_labels) for e in exprs):
        return False
    return all(_node_expr(e, {"metadata.name": name(node)}) for e in fields)


def _node_expr(expr: Obj, lbls: dict[str, str]) -> bool:
    key, op, vals = expr["key"], expr["operator"], expr.get("values") or []
    have = lbls.get(key)
    if op == "In":
        return have is not None and have in vals
    if op == "NotIn":
        return have is None or have not in vals
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    if op in ("Gt", "Lt"):
        try:
            a, b = int(have or ""), int(vals[0])
        except (ValueError, IndexError):
            return False
        return a > b if op == "Gt" else a < b
    return False


def _resources_fit(pod: Obj, node: Obj, on_node: NodePods) -> _Verdict | None:
    alloc = _allocatable(node)
    reasons: list[str] = []
    if len(on_node.pods) + 1 > alloc.get("pods", 110):
        reasons.append("Too many pods")
    want = pod_requests(pod)
    used = on_node.requested
    for res in [
        "cpu",
        "memory",
        "ephemeral-storage",
        *sorted(set(want) - {"cpu", "memory", "ephemeral-storage"}),
    ]:
        need = want.get(res, 0)
        if need > 0 and need > alloc.get(res, 0) - used.get(res, 0):
            reasons.append(f"Insufficient {res}")
    return _Verdict(UNSCHEDULABLE, tuple(reasons)) if reasons else None


def _affinity_terms(pod: Obj, kind: str) -> list[Obj]:
    aff = ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}
    return aff.get("requiredDuringSchedulingIgnoredDuringExecution") or []


def _term_selects(term: Obj, owner: Obj, other: Obj) -> bool:
    namespaces = term.get("namespaces") or []
    if not namespaces and term.get("namespaceSelector") is None:
        namespaces = [meta(owner).get("namespace")]
    if term.get("namespaceSelector") is None and meta(other).get("namespace") not in namespaces:
        return False
    return selector_matches(term.get("labelSelector"), labels(other))


def _inter_pod_affinity(
    pod: Obj, node: Obj, nodes_by_name: dict[str, Obj], placement: Placement
) -> _Verdict | None:
    def same_domain(other: Obj, key: str) -> bool:
        other_node = nodes_by_name.get((other.get("spec") or {}).get("nodeName") or "")
        if other_node is None or key not in labels(node):
            return False
        return labels(other_node).get(key) == labels(node)[key]

    for term in _affinity_terms(pod, "podAffinity"):
        key = term.get("topologyKey", "")
        matching = [o for o in placement.placed() if _term_selects(term, pod, o)]
        if any(same_domain(o, key) for o in matching):
            continue
        # The first pod of a group that selects itself may go anywhere with the key.
        if not matching and _term_selects(term, pod, pod) and key in labels(node):
            continue
        return _Verdict(UNRESOLVABLE, ("node(s) didn't match pod affinity rules",))
    for term in _affinity_terms(pod, "podAntiAffinity"):
        key = term.get("topologyKey", "")
        if any(_term_selects(term, pod, o) and same_domain(o, key) for o in placement.placed()):
            return _Verdict(UNSCHEDULABLE, ("node(s) didn't match pod anti-affinity rules",))
    for other in placement.anti_affinity:  # the only placed pods with such terms
        for term in _affinity_terms(other, "podAntiAffinity"):
            key = term.get("topologyKey", "")
            if _term_selects(term, other, pod) and same_domain(other, key):
                return _Verdict(
                    UNSCHEDULABLE, ("node(s) didn't satisfy existing pods anti-affinity rules",)
                )
    return None


_NODE_CHECKS: dict[str, _topologyspread.NodeCheck] = {
    "affinity_ok": lambda pod, node: _node_affinity(pod, node) is None,
    "tolerated": lambda pod, node: (
        untolerated_taint(pod, node, ("NoSchedule", "NoExecute")) is None
    ),
}


SELECTED_NODE = "volume.kubernetes.io/selected-node"


@dataclass(frozen=True)
class Storage:
    """The claims (by namespace and name) and persistent volumes (by name) the
    VolumeBinding filter reads."""

    claims: dict[tuple[str, str], Obj]
    volumes: dict[str, Obj]


def _claim_names(pod: Obj) -> list[str]:
    return [
        str((v.get("persistentVolumeClaim") or {}).get("claimName"))
        for v in (pod.get("spec") or {}).get("volumes") or []
        if v.get("persistentVolumeClaim")
    ]


def _volume_binding(
    pod: Obj, node: Obj, placement: Placement, storage: Storage | None
) -> _Verdict | None:
    if storage is None:
        return None
    ns = str(meta(pod).get("namespace") or "")
    for claim_name in _claim_names(pod):
        claim = storage.claims.get((ns, claim_name))
        if claim is None:
            continue
        volume = storage.volumes.get(str((claim.get("spec") or {}).get("volumeName") or ""))
        if volume is not None:
            required = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")
            terms = (required or {}).get("nodeSelectorTerms")
            if terms is not None and not any(_term_matches(t, node) for t in terms):
                return _Verdict(UNRESOLVABLE, ("node(s) had volume node affinity conflict",))
            continue
        selected = (meta(claim).get("annotations") or {}).get(SELECTED_NODE)
        if not selected:
            selected = next(
                (
                    p["spec"]["nodeName"]
                    for p in placement.placed()
                    if meta(p).get("namespace") == ns and claim_name in _claim_names(p)
                ),
                None,
            )
        if selected and selected != name(node):
            reason = "node(s) didn't find available persistent volumes to bind"
            return _Verdict(UNRESOLVABLE, (reason,))
    return None


def _spreads(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("topologySpreadConstraints"))


def _topology_spread(
    pod: Obj, node: Obj, nodes: list[Obj], placement: Placement
) -> _Verdict | None:
    if not _spreads(pod):
        return None
    found = _topologyspread.violation(pod, node, nodes, placement.placed(), **_NODE_CHECKS)
    if found is None:
        return None
    unresolvable, reason = found
    return _Verdict(UNRESOLVABLE if unresolvable else UNSCHEDULABLE, (reason,))


# --- the decision -----------------------------------------------------------------------


def _filter(
    pod: Obj,
    node: Obj,
    nodes: list[Obj],
    nodes_by_name: dict[str, Obj],
    placement: Placement,
    storage: Storage | None,
) -> _Verdict | None:
    """The filters in the default profile's order; the first rejection is the verdict."""
    return (
        _node_unschedulable(pod, node)
        or _taint_toleration(pod, node)
        or _node_affinity(pod, node)
        or _resources_fit(pod, node, placement.on(name(node)))
        or _volume_binding(pod, node, placement, storage)
        or _topology_spread(pod, node, nodes, placement)
        or _inter_pod_affinity(pod, node, nodes_by_name, placement)
    )


def _with_nominated(pod: Obj, placement: Placement, nominated: list[Obj]) -> Placement:
    """addNominatedPods: pending pods nominated to a node by an earlier preemption, of at
    least this pod's priority, hold their room there as if bound."""
    held = _held(pod, nominated)
    if not held:
        return placement
    return Placement.of([*placement.placed(), *held], terminating=placement.terminating())


def _held(pod: Obj, nominated: list[Obj]) -> list[Obj]:
    mine = _preemption.priority(pod)
    uid = meta(pod).get("uid")
    held = []
    for other in nominated:
        node_name = (other.get("status") or {}).get("nominatedNodeName")
        if not node_name or meta(other).get("uid") == uid:
            continue
        if _preemption.priority(other) >= mine:
            holder = deepcopy(other)
            holder["spec"]["nodeName"] = node_name
            held.append(holder)
    return held


def schedule(
    pod: Obj,
    nodes: list[Obj],
    pods_on_nodes: list[Obj] | Placement,
    *,
    pdbs: Sequence[Obj] = (),
    nominated: Sequence[Obj] = (),
    storage: Storage | None = None,
) -> Bind | FailedScheduling | Preempt:
    """Pick a node for ``pod``, or preempt lower-priority pods to make room on one, or
    explain, word for word, why neither is possible.

    ``pods_on_nodes`` are all pods already bound (``spec.nodeName`` set); finished pods
    (Succeeded/Failed) are ignored, as their resources are free again. ``pdbs`` are the
    PodDisruptionBudgets preemption tries not to violate; ``nominated`` the pending pods
    with a ``status.nominatedNodeName``. Without ``storage`` the pod's claims are not looked
    at. The scheduler passes a ``Placement`` it keeps up to date instead of the list (the
    active bound pods, already grouped per node).
    """
    if isinstance(pods_on_nodes, Placement):
        bound = pods_on_nodes
    else:
        pods = pods_on_nodes
        bound = Placement.of(
            [p for p in pods if (p.get("spec") or {}).get("nodeName") and pod_active(p)],
            terminating=[p for p in pods if deleting(p) and p["spec"].get("nodeName")],
        )
    placement = _with_nominated(pod, bound, list(nominated))
    nodes_by_name = {name(n): n for n in nodes}
    verdicts: dict[str, _Verdict] = {}
    feasible: list[Obj] = []
    for node in nodes:
        verdict = _filter(pod, node, nodes, nodes_by_name, placement, storage)
        if verdict is None:
            feasible.append(node)
        else:
            verdicts[name(node)] = verdict
    if feasible:
        best = min(
            feasible,
            key=lambda n: (
                _prefer_no_schedule(pod, n),
                -_preferred_affinity(pod, n),
                _preference(pod, n, nodes, placement),
                *_score(pod, n, placement.on(name(n))),
            ),
        )
        return Bind(pod, name(best))
    if not nodes:
        return FailedScheduling(pod, fit_error_message(0, []))
    nominated_node = (pod.get("status") or {}).get("nominatedNodeName")
    outcome = _preemption.preempt(
        pod,
        nodes,
        bound.placed,
        lower_on=lambda n: bound.on(n).has_lower_priority(_preemption.priority(pod)),
        terminating=bound.terminating() if nominated_node else [],
        resolvable=lambda n: n in verdicts and verdicts[n].code == UNSCHEDULABLE,
        pdbs=pdbs,
        fits=lambda node, without: (
            _filter(
                pod,
                node,
                nodes,
                nodes_by_name,
                _with_nominated(pod, Placement.of(without), list(nominated)),
                storage,
            )
            is None
        ),
    )
    filters = fit_error_message(len(nodes), list(verdicts.values()), post_filter="")
    if isinstance(outcome, _preemption.Candidate):
        return Preempt(pod, outcome.node_name, outcome.victims, filters)
    return FailedScheduling(pod, f"{filters} preemption: {outcome}")


def _prefer_no_schedule(pod: Obj, node: Obj) -> int:
    """TaintToleration's score: the node's PreferNoSchedule taints the pod does not
    tolerate (only tolerations for that effect, or for every effect, count)."""
    tolerations = [
        t
        for t in (pod.get("spec") or {}).get("tolerations") or []
        if (t.get("effect") or "PreferNoSchedule") == "PreferNoSchedule"
    ]
    return sum(
        1
        for taint in (node.get("spec") or {}).get("taints") or []
        if taint.get("effect") == "PreferNoSchedule"
        and not any(tolerates(t, taint) for t in tolerations)
    )


def _preferred_affinity(pod: Obj, node: Obj) -> int:
    """NodeAffinity's score: the weights of the preferred terms the node matches."""
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
    preferred = affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []
    return sum(
        int(term.get("weight") or 0)
        for term in preferred
        if _term_matches(term.get("preference") or {}, node)
    )


def _preference(pod: Obj, node: Obj, nodes: list[Obj], placement: Placement) -> float:
    if not _spreads(pod):
        return 0.0
    return _topologyspread.preference(pod, node, nodes, placement.placed(), **_NODE_CHECKS)


def _score(pod: Obj, node: Obj, on_node: NodePods) -> tuple[Any, ...]:
    cref = controller_ref(pod)
    if cref is not None:
        siblings = on_node.owners[owner_uid(pod)]
    else:
        siblings = sum(1 for p in on_node.pods.values() if labels(p) == labels(pod) and labels(pod))
    alloc = _allocatable(node)
    used = dict(on_node.requested)
    add_requests(used, pod_requests(pod))
    shares = [used.get(r, 0) / alloc[r] for r in ("cpu", "memory") if alloc.get(r)]
    load = sum(shares) / len(shares) if shares else 0.0
    return (siblings, round(load, 6), name(node))


def _histogram(reasons: list[str]) -> str:
    counts: dict[str, int] = {}
    for r in reasons:
        counts[r] = counts.get(r, 0) + 1
    return ", ".join(sorted(f"{n} {r}" for r, n in counts.items()))


def fit_error_message(
    num_nodes: int, verdicts: list[_Verdict], *, post_filter: str | None = None
) -> str:
    """FitError.Error(): filter histogram, then the preemption PostFilter summary
    (`post_filter`; None: the summary when no node has lower-priority pods to preempt, ""
    when preemption nominated a node and has nothing to add)."""
    msg = f"0/{num_nodes} nodes are available:"
    if num_nodes == 0:
        return "no nodes available to schedule pods"
    filt = _histogram([r for v in verdicts for r in v.reasons])
    if filt:
        msg += f" {filt}."
    if post_filter is None:
        post = _histogram([NOT_HELPFUL if v.code == UNRESOLVABLE else NO_VICTIMS for v in verdicts])
        post_filter = f"0/{num_nodes} nodes are available: {post}."
    if post_filter:
        msg += f" preemption: {post_filter}"
    return msg


# podMaxInUnschedulablePodsDuration: an unschedulable pod waits in the unschedulable queue
# until a cluster event that may help it (a node change, a bound pod leaving) moves it back,
# or at most this long.
UNSCHEDULABLE_FLUSH_SECONDS = 300.0


def _preemption_actions(result: Preempt, *, now: datetime) -> list[Any]:
    """prepareCandidate, per victim: the DisruptionTarget condition, a graceful delete and
    the ``Preempted`` event (on the victim, naming the preemptor's uid and the node)."""
    scheduler_name = (result.pod.get("spec") or {}).get("schedulerName") or "default-scheduler"
    preemptor_uid = meta(result.pod).get("uid", "")
    actions: list[Any] = []
    for victim in result.victims:
        message = f"{scheduler_name}: preempting to accommodate a higher priority pod"
        marked = disruption_target(
            victim, _preemption.PREEMPTION_REASON, message, now=fmt_time(now)
        )
        actions.append(UpdateStatus(marked))
        actions.append(delete_of(victim))
        message = f"Preempted by pod {preemptor_uid} on node {result.node_name}"
        actions.append(Emit(Event(object_ref(victim), "Normal", "Preempted", message)))
    return actions


def schedule_actions(
    pod: Obj,
    nodes: list[Obj],
    pods_on_nodes: list[Obj] | Placement,
    *,
    now: datetime,
    pdbs: Sequence[Obj] = (),
    nominated: Sequence[Obj] = (),
    storage: Storage | None = None,
) -> Decision:
    """``schedule`` as actions: Bind + ``Scheduled`` event, or the PodScheduled=False
    condition + ``FailedScheduling`` warning (requeued after the unschedulable queue's flush
    period; the loop moves it back sooner on the cluster events that may help it). A
    preemption first marks and deletes its victims, then nominates the node in the pod's
    ``status.nominatedNodeName``."""
    result = schedule(pod, nodes, pods_on_nodes, pdbs=pdbs, nominated=nominated, storage=storage)
    ns = meta(pod).get("namespace")
    if isinstance(result, Bind):
        msg = f"Successfully assigned {ns}/{name(pod)} to {result.node_name}"
        return Decision([result, Emit(Event(object_ref(pod), "Normal", "Scheduled", msg))])
    actions: list[Any] = []
    updated = deepcopy(pod)
    st = updated.setdefault("status", {})
    st.setdefault("phase", "Pending")
    if isinstance(result, Preempt):
        actions.extend(_preemption_actions(result, now=now))
        st["nominatedNodeName"] = result.node_name
    generation = meta(pod).get("generation")
    cond = {
        "type": "PodScheduled",
        **({"observedGeneration": generation} if generation else {}),
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": fmt_time(now),
        "reason": "Unschedulable",
        "message": result.message,
    }
    conds = [c for c in st.get("conditions") or [] if c.get("type") != "PodScheduled"]
    old = next((c for c in st.get("conditions") or [] if c.get("type") == "PodScheduled"), None)
    if old and old.get("status") == "False":
        cond["lastTransitionTime"] = old.get("lastTransitionTime")
    st["conditions"] = [*conds, cond]
    if updated != pod:
        actions.append(UpdateStatus(updated))
    actions.append(Emit(Event(object_ref(pod), "Warning", "FailedScheduling", result.message)))
    return Decision(actions, requeue_after=UNSCHEDULABLE_FLUSH_SECONDS)
