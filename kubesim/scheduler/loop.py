"""kube-scheduler as an asyncio task: a queue of pending pods, one decision at a time.

Its own informers (pods, nodes, PodDisruptionBudgets for preemption, claims and persistent
volumes), as the real scheduler is its own process. A pod enters
the queue when it appears unbound (``spec.nodeName`` empty, ``schedulerName`` ours, not
being deleted) or when its spec changes; every pending pod is retried when the cluster
changes in a way that may let it fit (a node added or changed, a bound pod gone) and, failing
that, 10 s later (the pure decision's requeue, the real backoff's ceiling).

Pods are placed one by one and each decision waits until the pod informer has seen the
previous binding, so replicas created together spread: the pure ``schedule`` counts pods
already on each node, as the scheduler's cache (``cache``) holds them per node.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from kubesim.client.actuator import SCHEDULER, Written, apply
from kubesim.client.informer import key_of
from kubesim.client.recorder import EventRecorder
from kubesim.client.workqueue import Caches, Controller
from kubesim.controllers import Storage, schedule_actions
from kubesim.core.objects import labels, phase
from kubesim.scheduler.cache import DEFAULT_SCHEDULER, SchedulerCache, pending

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]
RETRY_BACKOFF_SECONDS = 1.0  # podInitialBackoffDuration


def _scheduling_view(node: Obj) -> tuple[Any, ...]:
    """What of a node the scheduler's filters read: spec (taints, unschedulable), labels,
    allocatable and the conditions' statuses."""
    status = node.get("status") or {}
    conditions = sorted(
        (c.get("type", ""), c.get("status", "")) for c in status.get("conditions") or []
    )
    return (
        node.get("spec") or {},
        (node.get("metadata") or {}).get("labels") or {},
        status.get("allocatable") or {},
        conditions,
    )


class Scheduler:
    def __init__(self, api: Api, *, scheduler_name: str = DEFAULT_SCHEDULER) -> None:
        self.api = api
        self.name = scheduler_name
        self.caches = Caches(
            api,
            (
                ("", "v1", "pods"),
                ("", "v1", "nodes"),
                ("policy", "v1", "poddisruptionbudgets"),
                ("", "v1", "persistentvolumeclaims"),
                ("", "v1", "persistentvolumes"),
            ),
        )
        self.recorder = EventRecorder(api, component=scheduler_name)
        self.controller = Controller("scheduler", self._sync, self.caches)
        self.cache = SchedulerCache(scheduler_name)
        self.caches.informer("", "pods").on_change(self.cache.pod_changed)  # first: the
        self.caches.informer("", "pods").on_change(self._pod_changed)  # handlers read it
        self.caches.informer("", "nodes").on_change(self._node_changed)

    def _pod_changed(self, kind: str, pod: Obj, previous: Obj | None) -> None:
        finished = phase(pod) in ("Succeeded", "Failed") and (
            previous is None or phase(previous) not in ("Succeeded", "Failed")
        )
        if kind == "DELETED" or finished:
            if (pod.get("spec") or {}).get("nodeName"):
                self._retry_all()  # its resources are free again
            return
        if not pending(pod, self.name):
            return
        if (
            previous is None
            or (previous.get("spec") or {}) != (pod.get("spec") or {})
            or labels(previous) != labels(pod)
        ):
            self.controller.enqueue(key_of(pod))

    def _node_changed(self, kind: str, node: Obj, previous: Obj | None) -> None:
        """A node event moves the unschedulable pods back only when it may help them
        (nodeSchedulingPropertiesChange): not a heartbeat that changes nothing they need."""
        if (
            previous is None
            or kind == "DELETED"
            or _scheduling_view(node) != _scheduling_view(previous)
        ):
            self._retry_all()

    def _retry_all(self) -> None:
        """MoveAllToActiveOrBackoffQueue: the pending pods are tried again after the initial
        back-off, so a burst of events (a node's pods deleted one by one) makes one pass
        over them, not one per event."""
        wait = RETRY_BACKOFF_SECONDS  # cluster seconds, as add_after counts
        for pod in list(self.cache.pending.values()):
            if pending(pod, self.name):
                self.controller.queue.add_after(key_of(pod), wait)

    def _sync(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        pod = self.caches.get("", "pods", ns, name)
        if pod is None or not pending(pod, self.name):
            return [], None
        nodes = self.caches.items("", "nodes")
        storage = Storage(
            claims={
                (str(c["metadata"].get("namespace")), c["metadata"]["name"]): c
                for c in self.caches.items("", "persistentvolumeclaims")
            },
            volumes={v["metadata"]["name"]: v for v in self.caches.items("", "persistentvolumes")},
        )
        decision = schedule_actions(
            pod,
            nodes,
            self.cache.placement(lambda: self.caches.items("", "pods")),
            now=self.api.clock.now(),
            pdbs=self.caches.items("policy", "poddisruptionbudgets"),
            nominated=list(self.cache.nominated.values()),
            storage=storage,
        )
        written = apply(self.api, decision.actions, self.recorder, field_manager=SCHEDULER)
        return written, decision.requeue_after

    async def run(self) -> None:
        informers = asyncio.create_task(self.caches.run(), name="scheduler-informers")
        try:
            await self.caches.synced()
            await self.controller.run()
        finally:
            informers.cancel()
            await asyncio.gather(informers, return_exceptions=True)


async def run_scheduler(api: Api) -> None:
    """Run the default scheduler until cancelled."""
    await Scheduler(api).run()
