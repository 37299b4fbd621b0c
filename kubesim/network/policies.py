"""NetworkPolicy semantics (networking.k8s.io/v1) as kindnet decides them: which new
connections the policies allow.

`compile_policies` reads policies, pods and namespaces (plain API objects, any shape older
validation let in) into `Policies`: the pod IPs isolated for ingress and for egress, and one
`Grant` per policy rule saying which peers and ports it admits. `Policies.allowed` answers for
one packet as the kernel rules do; `netpol` renders the same model as those rules. Pure: no
I/O, no nft.

The cluster DNS is answered by kubesim on the kube-dns ClusterIP inside the fabric, where kind
runs CoreDNS pods behind it; egress to that address is judged as egress to the CoreDNS pods
(kube-system, `k8s-app: kube-dns`), so the usual "allow DNS to kube-dns" rule works as on kind.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubesim.core.selectors import matches_labels, selector_from_match

__all__ = ["DNS_IP", "Grant", "Policies", "Range", "compile_policies", "ip_number"]

Obj = dict[str, Any]
Range = tuple[int, int]  # an inclusive range of IPv4 addresses (or ports) as integers

DNS_IP = "10.96.0.10"
DNS_NAMESPACE = "kube-system"
DNS_LABELS = {"k8s-app": "kube-dns"}
_PROTOCOLS = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}
_NAME_LABEL = "kubernetes.io/metadata.name"
_ANY_PORT: Range = (0, 65535)


@dataclass(frozen=True)
class Grant:
    """One rule of one policy: traffic it allows for the pods the policy selects.

    For ingress, `pods` are destinations and `peers` sources; for egress the reverse.
    `peers` None means any address; `ports` and `named` both None means any protocol and port.
    """

    direction: str  # "ingress" | "egress"
    origin: str  # "namespace/name ingress[0]", for the rule's comment
    pods: frozenset[str]
    peers: tuple[Range, ...] | None
    ports: dict[str, tuple[Range, ...]] | None  # protocol ("tcp") -> port ranges, any dst
    named: frozenset[tuple[str, str, int]] | None  # (dst ip, protocol, port) from named ports

    def admits(self, *, src: str, dst: str, port: int, proto: str) -> bool:
        own, other = (dst, src) if self.direction == "ingress" else (src, dst)
        if own not in self.pods:
            return False
        if self.peers is not None and not _in_ranges(ip_number(other), self.peers):
            return False
        if self.ports is None and self.named is None:
            return True
        proto = _PROTOCOLS.get(proto.upper(), proto.lower())
        if _in_ranges(port, (self.ports or {}).get(proto, ())):
            return True
        return (dst, proto, port) in (self.named or frozenset())


@dataclass(frozen=True)
class Policies:
    """The compiled decision: which pod IPs are isolated, and what each policy rule allows."""

    ingress_isolated: frozenset[str] = frozenset()
    egress_isolated: frozenset[str] = frozenset()
    grants: tuple[Grant, ...] = field(default=())

    def allowed(self, src: str, dst: str, port: int = 0, proto: str = "TCP") -> bool:
        """Whether a new connection (its first packet) from `src` to `dst` passes, as the
        kernel rules decide it (traffic from the node never reaches them: always allowed)."""
        if src == dst and src in self.ingress_isolated | self.egress_isolated:
            return True  # "a pod cannot block access to itself" (through its own Service)
        for direction, isolated, own in (
            ("egress", self.egress_isolated, src),
            ("ingress", self.ingress_isolated, dst),
        ):
            if own in isolated and not any(
                g.admits(src=src, dst=dst, port=port, proto=proto)
                for g in self.grants
                if g.direction == direction
            ):
                return False
        return True


def compile_policies(
    policies: list[dict],
    pods: list[dict],
    namespaces: list[dict],
    *,
    dns_ip: str | None = DNS_IP,
) -> Policies:
    """NetworkPolicy semantics (networking.k8s.io/v1) over plain API objects."""
    if not _dicts(policies):
        return Policies()  # nothing isolated: no need to read thousands of pods on each change
    pods = _dicts(pods)
    ns_labels = _namespace_labels(_dicts(namespaces), pods)
    live = [p for p in pods if _live(p)]
    dns_pods = [p for p in pods if _is_dns_pod(p)] if dns_ip else []
    isolated: dict[str, set[str]] = {"ingress": set(), "egress": set()}
    grants: list[Grant] = []
    for policy in sorted(_dicts(policies), key=_order):
        namespace = _field(policy, "metadata").get("namespace")
        if not isinstance(namespace, str) or not namespace:
            continue  # a NetworkPolicy is namespaced: without one it selects nothing
        spec = _field(policy, "spec")
        selector = _selector(spec.get("podSelector"))
        if selector is None:
            continue  # an unreadable selector selects nothing (kindnet skips the policy)
        selected = [p for p in live if _ns(p) == namespace and _labels_match(selector, p)]
        ips = frozenset(ip for p in selected for ip in _ips(p))
        if not ips:
            continue
        types = spec.get("policyTypes")
        if not isinstance(types, list) or not types:  # as the API server defaults it
            types = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
        context = _Context(namespace, ns_labels, live, dns_pods, dns_ip)
        for direction, peers_key, dst_pods in (
            ("ingress", "from", selected),  # named ports resolve on the policy's own pods
            ("egress", "to", live),  # ... and, for egress, on the destination pods
        ):
            if direction.capitalize() not in types:
                continue
            isolated[direction] |= ips
            rules = spec.get(direction)
            for i, rule in enumerate(rules if isinstance(rules, list) else []):
                if rule is not None and not isinstance(rule, dict):
                    continue
                origin = f"{_key(policy)} {direction}[{i}]"
                grant = _grant(
                    direction, origin, ips, rule or {}, peers_key, context, dst_pods=dst_pods
                )
                if grant:
                    grants.append(grant)
    ingress_isolated, egress_isolated = isolated["ingress"], isolated["egress"]
    return Policies(frozenset(ingress_isolated), frozenset(egress_isolated), tuple(grants))


@dataclass(frozen=True)
class _Context:
    namespace: str
    ns_labels: dict[str, dict[str, str]]
    live: list[Obj]
    dns_pods: list[Obj]
    dns_ip: str | None


def _grant(
    direction: str,
    origin: str,
    ips: frozenset[str],
    rule: Obj,
    peers_key: str,
    ctx: _Context,
    *,
    dst_pods: Sequence[Obj],
) -> Grant | None:
    """One ingress/egress rule as a Grant, or None when it can allow nothing."""
    peers: tuple[Range, ...] | None = None
    peer_pods: list[Obj] | None = None
    if rule.get(peers_key):
        ranges: list[Range] = []
        peer_pods = []
        for peer in _dicts(rule[peers_key]):
            ranges += _peer_ranges(peer, ctx, peer_pods)
        if direction == "egress" and ctx.dns_ip and any(p in peer_pods for p in ctx.dns_pods):
            ranges.append((ip_number(ctx.dns_ip), ip_number(ctx.dns_ip)))
        peers = _merge(ranges)
        if not peers:
            return None
    ports: dict[str, tuple[Range, ...]] | None = None
    named: frozenset[tuple[str, str, int]] | None = None
    if rule.get("ports"):
        by_proto: dict[str, list[Range]] = {}
        resolved: set[tuple[str, str, int]] = set()
        for entry in _dicts(rule["ports"]):
            proto = _PROTOCOLS.get(str(entry.get("protocol") or "TCP").upper())
            if proto is None:
                continue
            port = entry.get("port")
            if port is None:
                by_proto.setdefault(proto, []).append(_ANY_PORT)
            elif _is_port(port):
                low, end = int(port), entry.get("endPort")
                high = end if isinstance(end, int) and _is_port(end) and end >= low else low
                by_proto.setdefault(proto, []).append((low, high))
            elif isinstance(port, str):
                resolved |= _named_ports(str(port), proto, dst_pods)
                if direction == "egress" and ctx.dns_ip:
                    resolved |= {
                        (ctx.dns_ip, pr, n)
                        for _, pr, n in _named_ports(str(port), proto, ctx.dns_pods)
                    }
        ports = {proto: _merge(ranges) for proto, ranges in sorted(by_proto.items())}
        named = frozenset(resolved)
        if not ports and not named:
            return None
    return Grant(direction, origin, ips, peers, ports, named)


def _peer_ranges(peer: Obj, ctx: _Context, matched: list[Obj]) -> list[Range]:
    """The addresses one NetworkPolicyPeer stands for; the pods it matched go to `matched`."""
    if "ipBlock" in peer:
        return _ip_block(_field(peer, "ipBlock"))
    if "podSelector" not in peer and "namespaceSelector" not in peer:
        return []
    pod_sel = _selector(peer.get("podSelector")) if "podSelector" in peer else ()
    if pod_sel is None:
        return []
    if "namespaceSelector" in peer:
        ns_sel = _selector(peer["namespaceSelector"])
        if ns_sel is None:
            return []
        in_ns = {ns for ns, labels in ctx.ns_labels.items() if matches_labels(ns_sel, labels)}
    else:
        in_ns = {ctx.namespace}
    candidates = ctx.live + [p for p in ctx.dns_pods if p not in ctx.live]
    hits = [p for p in candidates if _ns(p) in in_ns and _labels_match(pod_sel, p)]
    matched += hits
    return [(ip_number(ip), ip_number(ip)) for p in hits if _live(p) for ip in _ips(p)]


def _ip_block(block: Obj) -> list[Range]:
    try:
        net = ipaddress.ip_network(str(block.get("cidr")), strict=False)
    except ValueError:
        return []
    if not isinstance(net, ipaddress.IPv4Network):
        return []  # the pod network is IPv4 only
    pieces = [net]
    for text in block.get("except") or []:
        try:
            hole = ipaddress.ip_network(str(text), strict=False)
        except ValueError:
            continue
        if not isinstance(hole, ipaddress.IPv4Network):
            continue
        next_pieces: list[ipaddress.IPv4Network] = []
        for piece in pieces:
            if hole.supernet_of(piece):
                continue
            if piece.supernet_of(hole):
                next_pieces += piece.address_exclude(hole)
            else:
                next_pieces.append(piece)
        pieces = next_pieces
    return [(int(p.network_address), int(p.broadcast_address)) for p in pieces]


def _named_ports(name: str, proto: str, pods: Iterable[Obj]) -> set[tuple[str, str, int]]:
    """A named port resolved on each destination pod from its containers' declared ports."""
    found: set[tuple[str, str, int]] = set()
    for pod in pods:
        for container in _dicts(_field(pod, "spec").get("containers")):
            for cp in _dicts(container.get("ports")):
                cp_proto = _PROTOCOLS.get(str(cp.get("protocol") or "TCP").upper())
                if (
                    cp.get("name") == name
                    and cp_proto == proto
                    and _is_port(cp.get("containerPort"))
                ):
                    found |= {(ip, proto, int(cp["containerPort"])) for ip in _ips(pod)}
    return found


# --- objects -----------------------------------------------------------------------------


def _dicts(value: Any) -> list[Obj]:
    """The mappings in a list (objects older validation let in may hold anything)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _field(obj: Obj, key: str) -> Obj:
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 65535


def _order(obj: Obj) -> tuple[str, str]:
    """By namespace/name, then content: the script does not depend on the list's order."""
    return _key(obj), json.dumps(obj, sort_keys=True, default=str)


def _key(obj: Obj) -> str:
    meta = _field(obj, "metadata")
    return f"{meta.get('namespace') or 'default'}/{meta.get('name') or ''}"


def _ns(pod: Obj) -> str:
    return _field(pod, "metadata").get("namespace") or "default"


def _live(pod: Obj) -> bool:
    """Pods the policy data plane knows: with an address of their own and not finished.

    As kindnet: any pod holding a pod IP counts, including a Pending one whose init
    containers already talk (the docs' `until nslookup myservice` init container); a
    Succeeded or Failed pod has given its address back, and another pod may hold it now."""
    spec, status = _field(pod, "spec"), _field(pod, "status")
    finished = status.get("phase") in ("Succeeded", "Failed")
    return bool(_ips(pod)) and not finished and not spec.get("hostNetwork")


def _is_dns_pod(pod: Obj) -> bool:
    labels = _field(_field(pod, "metadata"), "labels")
    return (
        _ns(pod) == DNS_NAMESPACE
        and all(labels.get(k) == v for k, v in DNS_LABELS.items())
        and not _field(pod, "spec").get("hostNetwork")
    )


def _ips(pod: Obj) -> list[str]:
    status = _field(pod, "status")
    listed = [a.get("ip") for a in status.get("podIPs") or [] if isinstance(a, dict)]
    out = []
    for text in listed or [status.get("podIP")]:
        try:
            if text and isinstance(ipaddress.ip_address(text), ipaddress.IPv4Address):
                out.append(text)
        except ValueError:
            continue
    return out


def _namespace_labels(namespaces: list[Obj], pods: list[Obj]) -> dict[str, dict[str, str]]:
    """Each namespace's labels; `kubernetes.io/metadata.name` is always there, as the API
    server sets it."""
    out: dict[str, dict[str, str]] = {_ns(p): {_NAME_LABEL: _ns(p)} for p in pods}
    for ns in namespaces:
        meta = _field(ns, "metadata")
        name = meta.get("name")
        if isinstance(name, str) and name:
            out[name] = {**_field(meta, "labels"), _NAME_LABEL: name}
    return out


def _selector(spec: Any) -> Any:
    """A LabelSelector's requirements; None when it cannot be read (selects nothing)."""
    if spec is not None and not isinstance(spec, dict):
        return None
    try:
        return selector_from_match(spec)
    except (KeyError, TypeError, AttributeError):
        return None


def _labels_match(selector: Any, pod: Obj) -> bool:
    return matches_labels(selector, _field(_field(pod, "metadata"), "labels"))


def ip_number(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def _in_ranges(value: int, ranges: Iterable[Range]) -> bool:
    return any(lo <= value <= hi for lo, hi in ranges)


def _merge(ranges: Iterable[Range]) -> tuple[Range, ...]:
    """Sorted, non-overlapping, adjacent ranges joined (nft refuses overlapping intervals)."""
    out: list[Range] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)
