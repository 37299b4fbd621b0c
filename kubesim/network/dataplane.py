"""The cluster network's data plane in the fabric: kube-proxy, kindnet's policies, CoreDNS.

When the fabric runs (`fabric.py`), Services and NetworkPolicy are kernel rules in it and the
cluster DNS answers on the kube-dns ClusterIP inside it, as on kind:

* every change of a Service, an EndpointSlice or a Node re-renders kube-proxy's nftables
  table (`nftproxy.proxy_ruleset`) and every change of a NetworkPolicy, a Pod or a
  Namespace kindnet's (`netpol.policy_ruleset`); a script that differs from the last one
  applied replaces its table in one `nft -f -` transaction (`Fabric.apply`). The rules stay
  in the kernel when the API server stops, so running pods keep serving.
* the cluster DNS (`dnsserver.ClusterDNS`, CoreDNS's `kubernetes` plugin) serves UDP and TCP
  on 10.96.0.10:53 through sockets made in the fabric. On kind that ClusterIP leads to the
  CoreDNS pods; here kubesim answers on the address itself, so the `kube-dns` Service is left
  out of kube-proxy's table (its endpoints are stand-in pods that do not speak DNS).

A ruleset nft refuses is logged with nft's message, and the previous table stays in force.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import TYPE_CHECKING, Any

from kubesim.client.informer import Informer
from kubesim.network import dnsrecords, netpol, nftproxy
from kubesim.network.dnsserver import ClusterDNS
from kubesim.network.fabric import Fabric, FabricError

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]
log = logging.getLogger("kubesim.network")
DNS_IP = "10.96.0.10"
DNS_PORT = 53
KUBE_DNS = ("kube-system", "kube-dns")


def proxied_services(services: list[Obj]) -> list[Obj]:
    """The Services kube-proxy programs here: all but kube-dns, whose ClusterIP kubesim's
    own DNS server answers on."""
    return [
        s for s in services if (s["metadata"].get("namespace"), s["metadata"]["name"]) != KUBE_DNS
    ]


class DataPlane:
    """Keeps the fabric's nftables tables and the cluster DNS in step with the API."""

    def __init__(
        self, api: Api, fabric: Fabric, services: Informer, *, on_proxy_change: Any = None
    ) -> None:
        self.api = api
        self.on_proxy_change = on_proxy_change  # called when kube-proxy's table comes or goes
        self.fabric = fabric
        self.services = services  # shared with the API server's service proxy
        self.slices = Informer(api, api.resource("discovery.k8s.io", "v1", "endpointslices"))
        self.nodes = Informer(api, api.resource("", "v1", "nodes"))
        self.pods = Informer(api, api.resource("", "v1", "pods"))
        self.namespaces = Informer(api, api.resource("", "v1", "namespaces"))
        self.policies = Informer(api, api.resource("networking.k8s.io", "v1", "networkpolicies"))
        self.dns = ClusterDNS(lambda: self._dns_objects)
        self._dns_objects = dnsrecords.Cluster()
        self._applied: dict[str, str] = {}  # table -> the script in force
        self._proxy_failed = False
        self._dirty = asyncio.Event()
        for informer in (self.slices, self.nodes, self.pods, self.namespaces, self.policies):
            informer.on_change(lambda *_: self._dirty.set())
        services.on_change(lambda *_: self._dirty.set())

    def informers(self) -> list[Informer]:
        return [self.slices, self.nodes, self.pods, self.namespaces, self.policies]

    async def start_dns(self) -> None:
        udp = self.fabric.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind((DNS_IP, DNS_PORT))
            tcp = self.fabric.listening_socket(DNS_IP, DNS_PORT)
        except OSError:
            udp.close()
            raise
        await self.dns.start(udp=udp, tcp=tcp)

    async def run(self) -> None:
        tasks = [asyncio.create_task(i.run()) for i in self.informers()]
        try:
            await self.start_dns()
            while True:
                await self._dirty.wait()
                self._dirty.clear()
                try:
                    await self.sync()
                except Exception:  # the network task must outlive one bad sync
                    log.exception("network: syncing the fabric's rules failed")
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(Exception):
                await self.dns.close()

    async def sync(self) -> None:
        """Each table is computed from the informers as they are when its turn comes, with a
        turn of the loop between them: on a cluster with thousands of pods one whole pass
        would hold the API server's loop for tens of milliseconds."""
        services = self.services.items()
        slices, pods = self.slices.items(), self.pods.items()
        namespaces = self.namespaces.items()
        self._dns_objects = dnsrecords.Cluster(
            services=services, slices=slices, pods=pods, namespaces=namespaces
        )
        await asyncio.sleep(0)
        await self._apply(
            nftproxy.TABLE,
            nftproxy.proxy_ruleset(
                proxied_services(self.services.items()), self.slices.items(), self.nodes.items()
            ),
        )
        await asyncio.sleep(0)
        await self._apply(
            netpol.TABLE,
            netpol.policy_ruleset(
                self.policies.items(), self.pods.items(), self.namespaces.items()
            ),
        )

    async def _apply(self, table: str, script: str) -> None:
        if self._applied.get(table) == script:
            return
        was = self.programmed
        try:
            await self.fabric.apply(script)
        except FabricError as exc:
            log.error("network: the %s table was not replaced: %s", table, exc)
            if table == nftproxy.TABLE:
                self._proxy_failed = True
        else:
            self._applied[table] = script
            if table == nftproxy.TABLE:
                self._proxy_failed = False
        if was != self.programmed and self.on_proxy_change is not None:
            self.on_proxy_change()

    @property
    def programmed(self) -> bool:
        """Whether kube-proxy's table is in force and current (else Services need the
        userspace proxy)."""
        return nftproxy.TABLE in self._applied and not self._proxy_failed
