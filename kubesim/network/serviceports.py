"""kube-proxy's view of the API: each Service port, and the endpoints its traffic may reach.

Services, EndpointSlices and Nodes come in as plain API objects (any shape older validation
let in) and leave as `ServicePort`, `ProxyEndpoint` and `ProxyNode`; `targets` then decides,
for one Service port, which endpoints take cluster-wide traffic and which take each node's
local traffic (kube-proxy's ``CategorizeEndpoints`` in ``pkg/proxy/topology.go``, with
"local" decided per node because the fabric is one network namespace for every node).
`nftproxy` turns these decisions into nftables rules; nothing here knows nft.

Bad input never reaches the rules: a Service, port, slice or endpoint that cannot be
programmed (no ports, port 0, an address that is not IPv4, a name nft could not carry) is
skipped here. IPv4 only (kind's default single stack).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ProxyEndpoint",
    "ProxyNode",
    "ServicePort",
    "Targets",
    "endpoints_by_port",
    "ipv4",
    "ipv4_net",
    "read_nodes",
    "service_ports",
    "targets",
]

Obj = dict[str, Any]
PortKey = tuple[str, str, str, str]  # (namespace, service, protocol, port name)

_DEFAULT_AFFINITY_SECONDS = 10800  # v1.DefaultClientIPServiceAffinitySeconds
_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")
_PORT_NAME = re.compile(r"[a-z0-9-]{0,63}")
_PROTOCOLS = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}
_SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass(frozen=True)
class ProxyEndpoint:
    """One address and port of an EndpointSlice, with the conditions kube-proxy weighs."""

    ip: str
    port: int
    node: str
    ready: bool
    serving: bool
    terminating: bool

    @property
    def usable(self) -> bool:
        return self.ready or (self.serving and self.terminating)


@dataclass
class ProxyNode:
    """A node as the fabric tells its clients apart: its pod CIDR and its InternalIPs."""

    name: str
    pod_cidr: ipaddress.IPv4Network | None
    ips: list[str]

    @property
    def sources(self) -> list[str]:
        """What a client on this node sends from: a pod's address, or the node's own."""
        return ([str(self.pod_cidr)] if self.pod_cidr else []) + self.ips


@dataclass
class ServicePort:
    """One port of one Service, with everything about the Service that shapes its rules."""

    namespace: str
    name: str
    port_name: str
    protocol: str
    cluster_ip: str
    port: int
    node_port: int
    external_ips: list[str]
    lb_ips: list[str]
    source_ranges: list[ipaddress.IPv4Network]
    affinity_seconds: int | None
    internal_local: bool
    external_local: bool

    @property
    def externally_accessible(self) -> bool:
        return bool(self.node_port or self.external_ips or self.lb_ips)

    @property
    def uses_cluster(self) -> bool:
        # kube-proxy's UsesClusterEndpoints: the short-circuit rules of an external Local
        # policy need the Cluster endpoints too.
        return not self.internal_local or self.externally_accessible

    @property
    def uses_local(self) -> bool:
        return self.internal_local or self.external_local

    @property
    def label(self) -> str:  # kube-proxy's ServicePortName.String()
        suffix = f":{self.port_name}" if self.port_name else ""
        return f"{self.namespace}/{self.name}{suffix}"


# --- reading plain API objects ---------------------------------------------------------


_DOTTED_QUAD = re.compile(
    r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}"
)


def ipv4(value: Any) -> str | None:
    """The address if it is a canonical dotted-quad IPv4 address (as the API stores them)."""
    return value if isinstance(value, str) and _DOTTED_QUAD.fullmatch(value) else None


def ipv4_net(value: Any) -> ipaddress.IPv4Network | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        return None


def _port(value: Any) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536 else 0
    )


def _condition(conditions: Obj, name: str, *, default: bool) -> bool:
    value = conditions.get(name)
    if value is None:
        return default
    return value is True


def read_nodes(nodes: list[Obj]) -> list[ProxyNode]:
    out: list[ProxyNode] = []
    claimed: list[ipaddress.IPv4Network] = []  # podCIDRs and node IPs never overlap in a vmap

    def claim(net: ipaddress.IPv4Network) -> bool:
        if any(net.overlaps(other) for other in claimed):
            return False
        claimed.append(net)
        return True

    for node in sorted(nodes, key=lambda n: str((n.get("metadata") or {}).get("name"))):
        name = (node.get("metadata") or {}).get("name")
        if (
            not isinstance(name, str)
            or not _NAME.fullmatch(name)
            or any(n.name == name for n in out)
        ):
            continue
        spec, status = node.get("spec") or {}, node.get("status") or {}
        cidr = ipv4_net(spec.get("podCIDR"))
        if cidr is None:
            cidr = next((c for c in map(ipv4_net, spec.get("podCIDRs") or []) if c), None)
        if cidr is not None and not claim(cidr):
            cidr = None
        ips: list[str] = []
        for address in status.get("addresses") or []:
            if isinstance(address, dict) and address.get("type") == "InternalIP":
                ip = ipv4(address.get("address"))
                if ip and claim(ipaddress.IPv4Network(ip)):
                    ips.append(ip)
        out.append(ProxyNode(name, cidr, ips))
    return out


def endpoints_by_port(slices: list[Obj]) -> dict[PortKey, dict[tuple[str, int], ProxyEndpoint]]:
    """(namespace, service, protocol, port name) -> endpoints, from EndpointSlices.

    Service ports meet slice ports by name, as in kube-proxy: a named targetPort is already
    resolved to each pod's number by the EndpointSlice controller."""
    out: dict[PortKey, dict[tuple[str, int], ProxyEndpoint]] = {}
    for eps in slices:
        meta = eps.get("metadata") or {}
        namespace, service = (
            meta.get("namespace"),
            (meta.get("labels") or {}).get(_SERVICE_NAME_LABEL),
        )
        if (
            eps.get("addressType", "IPv4") != "IPv4"
            or not isinstance(namespace, str)
            or not isinstance(service, str)
        ):
            continue
        ports = []
        for port in eps.get("ports") or []:
            if not isinstance(port, dict):
                continue
            name = port.get("name") or ""
            protocol = _PROTOCOLS.get(port.get("protocol") or "TCP")
            if protocol and _port(port.get("port")) and isinstance(name, str):
                ports.append((protocol, name, _port(port.get("port"))))
        for endpoint in eps.get("endpoints") or []:
            if not isinstance(endpoint, dict):
                continue
            ip = ipv4(
                next(iter(endpoint.get("addresses") or []), None)
            )  # kube-proxy uses the first
            if ip is None:
                continue
            conditions = endpoint.get("conditions") or {}
            if not isinstance(conditions, dict):
                conditions = {}
            terminating = _condition(conditions, "terminating", default=False)
            node = endpoint.get("nodeName")
            for protocol, name, number in ports:
                ep = ProxyEndpoint(
                    ip=ip,
                    port=number,
                    node=node if isinstance(node, str) else "",
                    ready=_condition(conditions, "ready", default=True) and not terminating,
                    serving=_condition(conditions, "serving", default=True),
                    terminating=terminating,
                )
                held = out.setdefault((namespace, service, protocol, name), {})
                if (ip, number) not in held or (ep.ready and not held[(ip, number)].ready):
                    held[(ip, number)] = ep
    return out


def service_ports(services: list[Obj]) -> Iterable[ServicePort]:
    def order(svc: Obj) -> tuple[str, str]:
        meta = svc.get("metadata") or {}
        return (str(meta.get("namespace")), str(meta.get("name")))

    for svc in sorted(services, key=order):
        meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
        namespace, name = meta.get("namespace"), meta.get("name")
        if not (
            isinstance(namespace, str)
            and _NAME.fullmatch(namespace)
            and isinstance(name, str)
            and _NAME.fullmatch(name)
        ):
            continue
        kind = spec.get("type") or "ClusterIP"
        cluster_ip = ipv4(spec.get("clusterIP"))
        if kind == "ExternalName" or cluster_ip is None:  # headless ("None"), unallocated, IPv6
            continue
        external_ips = [ip for ip in map(ipv4, spec.get("externalIPs") or []) if ip]
        lb_ips: list[str] = []
        ranges: list[ipaddress.IPv4Network] = []
        if kind == "LoadBalancer":
            ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            lb_ips = [
                ip for ip in (ipv4(i.get("ip")) for i in ingress if isinstance(i, dict)) if ip
            ]
            ranges = [n for n in map(ipv4_net, spec.get("loadBalancerSourceRanges") or []) if n]
        affinity = None
        if spec.get("sessionAffinity") == "ClientIP":
            config = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get(
                "timeoutSeconds"
            )
            ok = isinstance(config, int) and not isinstance(config, bool) and 0 < config <= 86400
            affinity = config if ok else _DEFAULT_AFFINITY_SECONDS
        for port in spec.get("ports") or []:
            if not isinstance(port, dict):
                continue
            protocol = _PROTOCOLS.get(port.get("protocol") or "TCP")
            port_name = port.get("name") or ""
            number = _port(port.get("port"))
            if (
                not protocol
                or not number
                or not isinstance(port_name, str)
                or not _PORT_NAME.fullmatch(port_name)
            ):
                continue
            node_port = _port(port.get("nodePort")) if kind in ("NodePort", "LoadBalancer") else 0
            svc_port = ServicePort(
                namespace=namespace,
                name=name,
                port_name=port_name,
                protocol=protocol,
                cluster_ip=cluster_ip,
                port=number,
                node_port=node_port,
                external_ips=external_ips,
                lb_ips=lb_ips,
                source_ranges=ranges,
                affinity_seconds=affinity,
                internal_local=spec.get("internalTrafficPolicy") == "Local",
                external_local=False,
            )
            svc_port.external_local = (
                svc_port.externally_accessible and spec.get("externalTrafficPolicy") == "Local"
            )
            yield svc_port


# --- which endpoints each Service port uses ---------------------------------------------


@dataclass(frozen=True)
class Targets:
    """Where one Service port's traffic may go.

    `cluster` serves a Cluster traffic policy, `local` maps each node with endpoints of its
    own to them (for a Local policy); both prefer ready endpoints and fall back to serving
    terminating ones, as kube-proxy does."""

    cluster: list[ProxyEndpoint]
    local: dict[str, list[ProxyEndpoint]]
    has_any: bool  # some endpoint is usable: otherwise the port rejects
    has_internal: bool  # in-cluster clients have somewhere to go (on some node, for Local)
    has_external: bool  # so do external clients

    @property
    def reachable(self) -> list[ProxyEndpoint]:
        """Every endpoint some chain sends to, once each, cluster ones first."""
        seen: dict[tuple[str, int], ProxyEndpoint] = {}
        for ep in [*self.cluster, *(e for eps in self.local.values() for e in eps)]:
            seen.setdefault((ep.ip, ep.port), ep)
        return list(seen.values())


def targets(sp: ServicePort, endpoints: list[ProxyEndpoint], *, nodes: list[ProxyNode]) -> Targets:
    """kube-proxy's CategorizeEndpoints for one Service port, with "local" per node."""
    cluster: list[ProxyEndpoint] = []
    if sp.uses_cluster:
        cluster = _preferred(endpoints)
    local: dict[str, list[ProxyEndpoint]] = {}
    if sp.uses_local:
        for node in nodes:
            chosen = _preferred([e for e in endpoints if e.node == node.name])
            if chosen:
                local[node.name] = chosen
    has_any = any(e.usable for e in endpoints)
    return Targets(
        cluster=cluster,
        local=local,
        has_any=has_any,
        has_internal=has_any and (not sp.internal_local or bool(local)),
        has_external=has_any and (not sp.external_local or bool(local)),
    )


def _preferred(endpoints: list[ProxyEndpoint]) -> list[ProxyEndpoint]:
    """The ready endpoints, or else the serving terminating ones."""
    return [e for e in endpoints if e.ready] or [
        e for e in endpoints if e.serving and e.terminating
    ]
