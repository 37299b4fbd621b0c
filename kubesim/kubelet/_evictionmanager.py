"""The eviction manager's loop (pkg/kubelet/eviction/eviction_manager.go `synchronize`): every
10 s it measures the node's memory, records `EvictionThresholdMet` on the Node while the hard
threshold is met, and evicts the first pod of the ranking (`_eviction` decides; this acts).

`outside_pods` is memory held on the node by processes that are no pod's (the
`node-memory-pressure` fault's filler): the node's working set counts it, as a kind node's
root cgroup counts a process started with `docker exec`, and no eviction frees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubesim.client import timers
from kubesim.core.clusterconfig import cluster_config
from kubesim.core.errors import ApiError
from kubesim.kubelet import _eviction
from kubesim.kubelet._quantity import memory_bytes

if TYPE_CHECKING:
    from kubesim.kubelet._kubelet import Kubelet

log = logging.getLogger("kubesim.kubelet.eviction")
FILL_LEAVES = 60 * 1024 * 1024  # the fault leaves 60Mi: below the 100Mi hard threshold
Obj = dict[str, Any]


class EvictionManager:
    def __init__(self, kubelet: Kubelet) -> None:
        self.kubelet = kubelet
        self.capacity = memory_bytes(cluster_config()["capacity"]["memory"])
        self.outside_pods = 0  # bytes held on the node outside any pod (a fault's process)
        self.last_met: float | None = None  # cluster seconds the threshold was last met
        self.available = self.capacity
        # the node status setter, called when pressure begins (kubesim posts it at once, so
        # the taint is there before the evicted pod's replacement is scheduled; a kind
        # kubelet posts it at its next 10 s update)
        self.on_pressure: Callable[[], None] | None = None

    # -- observations ----------------------------------------------------------------------

    def candidates(self) -> list[_eviction.Candidate]:
        """The active pods this kubelet runs, with each container's working set."""
        out = []
        for worker in self.kubelet.workers.values():
            if worker.evicting or worker.terminating.is_set():
                continue
            usage: dict[str, int] = {}
            for name, running in worker.running.items():
                measured = running.memory_bytes()
                if measured is not None:
                    usage[name] = measured
            out.append(_eviction.Candidate(worker.pod, usage))
        return out

    def working_set(self, candidates: list[_eviction.Candidate]) -> int:
        pods = sum(c.total for c in candidates)
        return _eviction.NODE_SYSTEM_MEMORY + self.outside_pods + pods

    @property
    def pressure(self) -> bool:
        """MemoryPressure as the kubelet reports it now."""
        return _eviction.under_pressure(self.kubelet.api.clock.timestamp(), self.last_met)

    # -- the node-memory-pressure fault ---------------------------------------------------

    def fill(self, leave: int = FILL_LEAVES) -> int:
        """A process outside the pods takes all but `leave` bytes of what is available now
        (on kind: `head -c N /dev/zero | tail` in the node container); returns N."""
        taken = self.available_now() - leave
        self.outside_pods += max(0, taken)
        return max(0, taken)

    def free(self) -> None:
        """That process ends; the condition clears after the transition period."""
        self.outside_pods = 0

    def available_now(self) -> int:
        return _eviction.memory_available(self.capacity, self.working_set(self.candidates()))

    # -- the loop --------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            try:
                await self.synchronize()
            except asyncio.CancelledError:
                raise
            except Exception:  # a kubelet bug must not take the node down
                log.exception("eviction manager on %s failed", self.kubelet.node)
            await timers.sleep(self.kubelet.api.clock, _eviction.MONITORING_INTERVAL)

    async def synchronize(self) -> None:
        """One pass: observe, and while the threshold is met evict one pod."""
        candidates = self.candidates()
        self.available = _eviction.memory_available(self.capacity, self.working_set(candidates))
        if not _eviction.threshold_met(self.available):
            return
        began = not self.pressure
        self.last_met = self.kubelet.api.clock.timestamp()
        if began and self.on_pressure is not None:
            self.on_pressure()
        self._node_event()
        ranked = _eviction.rank(candidates)
        if not ranked:
            return
        victim = ranked[0]
        worker = self.kubelet.workers.get(victim.pod["metadata"]["uid"])
        if worker is not None:
            await worker.evict(_eviction.message(victim, available=self.available))

    def _node_event(self) -> None:
        api = self.kubelet.api
        with contextlib.suppress(ApiError):
            node = api.get(api.resource("", "v1", "nodes"), None, self.kubelet.node)
            self.kubelet.recorder.record(
                node, "Warning", "EvictionThresholdMet", "Attempting to reclaim memory"
            )
