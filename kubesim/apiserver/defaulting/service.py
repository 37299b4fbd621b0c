"""Service address allocation: cluster IPs from kind's service CIDR and node ports.

Allocation needs state (what is taken), which the API core owns; these functions only
decide, given the taken sets. Like the real allocators (KEP-3070 / KEP-3668) they pick
at random, preferring the upper band of the range so the lower band stays free for
addresses users ask for by hand. kind's defaults: 10.96.0.0/16, 30000-32767;
10.96.0.1 is the `kubernetes` Service and 10.96.0.10 is kube-dns.
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")
NODE_PORT_RANGE = (30000, 32767)
RESERVED_IPS = frozenset({"10.96.0.1", "10.96.0.10"})


class RangeFull(Exception):
    """Every address or port of the range is taken."""


def _band(size: int, *, low: int, high: int) -> int:
    return min(max(low, size // 16), high)


def _pick(offsets: range, taken_offsets: set[int], rng: random.Random) -> int | None:
    free = len(offsets) - len(taken_offsets.intersection(offsets))
    if free <= 0:
        return None
    for _ in range(64):
        candidate = rng.choice(offsets)
        if candidate not in taken_offsets:
            return candidate
    for candidate in offsets:
        if candidate not in taken_offsets:
            return candidate
    return None


def allocate_cluster_ip(taken: set[str], *, rng: random.Random | None = None) -> str:
    """A free IPv4 address of 10.96.0.0/16 (not network, broadcast or a reserved one)."""
    rng = rng or random.Random()
    base = int(SERVICE_CIDR.network_address)
    size = SERVICE_CIDR.num_addresses - 2  # usable hosts: offsets 1..size
    taken_offsets = {int(ipaddress.ip_address(ip)) - base for ip in taken | RESERVED_IPS}
    band = _band(size, low=16, high=256)
    for offsets in (range(band + 1, size + 1), range(1, band + 1)):
        offset = _pick(offsets, taken_offsets, rng)
        if offset is not None:
            return str(ipaddress.ip_address(base + offset))
    raise RangeFull("no cluster IPs left in 10.96.0.0/16; delete some Services")


def allocate_node_port(taken: set[int], *, rng: random.Random | None = None) -> int:
    """A free port of 30000-32767."""
    rng = rng or random.Random()
    low, high = NODE_PORT_RANGE
    size = high - low + 1
    band = _band(size, low=16, high=128)
    taken_offsets = {p - low for p in taken}
    for offsets in (range(band, size), range(0, band)):
        offset = _pick(offsets, taken_offsets, rng)
        if offset is not None:
            return low + offset
    raise RangeFull("no node ports left in 30000-32767; delete some NodePort Services")


def assign_addresses(
    service: dict[str, Any],
    *,
    taken_ips: set[str],
    taken_ports: set[int],
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """Fill clusterIP/clusterIPs and nodePorts the way Service create does; returns the
    same (mutated) dict. Call after `default()`, with the sets of what other Services hold."""
    spec = service.setdefault("spec", {})
    kind = spec.get("type", "ClusterIP")
    if kind == "ExternalName":
        return service
    ip = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
    if not ip:
        ip = allocate_cluster_ip(taken_ips, rng=rng)
    spec["clusterIP"] = ip
    spec["clusterIPs"] = [ip]
    wants_node_ports = kind == "NodePort" or (
        kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True)
    )
    if wants_node_ports:
        used = set(taken_ports)
        for port in spec.get("ports") or []:
            if port.get("nodePort"):
                used.add(port["nodePort"])
        for port in spec.get("ports") or []:
            if not port.get("nodePort"):
                port["nodePort"] = allocate_node_port(used, rng=rng)
                used.add(port["nodePort"])
        local = kind == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"
        if local and not spec.get("healthCheckNodePort"):
            spec["healthCheckNodePort"] = allocate_node_port(used, rng=rng)
    return service
