"""The cluster DNS's records: CoreDNS's `kubernetes` plugin's backend, from plain objects.

kind deploys CoreDNS with kubeadm's Corefile, whose cluster part is

    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    forward . /etc/resolv.conf
    loadbalance

`Records.build` indexes one snapshot of the API objects (Services, discovery.k8s.io/v1
EndpointSlices, Namespaces) and `Records.hits` finds what a name in `cluster.local` stands
for, exactly as the plugin's code does (coredns/coredns: plugin/kubernetes/kubernetes.go
`Records`, `findServices`, `findPods`; parse.go `parseRequest`; reverse.go;
object/endpoint.go), following the Kubernetes DNS-Based Service Discovery spec 1.1.0:

* `svc.ns.svc.cluster.local`: the ClusterIP; a headless Service: each ready endpoint (none
  ready: the name does not exist, as in CoreDNS); an ExternalName Service: its target.
* `host.svc.ns.svc.cluster.local`: an endpoint by its hostname (a StatefulSet's pods), or by
  its dashed IP (`10-244-1-5.svc.ns...`) when it has none.
* `_port._proto.svc.ns.svc.cluster.local`: a named port (SRV); headless: one per endpoint.
* `1-2-3-4.ns.pod.cluster.local`: `pods insecure` echoes the address without looking for
  the pod (the namespace must exist).
* reverse: a ClusterIP names its Service, an endpoint's address its endpoint name.

`dnsanswer` turns hits into DNS replies (the plugin's handler and backend_lookup.go).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dns.name
import dns.rdatatype

CLUSTER_DOMAIN = "cluster.local"
TTL = 30  # kubeadm's Corefile, which kind ships: `ttl 30` (the plugin's default is 5)
DNS_SCHEMA_VERSION = "1.1.0"  # the `dns-version` TXT record; CoreDNS gives it TTL 28800
DNS_IP = "10.96.0.10"  # kube-dns's ClusterIP in kind
SERVICE_NAME = "kubernetes.io/service-name"

CLUSTER_ZONE = dns.name.from_text(CLUSTER_DOMAIN)
ZONES = (CLUSTER_ZONE, dns.name.from_text("in-addr.arpa"), dns.name.from_text("ip6.arpa"))

Obj = dict[str, Any]


class NotFound(Exception):
    """CoreDNS's errNoItems / errNsNotExposed / errInvalidRequest: the name does not exist."""


@dataclass(frozen=True)
class Cluster:
    """The objects the DNS answers from, as the API returns them (plain dicts).

    `namespaces` are Namespace objects; CoreDNS answers only inside namespaces that exist.
    None means "not listed": then the namespaces that hold a Service, an EndpointSlice or a
    Pod, plus `default` and `kube-system`, count as existing.
    """

    services: Sequence[Obj] = ()
    slices: Sequence[Obj] = ()
    pods: Sequence[Obj] = ()
    namespaces: Sequence[Obj] | None = None


@dataclass(frozen=True)
class _Address:
    ip: str
    hostname: str  # the endpoint's name: its hostname, else its dashed IP


@dataclass(frozen=True)
class _Port:
    port: int  # -1 when the slice lists no ports (CoreDNS's sentinel)
    name: str
    protocol: str


@dataclass(frozen=True)
class _Endpoints:
    """One EndpointSlice's ready addresses, as CoreDNS keeps it (object/endpoint.go)."""

    addresses: tuple[_Address, ...]
    ports: tuple[_Port, ...]


@dataclass(frozen=True)
class Hit:
    """One msg.Service of CoreDNS: a host (an IP, or a name for a CNAME) at a domain."""

    host: str
    port: int
    domain: str  # where the host lives: the SRV target (`svc.ns.svc.cluster.local.`)
    ttl: int


@dataclass
class Records:
    """An index of one snapshot of the cluster's objects, answering as CoreDNS does."""

    services: dict[tuple[str, str], Obj] = field(default_factory=dict)
    endpoints: dict[tuple[str, str], list[_Endpoints]] = field(default_factory=dict)
    by_cluster_ip: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_endpoint_ip: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    namespaces: frozenset[str] = frozenset()
    serial: int = 0
    ttl: int = TTL

    @classmethod
    def build(cls, cluster: Cluster, *, serial: int = 0, ttl: int = TTL) -> Records:
        """Index `cluster`; `serial` is the SOA serial (CoreDNS: when the objects last changed)."""
        records = cls(serial=serial & 0xFFFFFFFF, ttl=ttl)
        for svc in cluster.services:
            meta = svc.get("metadata") or {}
            key = (str(meta.get("namespace", "")).lower(), str(meta.get("name", "")).lower())
            records.services[key] = svc
            spec = svc.get("spec") or {}
            for ip in _cluster_ips(spec):
                records.by_cluster_ip.setdefault(ip, (key[1], key[0]))
        grouped: dict[tuple[str, str], list[_Endpoints]] = defaultdict(list)
        for slice_ in cluster.slices:
            meta = slice_.get("metadata") or {}
            service = (meta.get("labels") or {}).get(SERVICE_NAME)
            if not service:
                continue
            key = (str(meta.get("namespace", "")).lower(), str(service).lower())
            try:
                eps = _endpoints_of(slice_)
            except (TypeError, ValueError, AttributeError):
                continue  # a slice the API would have refused: it must not take the rest down
            grouped[key].append(eps)
            for address in eps.addresses:
                records.by_endpoint_ip.setdefault(address.ip, []).append(
                    (address.hostname, str(service), str(meta.get("namespace", "")))
                )
        records.endpoints = dict(grouped)
        if cluster.namespaces is not None:
            names = {str((ns.get("metadata") or {}).get("name", "")) for ns in cluster.namespaces}
        else:
            names = {"default", "kube-system"}
            for obj in [*cluster.services, *cluster.slices, *cluster.pods]:
                names.add(str((obj.get("metadata") or {}).get("namespace", "")))
        records.namespaces = frozenset(n.lower() for n in names if n)
        return records

    # -- the plugin's Records / findServices / findPods ------------------------------------

    def hits(self, labels: list[str], zone: dns.name.Name, qtype: int) -> list[Hit]:
        """kubernetes.go `Services`: the hits for a name (labels below the zone, lowercase)."""
        if qtype == dns.rdatatype.TXT:
            if labels == ["dns-version"]:
                return [Hit(DNS_SCHEMA_VERSION, 0, "", ttl=28800)]
            return []  # CoreDNS: any other TXT is NODATA, even for a name that does not exist
        if labels == ["ns", "dns"]:  # `ns.dns.cluster.local`: the DNS service's own address
            return [
                Hit(ip, 0, f"ns.dns.{CLUSTER_DOMAIN}.", self.ttl) for ip, _ in self.ns_addresses()
            ]
        found = self._records(labels, zone)
        if qtype == dns.rdatatype.SRV:  # "SRV for external services is not yet implemented"
            found = [h for h in found if parse_ip(h.host) is not None]
        return found

    def _records(self, labels: list[str], zone: dns.name.Name) -> list[Hit]:
        if zone != CLUSTER_ZONE:
            raise NotFound  # a forward name in a reverse zone: parse fails
        request = _parse(labels)
        if request is None:
            return []  # the apex, `svc` or `pod`: NODATA
        kind, namespace, service, endpoint, port, protocol = request
        if namespace not in self.namespaces:
            raise NotFound
        if not service:
            return []  # `ns.svc.cluster.local`: NODATA for an existing namespace
        if kind == "pod":
            return self._pod(namespace, service)
        return self._services(namespace, service, endpoint, port, protocol)

    def _pod(self, namespace: str, podname: str) -> list[Hit]:
        """`pods insecure`: the dashed address is echoed without looking for the pod."""
        if podname.count("-") == 3 and "--" not in podname:
            text = podname.replace("-", ".")
        else:
            text = podname.replace("-", ":")
        if parse_ip(text) is None:
            raise NotFound
        return [Hit(text, 0, f"{podname}.{namespace}.pod.{CLUSTER_DOMAIN}.", self.ttl)]

    def _services(
        self, namespace: str, name: str, endpoint: str, port: str, protocol: str
    ) -> list[Hit]:
        svc = self.services.get((namespace, name))
        if svc is None:
            raise NotFound
        meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
        domain = f"{meta.get('name')}.{meta.get('namespace')}.svc.{CLUSTER_DOMAIN}."
        found: list[Hit] = []
        matched = False
        if spec.get("type") == "ExternalName":
            target = str(spec.get("externalName") or "")
            if endpoint or not target or parse_ip(target) is not None:
                raise NotFound  # an IP is no CNAME target: CoreDNS skips it
            return [Hit(target, -1, domain, self.ttl)]
        if spec.get("clusterIP") == "None" or endpoint:
            for eps in self.endpoints.get((namespace, name), []):
                for address in eps.addresses:
                    if endpoint and endpoint != address.hostname.lower():
                        continue
                    for p in eps.ports:
                        if not _port_matches(port, p.name, protocol, p.protocol):
                            continue
                        matched = True
                        found.append(
                            Hit(address.ip, p.port, f"{address.hostname}.{domain}", self.ttl)
                        )
        else:
            for p in spec.get("ports") or []:
                if not _port_matches(
                    port, str(p.get("name") or ""), protocol, str(p.get("protocol") or "TCP")
                ):
                    continue
                matched = True
                for ip in _cluster_ips(spec):
                    found.append(Hit(ip, int(p.get("port") or 0), domain, self.ttl))
        if not matched:
            raise NotFound
        return found

    # -- reverse.go ------------------------------------------------------------------------

    def reverse(self, ip: str) -> list[str]:
        """PTR targets for an address: its Service if a ClusterIP, else its endpoints."""
        if ip in self.by_cluster_ip:
            name, namespace = self.by_cluster_ip[ip]
            return [f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}."]
        return [
            f"{host}.{service}.{namespace}.svc.{CLUSTER_DOMAIN}."
            for host, service, namespace in self.by_endpoint_ip.get(ip, [])
        ]

    def ns_addresses(self) -> list[tuple[str, str]]:
        """ns.go `nsAddrs`: (address, name) of the DNS Service serving the zone."""
        svc = self.services.get(("kube-system", "kube-dns"))
        ips = _cluster_ips((svc or {}).get("spec") or {})
        if ips:
            return [(ip, f"kube-dns.kube-system.svc.{CLUSTER_DOMAIN}.") for ip in ips]
        return [(DNS_IP, f"ns.dns.{CLUSTER_DOMAIN}.")]


# -- helpers ----------------------------------------------------------------------------------


def _parse(labels: list[str]) -> tuple[str, str, str, str, str, str] | None:
    """parse.go `parseRequest` (no multicluster): (pod|svc, namespace, service, endpoint,
    port, protocol) from the labels below the zone; None for the apex, `svc` and `pod`."""
    if not labels or labels in (["svc"], ["pod"]):
        return None
    *rest, kind = labels
    if kind not in ("svc", "pod"):
        raise NotFound
    namespace = rest.pop() if rest else ""
    service = rest.pop() if rest else ""
    endpoint = port = protocol = ""
    if len(rest) == 1:
        endpoint = rest[0]
    elif len(rest) == 2:
        port, protocol = rest[0].removeprefix("_"), rest[1].removeprefix("_")
    elif len(rest) > 2:
        raise NotFound
    return kind, namespace, service, endpoint, port, protocol


def _port_matches(want_port: str, port: str, want_protocol: str, protocol: str) -> bool:
    return (not want_port or want_port == port.lower()) and (
        not want_protocol or want_protocol == protocol.lower()
    )


def _endpoints_of(slice_: Obj) -> _Endpoints:
    """object/endpoint.go `EndpointSliceToEndpoints`: ready (or unknown) endpoints only."""
    ports = tuple(
        _Port(
            int(p["port"]) if p.get("port") is not None else -1,
            str(p.get("name") or ""),
            str(p.get("protocol") or ""),
        )
        for p in slice_.get("ports") or []
    ) or (_Port(-1, "", ""),)
    addresses = []
    for ep in slice_.get("endpoints") or []:
        if (ep.get("conditions") or {}).get("ready") is False:
            continue
        for ip in ep.get("addresses") or []:
            host = ep.get("hostname") or str(ip).replace(".", "-").replace(":", "-")
            addresses.append(_Address(str(ip), str(host)))
    return _Endpoints(tuple(addresses), ports)


def _cluster_ips(spec: Obj) -> list[str]:
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [str(ip) for ip in ips if ip and ip != "None"]


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
