"""Preemption: the default profile's PostFilter (DefaultPreemption), as a pure decision.

When no node passes the filters, kube-scheduler looks for a node where deleting pods of a
lower priority would let the pod fit (pkg/scheduler/framework/plugins/defaultpreemption and
framework/preemption):

* eligibility: a pod with `preemptionPolicy: Never` never preempts ("not eligible due to
  preemptionPolicy=Never."), nor does one whose nominated node still has a lower-priority
  pod terminating because of a preemption ("not eligible due to a terminating pod on the
  nominated node.");
* candidates: only nodes that failed with a resolvable status (Unschedulable); a node that
  failed UnschedulableAndUnresolvable (a taint, a selector) "Preemption is not helpful";
* SelectVictimsOnNode: remove every lower-priority pod; if the pod still does not fit, the
  node has "No preemption victims found for incoming pod". Else reprieve as many as
  possible, most important first (higher priority, then earlier start), the pods whose
  eviction would violate a PodDisruptionBudget before the others, and count the victims
  that do violate one;
* pickOneNodeForPreemption: fewest PDB violations, then the lowest highest-victim
  priority, the lowest sum of priorities, the fewest victims, the latest start among the
  highest-priority victims, then the first node.

Not modelled: extenders, the async API calls, clearing lower-priority pods' nominations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kubesim.core.objects import Obj, labels, meta, name, selector_matches

INT32_MAX = 2**31 - 1
NEVER = "not eligible due to preemptionPolicy=Never."
TERMINATING = "not eligible due to a terminating pod on the nominated node."
PREEMPTION_REASON = "PreemptionByScheduler"  # v1.PodReasonPreemptionByScheduler

# fits(node, pods_placed) -> True when the pod passes every filter on `node` with exactly
# `pods_placed` bound in the cluster (the caller's filters, so both agree on what fits)
Fits = Callable[[Obj, list[Obj]], bool]


@dataclass(frozen=True)
class Candidate:
    node_name: str
    victims: tuple[Obj, ...]
    pdb_violations: int


def priority(pod: Obj) -> int:
    """corev1helpers.PodPriority: spec.priority, 0 when unset."""
    value = (pod.get("spec") or {}).get("priority")
    return value if isinstance(value, int) else 0


def _start(pod: Obj) -> str:
    status = pod.get("status") or {}
    return str(status.get("startTime") or meta(pod).get("creationTimestamp") or "")


def _importance(pod: Obj) -> tuple[int, str]:
    """A sort key, most important first (MoreImportantPod): higher priority, then the
    earlier start ("~" sorts after any timestamp, so a pod not started is least important)."""
    return (-priority(pod), _start(pod) or "~")


def preempted_and_terminating(pod: Obj) -> bool:
    """podTerminatingByPreemption: deleting, with the scheduler's DisruptionTarget."""
    if not meta(pod).get("deletionTimestamp"):
        return False
    return any(
        c.get("type") == "DisruptionTarget"
        and c.get("status") == "True"
        and c.get("reason") == PREEMPTION_REASON
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def not_eligible(pod: Obj, placed: Sequence[Obj], *, nominated_unresolvable: bool) -> str | None:
    """PodEligibleToPreemptOthers: why `pod` may not preempt now, or None."""
    spec = pod.get("spec") or {}
    if spec.get("preemptionPolicy") == "Never":
        return NEVER
    nominated = (pod.get("status") or {}).get("nominatedNodeName")
    if nominated and not nominated_unresolvable:
        mine = priority(pod)
        for other in placed:
            if (
                (other.get("spec") or {}).get("nodeName") == nominated
                and priority(other) < mine
                and preempted_and_terminating(other)
            ):
                return TERMINATING
    return None


def _split_by_pdb(pods: list[Obj], pdbs: Sequence[Obj]) -> tuple[list[Obj], list[Obj]]:
    """filterPodsWithPDBViolation: (violating, non-violating), each in the given order.
    Each matching budget's disruptionsAllowed goes down per pod; below 0 is a violation."""
    allowed = [int((p.get("status") or {}).get("disruptionsAllowed") or 0) for p in pdbs]
    violating: list[Obj] = []
    fine: list[Obj] = []
    for pod in pods:
        violated = False
        if labels(pod):
            for i, pdb in enumerate(pdbs):
                if meta(pdb).get("namespace") != meta(pod).get("namespace"):
                    continue
                selector = (pdb.get("spec") or {}).get("selector")
                if not selector or not selector_matches(selector, labels(pod)):
                    continue  # a nil or empty selector matches nothing
                disrupted = (pdb.get("status") or {}).get("disruptedPods") or {}
                if name(pod) in disrupted:
                    continue
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else fine).append(pod)
    return violating, fine


def select_victims(
    pod: Obj, node: Obj, placed: list[Obj], pdbs: Sequence[Obj], fits: Fits
) -> Candidate | None:
    """SelectVictimsOnNode: the fewest, least important pods to delete on `node`, or None
    when deleting every lower-priority pod there would not be enough."""
    node_name = name(node)
    mine = priority(pod)
    lower = [
        p
        for p in placed
        if (p.get("spec") or {}).get("nodeName") == node_name and priority(p) < mine
    ]
    if not lower:
        return None
    remaining = [p for p in placed if not any(p is v for v in lower)]
    if not fits(node, remaining):
        return None
    lower.sort(key=_importance)
    violating, fine = _split_by_pdb(lower, pdbs)
    victims: list[Obj] = []
    violations = 0
    for group, counts in ((violating, True), (fine, False)):
        for candidate in group:
            if fits(node, [*remaining, candidate]):
                remaining.append(candidate)  # reprieved
            else:
                victims.append(candidate)
                violations += counts
    victims.sort(key=_importance)
    return Candidate(node_name, tuple(victims), violations)


def _rank(candidate: Candidate) -> tuple[int, int, int, int, str]:
    """pickOneNodeForPreemption's criteria as one ascending key (the earliest start among
    the highest-priority victims: the later, the better, so it is negated by inverting)."""
    victims = candidate.victims
    highest = max(priority(v) for v in victims)
    total = sum(priority(v) + INT32_MAX + 1 for v in victims)
    starts = [_start(v) for v in victims if priority(v) == highest]
    earliest = min(starts) if starts else ""
    inverted = "".join(chr(0x10FFFF - ord(ch)) for ch in earliest)
    return (candidate.pdb_violations, highest, total, len(victims), inverted)


def pick(candidates: list[Candidate]) -> Candidate:
    """pickOneNodeForPreemption: a node with no victims wins outright; else the best rank,
    the first of equals."""
    for candidate in candidates:
        if not candidate.victims:
            return candidate
    return min(candidates, key=_rank)


def preempt(
    pod: Obj,
    nodes: Sequence[Obj],
    placed: Callable[[], list[Obj]],
    *,
    lower_on: Callable[[str], bool],
    terminating: Sequence[Obj],
    resolvable: Callable[[str], bool],
    pdbs: Sequence[Obj],
    fits: Fits,
) -> Candidate | str:
    """The PostFilter: the chosen node and its victims, or the message after
    `preemption: ` that says why not. `placed()` gives the active bound pods (the possible
    victims), asked for only when `lower_on(node_name)` says a node has pods of a lower
    priority than `pod`; `terminating` are the bound pods being deleted. `resolvable(node_name)` is True
    for the nodes that failed only with Unschedulable statuses."""
    nominated = (pod.get("status") or {}).get("nominatedNodeName") or ""
    nominated_unresolvable = bool(nominated) and not resolvable(nominated)
    why = not_eligible(pod, terminating, nominated_unresolvable=nominated_unresolvable)
    if why is not None:
        return why
    candidates: list[Candidate] = []
    reasons: list[str] = []
    for node in nodes:
        if not resolvable(name(node)):
            reasons.append("Preemption is not helpful for scheduling")
            continue
        found = select_victims(pod, node, placed(), pdbs, fits) if lower_on(name(node)) else None
        if found is None:
            reasons.append("No preemption victims found for incoming pod")
        else:
            candidates.append(found)
    if candidates:
        return pick(candidates)
    counts: dict[str, int] = {}
    for r in reasons:
        counts[r] = counts.get(r, 0) + 1
    histogram = ", ".join(sorted(f"{n} {r}" for r, n in counts.items()))
    return f"0/{len(nodes)} nodes are available: {histogram}."
