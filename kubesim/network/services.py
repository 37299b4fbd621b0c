"""kube-proxy and CoreDNS for the simulated cluster, fed from Services and Endpoints.

When the fabric runs, starts its data plane (`dataplane`: kernel rules and the cluster DNS).
Always keeps the DNS hosts file that pod processes resolve service names with, and the userspace
proxy's table (cluster IP:port -> ready endpoints). The API server's service proxy resolves
through the same table, so `kubectl get --raw .../proxy/` and in-pod traffic agree.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesim.apiserver.hooks import Backend
from kubesim.client.informer import Informer
from kubesim.core.errors import ServiceUnavailable, not_found
from kubesim.network import Endpoint, ServiceProxy, dns_records, twin, write_hosts_file
from kubesim.network.dataplane import DataPlane
from kubesim.network.fabric import Fabric

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]
log = logging.getLogger("kubesim.network")


@dataclass(frozen=True)
class PodNetworkBackend(Backend):
    """A backend on the pod network: ``host`` is what kubesim dials (the pod IP through the
    fabric's sockets, made by ``socket_factory``; in process mode its loopback twin),
    ``address`` the pod IP the real API server dials, and so names in its proxy errors."""

    address: str = ""
    socket_factory: Callable[[tuple[Any, ...]], socket.socket] | None = None


def proxy_table(
    services: list[Obj], endpoints: dict[tuple[str, str], Obj]
) -> dict[tuple[str, int], list[Endpoint]]:
    """(cluster IP, port) -> ready endpoints, from Services and their Endpoints objects."""
    table: dict[tuple[str, int], list[Endpoint]] = {}
    for svc in services:
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        if not ip or ip == "None":
            continue
        meta = svc["metadata"]
        ep = endpoints.get((meta["namespace"], meta["name"])) or {}
        for port in spec.get("ports") or []:
            number = port.get("port")
            if not isinstance(number, int) or not 1 <= number <= 65535:
                continue  # validation refuses it; a store written before that still loads
            ready: list[Endpoint] = []
            for subset in ep.get("subsets") or []:
                target = _subset_port(subset, port)
                if target is None:
                    continue
                ready.extend(Endpoint(a["ip"], target) for a in subset.get("addresses") or [])
            table[(ip, number)] = ready
    return table


def _subset_port(subset: Obj, service_port: Obj) -> int | None:
    ports = subset.get("ports") or []
    name = service_port.get("name")
    for port in ports:
        if (port.get("name") or None) == (name or None):
            return _int_or_none(port.get("port"))
    return _int_or_none(ports[0].get("port")) if len(ports) == 1 else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


class ClusterNetwork:
    def __init__(
        self, api: Api, hosts_file: Path, *, net_id: int, fabric: Fabric | None = None
    ) -> None:
        self.api = api
        self.hosts_file = hosts_file
        self.net_id = net_id
        self.fabric = fabric  # the cluster network, once started (else the loopback shim)
        self.proxy = ServiceProxy(net_id=net_id)
        self.dataplane: DataPlane | None = None
        self.services = Informer(api, api.resource("", "v1", "services"))
        self.endpoints = Informer(api, api.resource("", "v1", "endpoints"))
        self._dirty = asyncio.Event()
        self.services.on_change(lambda *_: self._dirty.set())
        self.endpoints.on_change(lambda *_: self._dirty.set())

    async def run(self) -> None:
        tasks = []
        if self.fabric is not None and self.fabric.running:
            # kernel rules and the cluster DNS in the fabric; the userspace proxy listens
            # there only while kube-proxy's table is not in force
            self.proxy = ServiceProxy(net_id=self.net_id, net=self.fabric)
            self.dataplane = DataPlane(
                self.api, self.fabric, self.services, on_proxy_change=self._dirty.set
            )
            tasks.append(asyncio.create_task(self.dataplane.run()))
        self.hosts_file.parent.mkdir(parents=True, exist_ok=True)
        write_hosts_file(self.hosts_file, [])
        tasks += [
            asyncio.create_task(self.services.run()),
            asyncio.create_task(self.endpoints.run()),
        ]
        try:
            while True:
                await self._dirty.wait()
                self._dirty.clear()
                try:
                    await self._sync()
                except Exception:  # the node heartbeats share this task group: never stop them
                    log.exception("network: syncing the service proxy and DNS failed")
        finally:
            for task in tasks:
                task.cancel()
            await self.proxy.close()

    async def _sync(self) -> None:
        services = self.services.items()
        endpoints = dict(self.endpoints.cache)
        write_hosts_file(self.hosts_file, dns_records(services, endpoints))
        kernel = self.dataplane is not None and self.dataplane.programmed
        await self.proxy.sync(proxy_table(services, endpoints), listen=not kernel)

    # -- the API server's service and pod proxy (hooks.proxy) ------------------------------

    async def service(self, namespace: str, name: str, port: str) -> Backend:
        svc = self.services.get(namespace, name)
        if svc is None:
            raise not_found("services", name)
        spec = svc.get("spec") or {}
        ports = spec.get("ports") or []
        chosen = None
        for item in ports:
            if port in ("", str(item.get("port")), item.get("name")):
                chosen = item
                break
        if chosen is None:
            raise ServiceUnavailable(f'no endpoints available for service "{name}"')
        endpoint = self.proxy.pick(spec.get("clusterIP", ""), int(chosen["port"]))
        if endpoint is None:
            raise ServiceUnavailable(f'no endpoints available for service "{name}"')
        return self._backend(endpoint.ip, endpoint.port)

    async def pod(self, namespace: str, name: str, port: str) -> Backend:
        pod = self.api.get(self.api.resource("", "v1", "pods"), namespace, name)
        ip = (pod.get("status") or {}).get("podIP")
        if not ip:
            raise ServiceUnavailable(f'pod "{name}" has no IP address and cannot be proxied')
        number = int(port) if port.isdigit() else None
        if number is None:
            for container in pod["spec"].get("containers", []):
                for p in container.get("ports") or []:
                    if p.get("name") == port or not port:
                        number = int(p["containerPort"])
        if number is None:
            number = 80
        return self._backend(ip, number)

    def _backend(self, ip: str, port: int) -> PodNetworkBackend:
        if self.fabric is not None and self.fabric.running:
            return PodNetworkBackend(
                ip, port, address=ip, socket_factory=self.fabric.socket_factory
            )
        return PodNetworkBackend(twin(ip, self.net_id), port, address=ip)
