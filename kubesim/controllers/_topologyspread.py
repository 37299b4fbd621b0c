"""kube-scheduler's PodTopologySpread plugin: the filter for `DoNotSchedule` constraints and
the preference for `ScheduleAnyway` ones.

Why it matters to the course: a Deployment that must survive a node failure spreads its
replicas with a hard constraint, and the real plugin has a well-known surprise that kubesim
must reproduce rather than smooth over: with the default `nodeTaintsPolicy: Ignore`, a tainted
node the pods can never run on (kind's control plane, a cordoned worker) still counts as a
domain holding zero pods, so `maxSkew: 1` over `kubernetes.io/hostname` caps every other node
at one replica. `nodeTaintsPolicy: Honor` leaves such nodes out.

The arithmetic follows the plugin: per constraint, count the pods its selector matches (same
namespace, not being deleted) in each topology domain of the eligible nodes; a node passes if
`count(its domain) + self - min(count over domains) <= maxSkew`, where `self` is 1 when the
incoming pod matches its own selector and the minimum is 0 while fewer than `minDomains`
domains exist. Eligible nodes carry every constraint's key and pass the inclusion policies
(`nodeAffinityPolicy` Honor and `nodeTaintsPolicy` Ignore by default).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from kubesim.core.objects import Obj, labels, meta, name, selector_matches

CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
NODE_LABEL_NOT_MATCH = CONSTRAINTS_NOT_MATCH + " (missing required label)"

# Whether `node` passes the pod's nodeSelector/required node affinity, and whether the pod
# tolerates the node's NoSchedule/NoExecute taints: the scheduler's own filters, passed in.
NodeCheck = Callable[[Obj, Obj], bool]


def constraints(pod: Obj, when: str) -> list[Obj]:
    """The pod's constraints for one `whenUnsatisfiable`, `matchLabelKeys` merged into the
    selector as the API server merges them (key In [the pod's value])."""
    out = []
    for c in (pod.get("spec") or {}).get("topologySpreadConstraints") or []:
        if (c.get("whenUnsatisfiable") or "DoNotSchedule") != when:
            continue
        keys = [k for k in c.get("matchLabelKeys") or [] if k in labels(pod)]
        if keys and c.get("labelSelector") is not None:
            selector = dict(c["labelSelector"])
            selector["matchExpressions"] = [
                *(selector.get("matchExpressions") or []),
                *({"key": k, "operator": "In", "values": [labels(pod)[k]]} for k in keys),
            ]
            c = {**c, "labelSelector": selector}
        out.append(c)
    return out


def _eligible(
    pod: Obj, nodes: list[Obj], cons: list[Obj], affinity_ok: NodeCheck, tolerated: NodeCheck
) -> list[Obj]:
    def included(node: Obj, c: Obj) -> bool:
        if c.get("topologyKey", "") not in labels(node):
            return False
        if (c.get("nodeAffinityPolicy") or "Honor") == "Honor" and not affinity_ok(pod, node):
            return False
        return (c.get("nodeTaintsPolicy") or "Ignore") != "Honor" or tolerated(pod, node)

    return [n for n in nodes if all(included(n, c) for c in cons)]


def _counts(
    pod: Obj, constraint: Obj, eligible: list[Obj], nodes_by_name: dict[str, Obj], placed: list[Obj]
) -> dict[str, int]:
    """Matching pods per domain value, every eligible domain present (zero included)."""
    key = constraint.get("topologyKey", "")
    counts = {labels(n)[key]: 0 for n in eligible}
    eligible_names = {name(n) for n in eligible}
    namespace = meta(pod).get("namespace")
    for other in placed:
        node_name = (other.get("spec") or {}).get("nodeName") or ""
        if node_name not in eligible_names or meta(other).get("namespace") != namespace:
            continue
        if selector_matches(constraint.get("labelSelector"), labels(other)):
            counts[labels(nodes_by_name[node_name])[key]] += 1
    return counts


def violation(
    pod: Obj,
    node: Obj,
    nodes: list[Obj],
    placed: list[Obj],
    *,
    affinity_ok: NodeCheck,
    tolerated: NodeCheck,
) -> tuple[bool, str] | None:
    """None when `node` satisfies every DoNotSchedule constraint; else (unresolvable, reason)."""
    cons = constraints(pod, "DoNotSchedule")
    if not cons:
        return None
    if not all(c.get("topologyKey", "") in labels(node) for c in cons):
        return True, NODE_LABEL_NOT_MATCH
    eligible = _eligible(pod, nodes, cons, affinity_ok, tolerated)
    nodes_by_name = {name(n): n for n in nodes}
    for c in cons:
        counts = _counts(pod, c, eligible, nodes_by_name, placed)
        min_domains = int(c.get("minDomains") or 1)
        global_min = min(counts.values(), default=0) if len(counts) >= min_domains else 0
        own = 1 if selector_matches(c.get("labelSelector"), labels(pod)) else 0
        here = counts.get(labels(node)[c.get("topologyKey", "")], 0)
        if here + own - global_min > int(c.get("maxSkew") or 1):
            return False, CONSTRAINTS_NOT_MATCH
    return None


def preference(
    pod: Obj,
    node: Obj,
    nodes: list[Obj],
    placed: list[Obj],
    *,
    affinity_ok: NodeCheck,
    tolerated: NodeCheck,
) -> float:
    """The ScheduleAnyway cost of `node` (lower is better): matching pods in its domain, each
    constraint weighted by log(domains + 2) as the plugin's score weights it."""
    cons = constraints(pod, "ScheduleAnyway")
    if not cons or not all(c.get("topologyKey", "") in labels(node) for c in cons):
        return 0.0
    eligible = _eligible(pod, nodes, cons, affinity_ok, tolerated)
    nodes_by_name = {name(n): n for n in nodes}
    cost = 0.0
    for c in cons:
        counts = _counts(pod, c, eligible, nodes_by_name, placed)
        cost += counts.get(labels(node)[c.get("topologyKey", "")], 0) * math.log(len(counts) + 2)
    return cost
