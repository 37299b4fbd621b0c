"""Shared set-up for the controller-loop tests: an in-process Api over a temporary Store,
kind's three nodes as plain Node objects, the loops as asyncio tasks, and `settle`.

No kubelet runs here: tests write pod status (IP, Ready) by hand where a kubelet would.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Callable, Collection
from pathlib import Path
from typing import Any

from kubesim.apiserver.api import Api, WriteOptions
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.certs import ensure_tls
from kubesim.client import timers
from kubesim.cluster.live import Cluster, install
from kubesim.controllermanager.eviction import check_eviction
from kubesim.controllermanager.manager import ControllerManager
from kubesim.core.clock import Clock, VirtualClock, revision_hold
from kubesim.scheduler.loop import Scheduler
from kubesim.store.sqlite import Store

Obj = dict[str, Any]
NODES = ("kubelab-control-plane", "kubelab-worker", "kubelab-worker2")
WORKERS = {"kubelab-worker", "kubelab-worker2"}


class FakeMetrics:
    """metrics-server stand-in: every pod of the namespace uses `cpu` (a quantity)."""

    def __init__(self, api: Api, cpu: str = "0") -> None:
        self.api = api
        self.cpu = cpu

    def pods(self, namespace: str | None) -> list[Obj]:
        pods = self.api.list(self.api.resource("", "v1", "pods"), namespace).objects()
        return [
            {
                "metadata": {
                    "name": p["metadata"]["name"],
                    "namespace": p["metadata"]["namespace"],
                },
                "timestamp": self.api.clock.rfc3339(),
                "window": "15s",
                "containers": [
                    {"name": c["name"], "usage": {"cpu": self.cpu, "memory": "10Mi"}}
                    for c in p["spec"]["containers"]
                ],
            }
            for p in pods
        ]

    def nodes(self) -> list[Obj]:
        return []


def node(name: str, now: str) -> Obj:
    spec: Obj = {}
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    if name.endswith("control-plane"):
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
        labels["node-role.kubernetes.io/control-plane"] = ""
    resources = {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": {
            "capacity": dict(resources),
            "allocatable": dict(resources),
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                }
            ],
        },
    }


class Lab:
    """The Api, the running loops, and small helpers the tests share."""

    def __init__(self, api: Api, metrics: FakeMetrics) -> None:
        self.api = api
        self.metrics = metrics
        self.tasks: list[asyncio.Task[None]] = []

    def res(self, plural: str, group: str = "", version: str = "v1") -> Any:
        return self.api.resource(group, version, plural)

    def create(
        self,
        plural: str,
        obj: Obj,
        *,
        group: str = "",
        version: str = "v1",
        ns: str | None = "default",
    ) -> Obj:
        return self.api.create(self.res(plural, group, version), ns, obj)

    def list(
        self, plural: str, group: str = "", version: str = "v1", ns: str | None = "default"
    ) -> list[Obj]:
        return self.api.list(self.res(plural, group, version), ns).objects()

    def get(
        self,
        plural: str,
        name: str,
        group: str = "",
        version: str = "v1",
        ns: str | None = "default",
    ) -> Obj | None:
        try:
            return self.api.get(self.res(plural, group, version), ns, name)
        except Exception:
            return None

    def events(self, reason: str, ns: str = "default") -> list[Obj]:
        return [e for e in self.list("events", ns=ns) if e.get("reason") == reason]

    def set_pod_ready(
        self, pod: Obj, ip: str, *, ready: bool = True, since: str | None = None
    ) -> None:
        """What a kubelet would write: Running, an IP, and the Ready condition."""
        now = since or self.api.clock.rfc3339()
        body = copy.deepcopy(
            self.api.get(self.res("pods"), pod["metadata"]["namespace"], pod["metadata"]["name"])
        )
        status = "True" if ready else "False"
        body["status"].update(
            phase="Running",
            podIP=ip,
            podIPs=[{"ip": ip}],
            startTime=now,
            conditions=[
                {"type": t, "status": status, "lastProbeTime": None, "lastTransitionTime": now}
                for t in ("Ready", "ContainersReady")
            ]
            + [
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                }
            ],
        )
        self.api.update(
            self.res("pods"),
            body["metadata"]["namespace"],
            body["metadata"]["name"],
            body,
            subresource="status",
            options=WriteOptions(field_manager="kubelet"),
        )


async def settle(check: Callable[[], Any], *, timeout: float = 5.0) -> Any:
    """Poll `check` until it returns something truthy (the loops run meanwhile)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"did not settle within {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running_lab(
    tmp_path: Path,
    *,
    scale: float = 20.0,
    controllers: Collection[str] | None = None,
    scheduler: bool = True,
    nodes: bool = True,
) -> AsyncIterator[Lab]:
    store = Store(tmp_path / "state.db")
    api = Api(store, clock=Clock(scale=scale))
    bootstrap(api)
    api.hooks.eviction_check = check_eviction
    api.hooks.garbage_collector_running = True
    metrics = FakeMetrics(api)
    lab = Lab(api, metrics)
    if nodes:
        for name in NODES:
            api.create(lab.res("nodes"), None, node(name, api.clock.rfc3339()))
    manager = ControllerManager(api, metrics=metrics, controllers=controllers)
    lab.tasks.append(asyncio.create_task(manager.run()))
    if scheduler:
        lab.tasks.append(asyncio.create_task(Scheduler(api).run()))
    try:
        yield lab
    finally:
        for t in lab.tasks:
            t.cancel()
        await asyncio.gather(*lab.tasks, return_exceptions=True)
        store.close()


def deployment(name: str = "web", replicas: int = 3, cpu: str = "100m") -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1.27",
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}},
                        }
                    ]
                },
            },
        },
    }


def pod(name: str, *, labels: dict[str, str] | None = None, cpu: str = "100m") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": name}},
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu}}}
            ]
        },
    }


@contextlib.asynccontextmanager
async def live_cluster(
    tmp_path: Path, *, scale: float, virtual: bool = False
) -> AsyncIterator[tuple[Api, Cluster]]:
    """A whole in-process cluster (kubelets included) as `kubesim serve` wires it, with a CA
    as every kube-apiserver has: pods mount kube-root-ca.crt from it, and wait forever
    without one. `virtual`: on a VirtualClock with its skipper, as `--virtual-time`."""
    store = Store(tmp_path / "state.db")
    clock = VirtualClock(scale=scale) if virtual else Clock(scale=scale)
    api = Api(store, clock=clock, root_ca=ensure_tls(tmp_path / "tls").ca_pem)
    bootstrap(api)
    cl = install(api)
    tasks = [asyncio.create_task(cl.run())]
    if isinstance(clock, VirtualClock):
        clock.add_hold("store", revision_hold(lambda: store.revision))
        tasks.append(asyncio.create_task(timers.run_skipper(clock)))
    await asyncio.sleep(0.1)
    try:
        yield api, cl
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        store.close()
