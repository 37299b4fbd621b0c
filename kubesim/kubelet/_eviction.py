"""The kubelet's eviction manager, its decisions as pure functions (pkg/kubelet/eviction).

Only the memory signal is modelled: `memory.available` = the node's capacity minus the
working set the node uses (its system processes, the pods' measured memory, and whatever a
process outside the pods holds). The lab's kind nodes have the kubelet's default hard
threshold `memory.available<100Mi` (manifests/cluster/kind.yaml restores it); while it is
met the node reports `MemoryPressure` and the manager evicts one pod per pass (hard
threshold: no grace period), ranked as upstream's `rankMemoryPressure`: pods whose usage
exceeds their requests first, then by priority (lower first), then by usage above requests
(more first). Critical pods (priority >= 2000000000, static and mirror pods) are never
chosen. The condition stays True for `evictionPressureTransitionPeriod` (5 min) after the
signal last crossed the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from kubesim.core.quantity import Quantity, canonical
from kubesim.kubelet._quantity import memory_bytes

Obj = dict[str, Any]

# evictionHard memory.available<100Mi, as manifests/cluster/kind.yaml sets it
HARD_THRESHOLD = 100 * 1024 * 1024
MONITORING_INTERVAL = 10.0  # housekeeping: the manager's synchronize period, cluster seconds
PRESSURE_TRANSITION_PERIOD = 300.0  # evictionPressureTransitionPeriod default, 5m0s
NODE_SYSTEM_MEMORY = 600 * 1024 * 1024  # what a kind node's system processes hold, roughly
SYSTEM_CRITICAL_PRIORITY = 2_000_000_000
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"

REASON = "Evicted"  # helpers.go Reason
NODE_LOW = "The node was low on resource: {}. "  # nodeLowMessageFmt
THRESHOLD_MET = "Threshold quantity: {}, available: {}. "  # thresholdMetMessageFmt
NODE_CONDITION = "The node had condition: {}. "  # nodeConditionMessageFmt
MEMORY_PRESSURE_TAINT = "node.kubernetes.io/memory-pressure"
CONTAINER_OVER = "Container {} was using {}, request is {}, has larger consumption of {}. "
PRESSURE_TRUE = ("KubeletHasInsufficientMemory", "kubelet has insufficient memory available")


def quantity(n_bytes: int) -> str:
    """A byte count as resource.Quantity prints it in BinarySI (`100Mi`, `52428801`)."""
    return canonical(Quantity(Fraction(n_bytes), "BinarySI"))


def memory_available(capacity: int, working_set: int) -> int:
    """The signal: capacity minus the node's working set (upstream may go negative too)."""
    return capacity - working_set


def threshold_met(available: int, threshold: int = HARD_THRESHOLD) -> bool:
    """`memory.available<100Mi`: the operator is LessThan."""
    return available < threshold


def under_pressure(
    now: float, last_met: float | None, period: float = PRESSURE_TRANSITION_PERIOD
) -> bool:
    """The condition is True while the threshold was met within the transition period."""
    return last_met is not None and now - last_met < period


@dataclass(frozen=True)
class Candidate:
    """An active pod on the node and what its containers use (working set, bytes)."""

    pod: Obj
    usage: dict[str, int]  # container name -> working set

    @property
    def total(self) -> int:
        return sum(self.usage.values())


def requests(pod: Obj) -> int:
    """The pod's memory request as the eviction manager sums it (its containers')."""
    total = 0
    for c in (pod.get("spec") or {}).get("containers") or []:
        value = ((c.get("resources") or {}).get("requests") or {}).get("memory")
        if value is not None:
            total += memory_bytes(value)
    return total


def priority(pod: Obj) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def critical(pod: Obj) -> bool:
    """kubelettypes.IsCriticalPod: static, mirror, or system-critical priority."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    return MIRROR_ANNOTATION in annotations or priority(pod) >= SYSTEM_CRITICAL_PRIORITY


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """rankMemoryPressure: exceeds requests first, then lower priority, then more usage over
    requests; pods that may not be evicted (critical) are left out."""

    def key(c: Candidate) -> tuple[int, int, int]:
        over = c.total - requests(c.pod)
        return (0 if over > 0 else 1, priority(c.pod), -over)

    return sorted((c for c in candidates if not critical(c.pod)), key=key)


def message(candidate: Candidate, *, available: int, threshold: int = HARD_THRESHOLD) -> str:
    """evictionMessage: the resource, the threshold and what was left, then each container
    using more than it requested (trailing space as upstream's)."""
    out = NODE_LOW.format("memory") + THRESHOLD_MET.format(quantity(threshold), quantity(available))
    for c in (candidate.pod.get("spec") or {}).get("containers") or []:
        used = candidate.usage.get(c["name"])
        if used is None:
            continue
        raw = ((c.get("resources") or {}).get("requests") or {}).get("memory")
        request = memory_bytes(raw) if raw is not None else 0
        if used > request:
            out += CONTAINER_OVER.format(c["name"], quantity(used), quantity(request), "memory")
    return out


def _tolerates_memory_pressure(pod: Obj) -> bool:
    for t in (pod.get("spec") or {}).get("tolerations") or []:
        if t.get("effect") not in (None, "", "NoSchedule"):
            continue
        if t.get("operator") == "Exists" and not t.get("key"):
            return True
        if t.get("key") == MEMORY_PRESSURE_TAINT and (
            t.get("operator") == "Exists" or not t.get("value")
        ):
            return True
    return False


def admission(pod: Obj, *, qos: str, memory_pressure: bool) -> str | None:
    """The eviction manager's Admit for a new pod: under memory pressure only a BestEffort
    pod is refused (unless critical, or it tolerates the memory-pressure taint); the answer
    is the rejection's message, None to admit."""
    if not memory_pressure or critical(pod) or qos != "BestEffort":
        return None
    if _tolerates_memory_pressure(pod):
        return None
    return NODE_CONDITION.format("[MemoryPressure]")
