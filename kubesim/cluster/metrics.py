"""metrics.k8s.io from the kubelets' real measurements, as metrics-server serves them.

metrics-server scrapes each kubelet's resource endpoint every 15 s and reports CPU as the
rate between two scrapes (nanocores) and memory as the working set. Here a sampler reads
every running container's CPU seconds and memory (cgroup or /proc) on the same cadence, so
`kubectl top` and the HPA see the load the processes really carry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesim.client import timers
from kubesim.kubelet._eviction import NODE_SYSTEM_MEMORY

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api
    from kubesim.kubelet._kubelet import Kubelet

Obj = dict[str, Any]
SCRAPE_SECONDS = 15.0
NODE_BASE_MEMORY = NODE_SYSTEM_MEMORY  # what a kind node's system processes hold, roughly
NODE_BASE_CPU = 0.05  # cores
MIN_RATE_WINDOW = 0.5  # real seconds a CPU rate is measured over, at least


@dataclass
class Sample:
    at: float  # cluster seconds
    real: float  # time.monotonic(): CPU seconds are real seconds, so rates divide by these
    cpu_seconds: float
    memory: int


@dataclass
class Usage:
    cpu_nanocores: int
    memory: int
    window: float
    timestamp: str


class Metrics:
    def __init__(self, api: Api, kubelets: dict[str, Kubelet]) -> None:
        self.api = api
        self.kubelets = kubelets
        self._last: dict[tuple[str, str], Sample] = {}
        self._usage: dict[tuple[str, str], Usage] = {}  # (pod uid, container)

    async def run(self) -> None:
        while True:
            self.scrape()
            await timers.sleep(self.api.clock, SCRAPE_SECONDS)

    def scrape(self) -> None:
        now = self.api.clock.timestamp()
        real = time.monotonic()
        stamp = self.api.clock.rfc3339()
        alive: set[tuple[str, str]] = set()
        for kubelet in self.kubelets.values():
            if not kubelet.running:
                continue
            for uid, worker in kubelet.workers.items():
                for name, running in worker.running.items():
                    key = (uid, name)
                    previous = self._last.get(key)
                    if previous is not None and real - previous.real < MIN_RATE_WINDOW:
                        # cluster time jumped to this scrape: too short a real window for
                        # a rate (CPU time counts in ticks); keep the rate, renew memory
                        memory = running.memory_bytes()
                        if memory is None:
                            continue
                        alive.add(key)
                        held = self._usage.get(key)
                        if held is not None:
                            held.memory = memory
                        continue
                    usage = running.usage()
                    if usage is None:
                        continue
                    alive.add(key)
                    self._last[key] = Sample(now, real, usage.cpu_seconds, usage.memory_bytes)
                    if previous is None or now <= previous.at:
                        continue
                    # a rate of real work over real time: cluster time runs `scale` times
                    # faster, and a virtual clock jumps, but CPU seconds do neither
                    rate = max(0.0, usage.cpu_seconds - previous.cpu_seconds) / (
                        real - previous.real
                    )
                    self._usage[key] = Usage(
                        int(rate * 1e9), usage.memory_bytes, now - previous.at, stamp
                    )
        for key in set(self._last) - alive:
            self._last.pop(key, None)
            self._usage.pop(key, None)

    def _pod_items(self, namespace: str | None) -> list[Obj]:
        items = []
        for kubelet in self.kubelets.values():
            if not kubelet.running:
                continue
            for uid, worker in kubelet.workers.items():
                meta = worker.pod["metadata"]
                if namespace and meta["namespace"] != namespace:
                    continue
                containers = []
                stamp, window = "", 0.0
                for name in worker.running:
                    usage = self._usage.get((uid, name))
                    if usage is None:
                        continue
                    stamp, window = usage.timestamp, usage.window
                    containers.append(
                        {
                            "name": name,
                            "usage": {
                                "cpu": f"{usage.cpu_nanocores}n",
                                "memory": f"{usage.memory // 1024}Ki",
                            },
                        }
                    )
                if not containers:
                    continue
                items.append(
                    {
                        "kind": "PodMetrics",
                        "apiVersion": "metrics.k8s.io/v1beta1",
                        "metadata": {
                            "name": meta["name"],
                            "namespace": meta["namespace"],
                            "creationTimestamp": self.api.clock.rfc3339(),
                            "labels": dict(meta.get("labels") or {}),
                        },
                        "timestamp": stamp,
                        "window": f"{window:.3f}s",
                        "containers": containers,
                    }
                )
        return items

    def pods(self, namespace: str | None) -> list[Obj]:
        return self._pod_items(namespace)

    def nodes(self) -> list[Obj]:
        items = []
        stamp = self.api.clock.rfc3339()
        for name, kubelet in self.kubelets.items():
            if not kubelet.running:
                continue
            cpu = NODE_BASE_CPU * 1e9
            memory = NODE_BASE_MEMORY + kubelet.eviction.outside_pods
            for uid, worker in kubelet.workers.items():
                for cname in worker.running:
                    usage = self._usage.get((uid, cname))
                    if usage is not None:
                        cpu += usage.cpu_nanocores
                        memory += usage.memory
            items.append(
                {
                    "kind": "NodeMetrics",
                    "apiVersion": "metrics.k8s.io/v1beta1",
                    "metadata": {"name": name, "creationTimestamp": stamp, "labels": {}},
                    "timestamp": stamp,
                    "window": "20.05s",
                    "usage": {"cpu": f"{int(cpu)}n", "memory": f"{memory // 1024}Ki"},
                }
            )
        return items
