"""The live cluster inside kubesim: nodes, their kubelets, the pod network, metrics.

`install(api)` is called by the server at start-up (through `kubesim.cluster.components`). It
registers the nodes kind would have, plugs the kubelets into the API's hooks (logs, proxy,
metrics, graceful deletion) and adds one background task that runs them all. Controllers and
the scheduler come from `_controller_manager` / `_scheduler_loop` when present.

`Cluster.stop_node` / `start_node` are the "node failure" fault: the node's kubelet stops
(its processes die, as when a machine loses power) and its heartbeats stop; the node
lifecycle controller notices as it would on kind after `docker stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesim.client import timers
from kubesim.cluster import nodes as _nodes
from kubesim.cluster import system as _system
from kubesim.cluster.event_ttl import KIND_EVENT_TTL, EventExpiry
from kubesim.cluster.logs import KubeletLogs
from kubesim.cluster.metrics import Metrics
from kubesim.cluster.streams import KubeletStreams
from kubesim.core.errors import ApiError, Conflict, NotFound
from kubesim.core.objects import deepcopy
from kubesim.kubelet._kubelet import Kubelet, NodeNetwork
from kubesim.kubelet._process import Runtime
from kubesim.network import claim as claim_net_id
from kubesim.network import fabric as _fabric
from kubesim.network.services import ClusterNetwork

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

log = logging.getLogger("kubesim.cluster")
Obj = dict[str, Any]
STATUS_REPORT_SECONDS = 300.0

__all__ = ["Cluster", "install"]


class Cluster:
    def __init__(self, api: Api, state_dir: Path) -> None:
        self.api = api
        self.state_dir = state_dir
        self.runtime = Runtime(state_dir / "kubelet")
        self.net_id = claim_net_id()
        self.specs = {s.name: s for s in _nodes.node_specs()}
        # the cluster network (issue 16) where the container world is on, else the shim
        self.network_reason = _fabric.unavailable_reason(self.runtime.isolation.contained)
        self.fabric = (
            None
            if self.network_reason
            else _fabric.Fabric(node_ips=[s.ip for s in self.specs.values()])
        )
        # started with the fabric: the API server's in-cluster address, the cluster DNS
        self.fabric_listeners: list[Callable[[_fabric.Fabric], Awaitable[None]]] = []
        self.network = ClusterNetwork(
            api, state_dir / "network" / "hosts", net_id=self.net_id.value, fabric=self.fabric
        )
        self.kubelets: dict[str, Kubelet] = {
            name: Kubelet(
                api,
                node=name,
                runtime=self.runtime,
                network=NodeNetwork(
                    spec.index, spec.ip, self.network.hosts_file, self.net_id.value, self.fabric
                ),
            )
            for name, spec in self.specs.items()
        }
        self.metrics = Metrics(api, self.kubelets)
        for name, kubelet in self.kubelets.items():
            kubelet.eviction.on_pressure = lambda name=name: self._pressure_began(name)  # type: ignore[misc]
        self._heartbeats: dict[str, asyncio.Task[None]] = {}
        self._nodes_res = api.resource("", "v1", "nodes")
        self._leases_res = api.resource("coordination.k8s.io", "v1", "leases")

    # -- start-up --------------------------------------------------------------------------

    def register_nodes(self) -> None:
        for spec in self.specs.values():
            self._register(spec)

    def _register(self, spec: _nodes.NodeSpec) -> Obj:
        """The kubelet's registerWithAPIServer: its Node, created unless one exists (a node
        someone deleted while it was down comes back when its kubelet starts)."""
        try:
            return self.api.get(self._nodes_res, None, spec.name)
        except NotFound:
            node = self.api.create(
                self._nodes_res, None, _nodes.node_object(spec, now=self.api.clock.rfc3339())
            )
            self._status_events(node, None, node["status"])
            return node

    def create_system_pods(self) -> None:
        pods = self.api.resource("", "v1", "pods")
        for spec in self.specs.values():
            if spec.role != "control-plane":
                continue
            node = self.api.get(self._nodes_res, None, spec.name)
            for pod in _system.mirror_pods(node):
                with contextlib.suppress(ApiError):
                    self.api.create(pods, "kube-system", pod)

    async def start_fabric(self) -> None:
        """Start the cluster network; if it cannot start, keep the shim and say why."""
        if self.fabric is None:
            return
        try:
            await self.fabric.start()
        except OSError as exc:
            self.network_reason = f"the cluster network did not start: {exc}"
            log.warning("kubesim: %s; pods use the loopback shim", self.network_reason)
            await self.fabric.close()
            return
        for listener in self.fabric_listeners:
            try:
                await listener(self.fabric)
            except OSError:
                log.exception("kubesim: a listener in the cluster network did not start")

    def network_status(self) -> dict[str, str]:
        return _fabric.describe(self.network_reason)

    async def run(self) -> None:
        self.register_nodes()
        _system.create_system_objects(self.api)
        self.create_system_pods()
        for name in self.kubelets:  # the nodes heartbeat while the cluster network starts
            self._heartbeats[name] = asyncio.create_task(self._heartbeat(name))
        await self.start_fabric()
        tasks = [asyncio.create_task(self.network.run()), asyncio.create_task(self.metrics.run())]
        for name in self.kubelets:
            self.start_node(name)
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for name in list(self.kubelets):
                await self.stop_node(name)
            if self.fabric is not None:
                await self.fabric.close()
            self.net_id.release()

    # -- the node fault --------------------------------------------------------------------

    def start_node(self, name: str) -> None:
        """The kubelet starts (with kubesim, or after the node fault): it says so on its
        Node first, then heartbeats; its first status post records the conditions'
        transitions (from Unknown, after the node controller marked it)."""
        kubelet = self.kubelets[name]
        with contextlib.suppress(ApiError):
            node = self._register(self.specs[name])
            for reason, message in _nodes.STARTUP_EVENTS:
                kubelet.recorder.record(node, "Normal", reason, message)
        kubelet.start()
        if name not in self._heartbeats or self._heartbeats[name].done():
            self._heartbeats[name] = asyncio.create_task(self._heartbeat(name))

    async def stop_node(self, name: str) -> None:
        beat = self._heartbeats.pop(name, None)
        if beat is not None:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        await self.kubelets[name].stop()

    def node_running(self, name: str) -> bool:
        return self.kubelets[name].running

    # -- heartbeats ------------------------------------------------------------------------

    async def _heartbeat(self, name: str) -> None:
        """Renew the node's Lease every 10 s and post status when it changed or every 5 min."""
        last_report = 0.0
        was_unschedulable: bool | None = None
        while True:
            with contextlib.suppress(ApiError):
                self._renew_lease(name)
                now = self.api.clock.timestamp()
                node = self.api.get(self._nodes_res, None, name)
                unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
                if was_unschedulable is not None and unschedulable != was_unschedulable:
                    self._schedulable_event(node, unschedulable)
                was_unschedulable = unschedulable
                pressure = self.kubelets[name].eviction.pressure
                if (
                    _nodes.needs_status_update(node, memory_pressure=pressure)
                    or now - last_report >= STATUS_REPORT_SECONDS
                ):
                    self._post_status(node)
                    last_report = now
            await timers.sleep(self.api.clock, _nodes.HEARTBEAT_SECONDS)

    def _schedulable_event(self, node: Obj, unschedulable: bool) -> None:
        """The kubelet reports a cordon or uncordon of its node as an event, as on kind."""
        name = node["metadata"]["name"]
        reason = "NodeNotSchedulable" if unschedulable else "NodeSchedulable"
        recorder = self.kubelets[name].recorder
        recorder.record(node, "Normal", reason, f"Node {name} status is now: {reason}")

    def _renew_lease(self, name: str) -> None:
        node = self.api.get(self._nodes_res, None, name)
        micro = self.api.clock.rfc3339_micro()
        try:
            lease = deepcopy(self.api.get(self._leases_res, "kube-node-lease", name))
        except NotFound:
            self.api.create(
                self._leases_res, "kube-node-lease", _nodes.lease_object(node, now_micro=micro)
            )
            return
        lease["spec"]["renewTime"] = micro
        lease["spec"]["holderIdentity"] = name
        self.api.update(self._leases_res, "kube-node-lease", name, lease)

    def _pressure_began(self, name: str) -> None:
        """The eviction manager met its threshold: post MemoryPressure now."""
        with contextlib.suppress(ApiError):
            self._post_status(self.api.get(self._nodes_res, None, name))

    def _post_status(self, node: Obj) -> None:
        spec = self.specs[node["metadata"]["name"]]
        updated = deepcopy(node)
        updated["status"] = _nodes.node_status(
            spec,
            previous=node.get("status"),
            now=self.api.clock.rfc3339(),
            memory_pressure=self.kubelets[spec.name].eviction.pressure,
        )
        with contextlib.suppress(Conflict):
            self.api.update(self._nodes_res, None, spec.name, updated, subresource="status")
            self._status_events(node, node.get("status"), updated["status"])

    def _status_events(self, node: Obj, previous: Obj | None, current: Obj) -> None:
        name = node["metadata"]["name"]
        recorder = self.kubelets[name].recorder
        for reason in _nodes.condition_events(previous, current):
            recorder.record(node, "Normal", reason, f"Node {name} status is now: {reason}")


def install(api: Api, *, event_ttl: float = KIND_EVENT_TTL) -> Cluster:
    """Plug the cluster into the API (hooks) and schedule it to run with the server;
    events expire `event_ttl` seconds after their last write (`event_ttl`)."""
    path = getattr(api.store, "path", ":memory:")
    state_dir = (
        Path(tempfile.mkdtemp(prefix="kubesim-")) if path == ":memory:" else Path(path).parent
    )
    cluster = Cluster(api, state_dir)
    api.hooks.logs = KubeletLogs(api, cluster.kubelets)
    api.hooks.proxy = cluster.network
    api.hooks.metrics = cluster.metrics
    api.hooks.streams = KubeletStreams(cluster.kubelets)
    api.hooks.kubelet_running = True
    api.cluster = cluster  # type: ignore[attr-defined]  # the admin endpoint finds it here

    async def run(_api: Api) -> None:
        await cluster.run()

    api.hooks.tasks.append(run)
    expiry = EventExpiry(api, ttl=event_ttl)

    async def expire_events(_api: Api) -> None:
        await expiry.run()

    api.hooks.tasks.append(expire_events)
    return cluster
