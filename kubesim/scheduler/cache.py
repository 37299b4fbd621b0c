"""The scheduler's cache: what its decisions need of the pods, kept up to date pod event by
pod event from its informer, as kube-scheduler's internal cache keeps its NodeInfos
(pkg/scheduler/backend/cache).

Per node: the active bound pods and their sums (``NodePods``); across the cluster: the bound
pods with required anti-affinity, the pods this scheduler owes a decision and those of them
nominated to a node by a preemption. One decision then reads the nodes and the pods on them,
never every pod of the cluster (2,000 replicas made every decision scan 2,000 pods, and every
retry of the pending ones scan them again).

The cache is keyed by the pod's namespace and name and forgets a key's old entry before it
records the new one, so it stays right whatever the event (an informer's relist replays every
pod as ADDED or MODIFIED) and whatever the previous object was.
"""

from __future__ import annotations

from collections.abc import Callable

from kubesim.client.informer import Key, key_of
from kubesim.controllers import NodePods, Placement, required_anti_affinity
from kubesim.core.objects import Obj, deleting, phase, pod_active

DEFAULT_SCHEDULER = "default-scheduler"


def pending(pod: Obj, scheduler_name: str = DEFAULT_SCHEDULER) -> bool:
    """Does this scheduler owe `pod` a decision?"""
    spec = pod.get("spec") or {}
    return (
        not spec.get("nodeName")
        and spec.get("schedulerName", DEFAULT_SCHEDULER) == scheduler_name
        and not deleting(pod)
        and not spec.get("schedulingGates")
        and phase(pod) not in ("Succeeded", "Failed")
    )


def _bound_active(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName")) and pod_active(pod)


def _bound_deleting(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName")) and deleting(pod)


class SchedulerCache:
    def __init__(self, scheduler_name: str = DEFAULT_SCHEDULER) -> None:
        self.scheduler_name = scheduler_name
        self.nodes: dict[str, NodePods] = {}  # by node name, whether the node exists or not
        self.anti_affinity: dict[Key, Obj] = {}
        self.pending: dict[Key, Obj] = {}
        self.nominated: dict[Key, Obj] = {}
        self._node_of: dict[Key, str] = {}

    def pod_changed(self, kind: str, pod: Obj, previous: Obj | None = None) -> None:
        """The pod informer's handler (``previous`` is not needed: the cache holds its own)."""
        key = key_of(pod)
        self._forget_bound(key)
        gone = kind == "DELETED"
        if not gone and _bound_active(pod):
            node_name = pod["spec"]["nodeName"]
            node = self.nodes.setdefault(node_name, NodePods())
            node.add(key, pod)
            self._node_of[key] = node_name
            if required_anti_affinity(pod):
                self.anti_affinity[key] = pod
        if not gone and pending(pod, self.scheduler_name):
            self.pending[key] = pod  # a pod already pending keeps its place in the order
            if (pod.get("status") or {}).get("nominatedNodeName"):
                self.nominated[key] = pod
            else:
                self.nominated.pop(key, None)
        else:
            self.pending.pop(key, None)
            self.nominated.pop(key, None)

    def _forget_bound(self, key: Key) -> None:
        node_name = self._node_of.pop(key, None)
        self.anti_affinity.pop(key, None)
        if node_name is None:
            return
        node = self.nodes[node_name]
        node.remove(key)
        if not node.pods:
            del self.nodes[node_name]

    def placement(self, all_pods: Callable[[], list[Obj]]) -> Placement:
        """The cache as one decision reads it; `all_pods` (the informer's pods, in its order)
        is read only by the filters that look across the cluster."""
        return Placement(
            self.nodes,
            anti_affinity=self.anti_affinity.values(),
            placed=lambda: [p for p in all_pods() if _bound_active(p)],
            terminating=lambda: [p for p in all_pods() if _bound_deleting(p)],
        )
