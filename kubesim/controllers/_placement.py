"""The bound pods as one scheduling decision reads them: grouped per node, with the sums
kube-scheduler's NodeInfo keeps (pkg/scheduler/framework/types.go: the pod count, the
requested resources; here also the pods per controller and per priority).

Why: with the pods in one list, every filter on every node scanned every pod in the
cluster, so placing 2,000 replicas cost millions of steps in the loop that also serves the
API. With the sums per node, the common filters and scores read one node's figures, and the
whole list is built only for the filters that truly look across nodes (pod affinity,
topology spread, an unbound claim's first consumer, preemption's what-ifs). The scheduler
keeps its ``NodePods`` up to date from its pod informer (``kubesim.scheduler``, as
upstream's cache does); ``Placement.of`` builds them from a list for the pure tests and for
preemption's "what if these pods were gone".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesim.core import podlevel
from kubesim.core.objects import Obj, controller_ref, milli, value

from ._preemption import priority


def pod_requests(pod: Obj) -> dict[str, int]:
    """Effective requests: cpu in millicores, others in units.  Regular containers (and
    sidecar init containers) add up; a plain init container counts by the max rule. A
    container being resized counts the most of what its spec asks, what the kubelet
    allocated and what it runs with, or only the last two while the resize is Infeasible
    (component-helpers' resource.PodRequests)."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    reported = {
        s.get("name"): s
        for s in [
            *(status.get("containerStatuses") or []),
            *(status.get("initContainerStatuses") or []),
        ]  # fmt: skip
    }
    infeasible = any(
        c.get("type") == "PodResizePending" and c.get("reason") == "Infeasible"
        for c in status.get("conditions") or []
    )

    def requests_of(c: Obj) -> dict[str, int]:
        asked = {} if infeasible else _container_requests(c)
        seen = reported.get(c.get("name")) or {}
        for found in (
            (seen.get("resources") or {}).get("requests") or {},
            seen.get("allocatedResources") or {},
        ):
            for k, v in _parsed(found).items():
                asked[k] = max(asked.get(k, 0), v)
        return asked if (asked or not infeasible) else _container_requests(c)

    total: dict[str, int] = {}
    sidecars: dict[str, int] = {}
    init_max: dict[str, int] = {}
    for c in spec.get("containers") or []:
        add_requests(total, requests_of(c))
    for c in spec.get("initContainers") or []:
        req = requests_of(c) if c.get("restartPolicy") == "Always" else _container_requests(c)
        if c.get("restartPolicy") == "Always":
            add_requests(sidecars, req)
            add_requests(total, req)
        else:
            # an init container runs alongside the sidecars started before it
            for k, v in req.items():
                init_max[k] = max(init_max.get(k, 0), v + sidecars.get(k, 0))
    for k, v in init_max.items():
        total[k] = max(total.get(k, 0), v)
    # pod-level resources: the pod's own cpu, memory and hugepages requests replace the sum
    total.update(_parsed(podlevel.stated(spec).get("requests") or {}))
    for k, v in (spec.get("overhead") or {}).items():
        total[k] = total.get(k, 0) + (milli(v) if k == "cpu" else value(v))
    return total


def _container_requests(c: Obj) -> dict[str, int]:
    return _parsed((c.get("resources") or {}).get("requests") or {})


def _parsed(requests: Obj) -> dict[str, int]:
    return {k: (milli(v) if k == "cpu" else value(v)) for k, v in requests.items()}


def add_requests(into: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


def owner_uid(pod: Obj) -> str | None:
    """The uid of the pod's controller (None without one), the key the scoring's
    "same owner" count reads."""
    return (controller_ref(pod) or {}).get("uid")


def required_anti_affinity(pod: Obj) -> bool:
    """Does the pod carry required pod anti-affinity terms (upstream's
    PodsWithRequiredAntiAffinity): the only bound pods every node's filter must look at."""
    aff = ((pod.get("spec") or {}).get("affinity") or {}).get("podAntiAffinity") or {}
    return bool(aff.get("requiredDuringSchedulingIgnoredDuringExecution"))


@dataclass
class NodePods:
    """One node's active bound pods and their sums, updated pod by pod."""

    pods: dict[Hashable, Obj] = field(default_factory=dict)
    requested: dict[str, int] = field(default_factory=dict)
    owners: Counter[str | None] = field(default_factory=Counter)
    priorities: Counter[int] = field(default_factory=Counter)

    def add(self, key: Hashable, pod: Obj) -> None:
        """Count `pod` under `key` (a key already here is replaced)."""
        self.remove(key)
        requests = pod_requests(pod)  # before any change: a bad quantity leaves us as we were
        self.pods[key] = pod
        add_requests(self.requested, requests)
        self.owners[owner_uid(pod)] += 1
        self.priorities[priority(pod)] += 1

    def remove(self, key: Hashable) -> None:
        pod = self.pods.pop(key, None)
        if pod is None:
            return
        for k, v in pod_requests(pod).items():
            left = self.requested.get(k, 0) - v
            if left:
                self.requested[k] = left
            else:
                self.requested.pop(k, None)
        _uncount(self.owners, owner_uid(pod))
        _uncount(self.priorities, priority(pod))

    def has_lower_priority(self, than: int) -> bool:
        return any(p < than for p in self.priorities)


def _uncount(counter: Counter[Any], item: object) -> None:
    counter[item] -= 1
    if counter[item] <= 0:
        del counter[item]


EMPTY = NodePods()


class Placement:
    """The active bound pods of the cluster for one decision: ``nodes`` per node name (a
    pod's node need not exist), ``anti_affinity`` the pods among them with required
    anti-affinity terms, ``placed()`` all of them in the cluster's order and
    ``terminating()`` the bound pods being deleted (both built at most once, on demand)."""

    def __init__(
        self,
        nodes: Mapping[str, NodePods],
        *,
        anti_affinity: Iterable[Obj],
        placed: Callable[[], list[Obj]],
        terminating: Callable[[], list[Obj]],
    ) -> None:
        self.nodes = nodes
        self.anti_affinity = list(anti_affinity)
        self._placed = placed
        self._terminating = terminating
        self._placed_list: list[Obj] | None = None

    @classmethod
    def of(cls, placed: list[Obj], *, terminating: Iterable[Obj] = ()) -> Placement:
        """From a list of pods, each counted on its ``spec.nodeName`` as it is."""
        nodes: dict[str, NodePods] = {}
        for i, pod in enumerate(placed):
            nodes.setdefault(pod["spec"]["nodeName"], NodePods()).add(i, pod)
        gone = list(terminating)
        return cls(
            nodes,
            anti_affinity=[p for p in placed if required_anti_affinity(p)],
            placed=lambda: placed,
            terminating=lambda: gone,
        )

    def on(self, node_name: str) -> NodePods:
        return self.nodes.get(node_name, EMPTY)

    def placed(self) -> list[Obj]:
        if self._placed_list is None:
            self._placed_list = self._placed()
        return self._placed_list

    def terminating(self) -> list[Obj]:
        return self._terminating()
