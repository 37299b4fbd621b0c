"""kube-proxy's nftables mode as a pure function: Services, EndpointSlices and Nodes in, one
`nft -f -` script out that redefines table ``ip kubesim-proxy`` in the fabric netns.

Modelled on kube-proxy's ``pkg/proxy/nftables/proxier.go`` (1.37) and its README: the same
base chains (``filter-*`` at dstnat-10, ``nat-prerouting``/``nat-output`` at dstnat,
``nat-postrouting`` at srcnat), the same dispatch maps (``service-ips`` keyed by
``ip . proto . port``, ``service-nodeports`` keyed by ``proto . port`` behind the
``nodeport-ips`` set), the same per-service-port chains named ``service-``, ``local-``,
``external-``, ``endpoint-`` and ``firewall-`` plus a base of ``HASH-ns/svc/proto/port``
(sha256, base32, 8 characters, exactly as kube-proxy names them), ``numgen random mod N``
load balancing, ``reject`` for a Service with no endpoints, the ``mark-for-masquerade`` bit
(0x4000) for hairpin, off-cluster and NodePort traffic, and per-endpoint ``affinity-`` sets
with a timeout for ``sessionAffinity: ClientIP``. Which endpoints each Service port may
reach is decided in `serviceports` (kube-proxy's CategorizeEndpoints); this module names
the chains and writes the rules.

Where kubesim differs, and why:

* **One netns for every node.** kube-proxy runs on each node and knows which node it is on.
  The fabric is one network namespace holding every node's InternalIP and routing every
  pod's traffic, so "local" is decided per packet: for ``internalTrafficPolicy: Local`` the
  client's node is the node whose ``spec.podCIDR`` holds the source address (or whose
  InternalIP it is, for hostNetwork pods and the fabric itself); for
  ``externalTrafficPolicy: Local`` the node is the one whose InternalIP was addressed (the
  NodePort's node). ``local-HASH-ns/svc/proto/port`` dispatches on that; each node with local
  endpoints gets its own ``local-HASH-ns/svc/proto/port__node/NAME`` chain. A client on a
  node without local endpoints is dropped, as kube-proxy drops it on that node.
* **The table is replaced whole** (``table`` + ``delete table`` + the new table, one
  transaction), so ClientIP affinity entries start afresh after each apply; established
  connections keep their conntrack NAT.
* The cluster DNS is kubesim's own server on sockets bound at kube-dns's ClusterIP in the
  fabric (``served_by_fabric``), so that address is left alone rather than proxied.
* IPv4 only (kind's default single stack); topology hints are not used (kind has no zones).

The fabric must route the Service CIDR into itself (for example ``ip route add
10.96.0.0/16 dev kind0``; kind0 can be a bridge without ports where the kernel has no dummy
driver): without a route, traffic to a ClusterIP with no endpoints fails routing before the
``reject`` here can answer it. tests/kubesim/network/_fabric_lab.py builds such a fabric.

Bad input never makes the script invalid: `serviceports` skips what nft could not carry,
and the first of two Services claiming the same IP, port or NodePort keeps it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubesim.network.serviceports import (
    ProxyEndpoint,
    ProxyNode,
    ServicePort,
    endpoints_by_port,
    ipv4,
    ipv4_net,
    read_nodes,
    service_ports,
    targets,
)

__all__ = ["TABLE", "chain_name_base", "endpoint_chain_name_base", "proxy_ruleset"]

TABLE = "kubesim-proxy"

Obj = dict[str, Any]

# nft's NFT_NAME_MAXLEN, and kube-proxy's room for its longest prefix ("endpoint-").
_NAME_MAX = 256
_NAME_BASE_MAX = _NAME_MAX - 16

# base chains: (name, type, hook, priority); dstnat is -100 and srcnat 100. Numbers, not
# names: nft 1.0.6 (Debian 12) refuses "dstnat" on the filter forward and input hooks.
_BASE_CHAINS = (
    ("filter-prerouting", "filter", "prerouting", -110),
    ("filter-input", "filter", "input", -110),
    ("filter-forward", "filter", "forward", -110),
    ("filter-output", "filter", "output", -110),
    ("filter-output-post-dnat", "filter", "output", -90),
    ("nat-prerouting", "nat", "prerouting", -100),
    ("nat-output", "nat", "output", -100),
    ("nat-postrouting", "nat", "postrouting", 100),
)
_JUMPS = (
    ("filter-input", "ct state new jump nodeport-endpoints-check"),
    ("filter-input", "ct state new jump service-endpoints-check"),
    ("filter-forward", "ct state new jump service-endpoints-check"),
    ("filter-output", "ct state new jump service-endpoints-check"),
    ("filter-prerouting", "ct state new jump firewall-check"),
    ("filter-output", "ct state new jump firewall-check"),
    ("nat-output", "jump services"),
    ("nat-prerouting", "jump services"),
    ("nat-postrouting", "jump masquerading"),
    ("filter-forward", "ct state new jump cluster-ips-check"),
    ("filter-output-post-dnat", "ct state new jump cluster-ips-check"),
)


@functools.lru_cache(maxsize=65536)
def _hash_and_truncate(name: str) -> str:
    # the first 8 base32 characters encode exactly the first 5 bytes of the digest
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()[:5]).decode()
    name = f"{digest}-{name}"
    if len(name) > _NAME_BASE_MAX:
        name = name[: _NAME_BASE_MAX - 3] + "..."
    return name


def chain_name_base(namespace: str, name: str, protocol: str, port_name: str) -> str:
    """``HASH-ns/svc/proto/port``, kube-proxy's servicePortChainNameBase."""
    return _hash_and_truncate(f"{namespace}/{name}/{protocol}/{port_name}")


def endpoint_chain_name_base(
    namespace: str, name: str, protocol: str, port_name: str, *, ip: str, port: int
) -> str:
    """``HASH-ns/svc/proto/port__ip/port``, kube-proxy's servicePortEndpointChainNameBase."""
    return _hash_and_truncate(f"{namespace}/{name}/{protocol}/{port_name}__{ip}/{port}")


@dataclass
class _Table:
    sets: list[str] = field(default_factory=list)
    maps: list[str] = field(default_factory=list)
    chains: dict[str, list[str]] = field(default_factory=dict)
    elements: dict[str, dict[str, str]] = field(default_factory=dict)

    def chain(self, name: str) -> list[str]:
        return self.chains.setdefault(name, [])

    def element(self, container: str, key: str, value: str = "", *, comment: str = "") -> bool:
        """Add one element; False (and no change) when the key is already taken."""
        held = self.elements.setdefault(container, {})
        if key in held:
            return False
        text = f'{key} comment "{comment}"' if comment else key
        held[key] = f"{text} : {value}" if value else text
        return True


def proxy_ruleset(
    services: list[Obj],
    slices: list[Obj],
    nodes: list[Obj],
    *,
    cluster_cidr: str = "10.244.0.0/16",
    service_cidrs: Sequence[str] = ("10.96.0.0/16",),
    served_by_fabric: Sequence[str] = ("10.96.0.10",),
    masquerade_bit: int = 14,
) -> str:
    """The nft script that makes table ``ip kubesim-proxy`` program these Services.

    ``cluster_cidr`` is kube-proxy's ``--cluster-cidr`` (traffic from outside it to a
    ClusterIP is masqueraded; pods inside it are short-circuited past an external Local
    policy); ``service_cidrs`` are the ServiceCIDRs whose unallocated addresses are dropped.
    ``served_by_fabric`` are Service IPs kubesim answers itself with sockets bound in the
    fabric (the cluster DNS on kube-dns's ClusterIP): no Service claims them here and they are
    not dropped as unallocated, so traffic reaches those sockets whatever the API holds.
    """
    fabric_ips = {ip for ip in map(ipv4, served_by_fabric) if ip}
    mark = f"{1 << masquerade_bit:#08x}"
    node_list = read_nodes(nodes)
    endpoints = endpoints_by_port(slices)
    table = _Table()
    _setup(table, mark=mark, nodes=node_list, service_cidrs=service_cidrs, fabric_ips=fabric_ips)
    seen: set[tuple[str, str, str, str]] = set()
    for svc_port in service_ports(services):
        key = (svc_port.namespace, svc_port.name, svc_port.protocol, svc_port.port_name)
        if key in seen or svc_port.cluster_ip in fabric_ips:
            continue  # two ports with one name (validation refuses it): the first one wins
        seen.add(key)
        eps = endpoints.get(key, {})
        _program(
            table,
            svc_port,
            sorted(eps.values(), key=lambda e: (e.ip, e.port)),
            nodes=node_list,
            cluster_cidr=cluster_cidr,
        )
    return _render(table)


# --- the table ---------------------------------------------------------------------------


def _setup(
    table: _Table,
    *,
    mark: str,
    nodes: list[ProxyNode],
    service_cidrs: Sequence[str],
    fabric_ips: set[str],
) -> None:
    """The fixed part: base chains, the jumps into kube-proxy's top-level chains, masquerading,
    the ClusterIP checks and the dispatch maps (kube-proxy's setupNFTables)."""
    for name, _kind, _hook, _priority in _BASE_CHAINS:
        table.chain(name)
    for source, rule in _JUMPS:
        table.chain(source).append(rule)
    table.chain("mark-for-masquerade").append(f"mark set mark or {mark}")
    table.chain("masquerading").extend(
        [f"mark and {mark} == 0 return", f"mark set mark xor {mark}", "masquerade fully-random"]
    )
    check = table.chain("cluster-ips-check")
    check.append(
        'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"'
    )
    cidrs = [str(n) for n in map(ipv4_net, service_cidrs) if n]
    if cidrs and fabric_ips:
        check.append(f"ip daddr {{ {', '.join(sorted(fabric_ips))} }} return")
    if cidrs:
        check.append(
            f'ip daddr {{ {", ".join(cidrs)} }} drop comment "Drop traffic to unallocated ClusterIPs"'
        )
    table.sets.append(
        _block("set", "cluster-ips", ["type ipv4_addr", 'comment "Active ClusterIPs"'])
    )
    table.sets.append(
        _block(
            "set", "nodeport-ips", ["type ipv4_addr", 'comment "IPs that accept NodePort traffic"']
        )
    )
    for node in nodes:
        for ip in node.ips:
            table.element("nodeport-ips", ip)
    maps = (
        (
            "no-endpoint-services",
            "ipv4_addr . inet_proto . inet_service",
            "vmap to drop or reject packets to services with no endpoints",
        ),
        (
            "no-endpoint-nodeports",
            "inet_proto . inet_service",
            "vmap to drop or reject packets to service nodeports with no endpoints",
        ),
        (
            "firewall-ips",
            "ipv4_addr . inet_proto . inet_service",
            "destinations that are subject to LoadBalancerSourceRanges",
        ),
        (
            "service-ips",
            "ipv4_addr . inet_proto . inet_service",
            "ClusterIP, ExternalIP and LoadBalancer IP traffic",
        ),
        ("service-nodeports", "inet_proto . inet_service", "NodePort traffic"),
    )
    for name, key, comment in maps:
        table.maps.append(_block("map", name, [f"type {key} : verdict", f'comment "{comment}"']))
    table.chain("reject-chain").append("reject")
    table.chain("service-endpoints-check").append(
        "ip daddr . meta l4proto . th dport vmap @no-endpoint-services"
    )
    table.chain("nodeport-endpoints-check").append(
        "ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports"
    )
    table.chain("firewall-check").append("ip daddr . meta l4proto . th dport vmap @firewall-ips")
    services = table.chain("services")
    services.append("ip daddr . meta l4proto . th dport vmap @service-ips")
    services.append("ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports")


def _program(
    table: _Table,
    sp: ServicePort,
    endpoints: list[ProxyEndpoint],
    *,
    nodes: list[ProxyNode],
    cluster_cidr: str,
) -> None:
    """One service port: kube-proxy's loop body in syncProxyRules, with "local" per node."""
    base = chain_name_base(sp.namespace, sp.name, sp.protocol, sp.port_name)
    cluster_chain, local_chain = f"service-{base}", f"local-{base}"
    external_chain, firewall_chain = f"external-{base}", f"firewall-{base}"
    proto, label = sp.protocol, sp.label

    to = targets(sp, endpoints, nodes=nodes)
    cluster_eps, local_eps = to.cluster, to.local
    has_any, has_internal, has_external = to.has_any, to.has_internal, to.has_external
    uses_external_chain = has_any and sp.externally_accessible

    def node_chain(node: str) -> str:
        return "local-" + _hash_and_truncate(
            f"{sp.namespace}/{sp.name}/{proto}/{sp.port_name}__node/{node}"
        )

    prefix = f"{sp.namespace}/{sp.name}/{proto}/{sp.port_name}__"
    ep_base = {(e.ip, e.port): _hash_and_truncate(f"{prefix}{e.ip}/{e.port}") for e in endpoints}

    def node_vmap(addresses: Callable[[ProxyNode], list[str]]) -> list[str]:
        """Each node's addresses to its local endpoints' chain, or to drop without any."""
        verdicts = []
        for node in nodes:
            verdict = f"goto {node_chain(node.name)}" if node.name in local_eps else "drop"
            verdicts += [f"{address} : {verdict}" for address in addresses(node)]
        return verdicts

    def endpoint_chain(ep: ProxyEndpoint) -> str:
        return "endpoint-" + ep_base[(ep.ip, ep.port)]

    def affinity_set(ep: ProxyEndpoint) -> str:
        return "affinity-" + ep_base[(ep.ip, ep.port)]

    reject, no_local = "goto reject-chain", "drop"
    internal_chain = local_chain if sp.internal_local else cluster_chain
    key = f"{sp.cluster_ip} . {proto} . {sp.port}"
    table.element("cluster-ips", sp.cluster_ip)
    if has_internal:
        table.element("service-ips", key, f"goto {internal_chain}")
    else:
        table.element(
            "no-endpoint-services", key, reject if not has_any else no_local, comment=label
        )

    def external(dispatch: str, no_endpoints: str, key: str) -> None:
        """An external destination: into the external chain, and rejected (no endpoints) or
        dropped (none on the addressed node) where it has nowhere to go."""
        if has_any:
            table.element(dispatch, key, f"goto {external_chain}")
        if not has_external:
            table.element(no_endpoints, key, reject if not has_any else no_local, comment=label)

    for ip in [*sp.external_ips, *sp.lb_ips]:
        external("service-ips", "no-endpoint-services", f"{ip} . {proto} . {sp.port}")
    if sp.lb_ips and sp.source_ranges:
        for ip in sp.lb_ips:
            table.element("firewall-ips", f"{ip} . {proto} . {sp.port}", f"goto {firewall_chain}")
        sources = [str(n) for n in sp.source_ranges]
        node_ips = [ipaddress.IPv4Address(ip) for node in nodes for ip in node.ips]
        if any(ip in net for ip in node_ips for net in sp.source_ranges):
            sources += sp.lb_ips
        table.chain(firewall_chain).append(f"ip saddr != {{ {', '.join(sources)} }} drop")

    if sp.node_port:
        external("service-nodeports", "no-endpoint-nodeports", f"{proto} . {sp.node_port}")

    # internal traffic: masquerade what comes from outside the pod network
    if has_internal:
        table.chain(internal_chain).append(
            f"ip daddr {sp.cluster_ip} {proto} dport {sp.port} ip saddr != {cluster_cidr} jump mark-for-masquerade"
        )
    if sp.internal_local and has_internal:
        # the client's node: its pod CIDR, or its own address (hostNetwork, the fabric itself)
        verdicts = node_vmap(lambda node: node.sources)
        if verdicts:
            table.chain(local_chain).append(f"ip saddr vmap {{ {', '.join(verdicts)} }}")
        table.chain(local_chain).append('drop comment "no local endpoints on the client\'s node"')

    if uses_external_chain:
        chain = table.chain(external_chain)
        if not sp.external_local:
            chain.append("jump mark-for-masquerade")
            chain.append(f"goto {cluster_chain}")
        else:
            chain.append(
                f'ip saddr {cluster_cidr} goto {cluster_chain} comment "short-circuit pod traffic"'
            )
            chain.append(
                'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"'
            )
            chain.append(
                f'fib saddr type local goto {cluster_chain} comment "short-circuit local traffic"'
            )
            verdicts = node_vmap(lambda node: node.ips)  # the node whose address was dialed
            if verdicts:
                chain.append(f"ip daddr vmap {{ {', '.join(verdicts)} }}")
            chain.append('drop comment "no local endpoints on the addressed node"')

    if sp.affinity_seconds is not None:
        for ep in sorted(to.reachable, key=lambda e: (e.ip, e.port)):
            table.sets.append(
                _block(
                    "set",
                    affinity_set(ep),
                    ["type ipv4_addr", "flags dynamic,timeout", f"timeout {sp.affinity_seconds}s"],
                )
            )

    def balance(chain_name: str, eps: list[ProxyEndpoint]) -> None:
        chain = table.chain(chain_name)
        if sp.affinity_seconds is not None:
            chain.extend(f"ip saddr @{affinity_set(ep)} goto {endpoint_chain(ep)}" for ep in eps)
        choices = ", ".join(f"{i} : goto {endpoint_chain(ep)}" for i, ep in enumerate(eps))
        chain.append(f"numgen random mod {len(eps)} vmap {{ {choices} }}")

    if cluster_eps:
        balance(cluster_chain, cluster_eps)
    for node_name, eps in local_eps.items():
        balance(node_chain(node_name), eps)

    for ep in to.reachable:
        chain = table.chain(endpoint_chain(ep))
        chain.append(f"ip saddr {ep.ip} jump mark-for-masquerade")  # hairpin: a pod reaching itself
        if sp.affinity_seconds is not None:
            chain.append(f"update @{affinity_set(ep)} {{ ip saddr }}")
        chain.append(f"meta l4proto {proto} dnat to {ep.ip}:{ep.port}")


# --- rendering ---------------------------------------------------------------------------


def _block(kind: str, name: str, lines: list[str]) -> str:
    body = "".join(f"\t\t{line}\n" for line in lines)
    return f"\t{kind} {name} {{\n{body}"  # closed (after any elements) by _render


def _render(table: _Table) -> str:
    out = [f"table ip {TABLE} {{}}\n", f"delete table ip {TABLE}\n", f"table ip {TABLE} {{\n"]
    out.append('\tcomment "rules for kube-proxy"\n')
    for block in [*table.sets, *table.maps]:
        name = block.split(" ", 2)[1]
        out.append(block)
        elements = table.elements.get(name)
        if elements:
            out.append("\t\telements = {\n")
            out.extend(f"\t\t\t{elements[k]},\n" for k in sorted(elements))
            out.append("\t\t}\n")
        out.append("\t}\n")
    base = {name: (kind, hook, priority) for name, kind, hook, priority in _BASE_CHAINS}
    for name, rules in table.chains.items():
        out.append(f"\tchain {name} {{\n")
        if name in base:
            kind, hook, priority = base[name]
            out.append(f"\t\ttype {kind} hook {hook} priority {priority}; policy accept;\n")
        out.extend(f"\t\t{rule}\n" for rule in rules)
        out.append("\t}\n")
    out.append("}\n")
    return "".join(out)
