"""The cluster DNS's answers: CoreDNS's `kubernetes` plugin as kind runs it, as pure functions.

kind deploys CoreDNS with kubeadm's Corefile, whose cluster part is

    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    forward . /etc/resolv.conf
    loadbalance

so this module answers the zones `cluster.local`, `in-addr.arpa` and `ip6.arpa` from plain
API objects (Services, discovery.k8s.io/v1 EndpointSlices, Namespaces) exactly as the
plugin's code does (coredns/coredns: plugin/kubernetes/kubernetes.go `Records`,
`findServices`, `findPods`; reverse.go; parse.go; plugin/backend_lookup.go `A`, `SRV`,
`SOA`, `BackendError`), following the Kubernetes DNS-Based Service Discovery spec 1.1.0:

* `svc.ns.svc.cluster.local` A: the ClusterIP; a headless Service: one A per ready endpoint
  (none ready: NXDOMAIN, as CoreDNS); an ExternalName Service: a CNAME.
* `host.svc.ns.svc.cluster.local`: an endpoint by its hostname (a StatefulSet's pods), or by
  its dashed IP (`10-244-1-5.svc.ns...`) when it has none.
* `_port._proto.svc.ns.svc.cluster.local` SRV for named ports; a headless Service gives one
  per endpoint, targeted at the endpoint's name, its address in the additional section.
* `1-2-3-4.ns.pod.cluster.local`: `pods insecure` echoes the address without looking for
  the pod (the namespace must exist).
* PTR: a ClusterIP gives its Service's name, an endpoint's address its endpoint name.
* a name inside cluster.local that does not exist: NXDOMAIN; an existing name asked for
  another type (AAAA in this IPv4 cluster): NODATA (NOERROR, empty); both carry the zone's
  SOA in the authority section, TTL 30 like every record (`ttl 30`).

Everything else goes, on kind, to `forward . /etc/resolv.conf`: the node's resolver and the
internet. kubesim has no upstream on purpose (no internet here, and a pod must never reach
the host's network), so those names, and reverse names CoreDNS does not know (`fallthrough
in-addr.arpa ip6.arpa` sends them to the same forward), are answered as a forward whose
upstream fails answers them: SERVFAIL.

`Records.build` indexes one snapshot of the objects; `respond` turns a query message into
the reply message; `lookup` is the same for a (name, type) pair, for tests and tools.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.reversename
import dns.rrset

CLUSTER_DOMAIN = "cluster.local"
TTL = 30  # kubeadm's Corefile, which kind ships: `ttl 30` (the plugin's default is 5)
DNS_SCHEMA_VERSION = "1.1.0"  # the `dns-version` TXT record; CoreDNS gives it TTL 28800
DNS_IP = "10.96.0.10"  # kube-dns's ClusterIP in kind
SERVICE_NAME = "kubernetes.io/service-name"

_CLUSTER = dns.name.from_text(CLUSTER_DOMAIN)
_REVERSE4 = dns.name.from_text("in-addr.arpa")
_REVERSE6 = dns.name.from_text("ip6.arpa")
ZONES = (_CLUSTER, _REVERSE4, _REVERSE6)
_MAX_CNAME_CHAIN = 8  # backend_lookup.go: `len(previousRecords) > 7`

Obj = dict[str, Any]


class _NameError(Exception):
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
class _Hit:
    """One msg.Service of CoreDNS: a host (an IP, or a name for a CNAME) at a domain."""

    host: str
    port: int
    domain: str  # where the host lives: the SRV target (`svc.ns.svc.cluster.local.`)
    ttl: int = TTL


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
            eps = _endpoints_of(slice_)
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

    def hits(self, labels: list[str], zone: dns.name.Name, qtype: int) -> list[_Hit]:
        """kubernetes.go `Services`: the hits for a name (labels below the zone, lowercase)."""
        if qtype == dns.rdatatype.TXT:
            if labels == ["dns-version"]:
                return [_Hit(DNS_SCHEMA_VERSION, 0, "", ttl=28800)]
            return []  # CoreDNS: any other TXT is NODATA, even for a name that does not exist
        if labels == ["dns", "ns"]:  # `ns.dns.cluster.local`: the DNS service's own address
            return [_Hit(ip, 0, f"ns.dns.{CLUSTER_DOMAIN}.") for ip, _ in self.ns_addresses()]
        found = self._records(labels, zone)
        if qtype == dns.rdatatype.SRV:  # "SRV for external services is not yet implemented"
            found = [h for h in found if _ip(h.host) is not None]
        return found

    def _records(self, labels: list[str], zone: dns.name.Name) -> list[_Hit]:
        if zone != _CLUSTER:
            raise _NameError  # a forward name in a reverse zone: parse fails
        request = _parse(labels)
        if request is None:
            return []  # the apex, `svc` or `pod`: NODATA
        kind, namespace, service, endpoint, port, protocol = request
        if namespace not in self.namespaces:
            raise _NameError
        if not service:
            return []  # `ns.svc.cluster.local`: NODATA for an existing namespace
        if kind == "pod":
            return self._pod(namespace, service)
        return self._services(namespace, service, endpoint, port, protocol)

    def _pod(self, namespace: str, podname: str) -> list[_Hit]:
        """`pods insecure`: the dashed address is echoed without looking for the pod."""
        if podname.count("-") == 3 and "--" not in podname:
            text = podname.replace("-", ".")
        else:
            text = podname.replace("-", ":")
        if _ip(text) is None:
            raise _NameError
        return [_Hit(text, 0, f"{podname}.{namespace}.pod.{CLUSTER_DOMAIN}.")]

    def _services(
        self, namespace: str, name: str, endpoint: str, port: str, protocol: str
    ) -> list[_Hit]:
        svc = self.services.get((namespace, name))
        if svc is None:
            raise _NameError
        meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
        domain = f"{meta.get('name')}.{meta.get('namespace')}.svc.{CLUSTER_DOMAIN}."
        found: list[_Hit] = []
        matched = False
        if spec.get("type") == "ExternalName":
            target = str(spec.get("externalName") or "")
            if endpoint or not target or _ip(target) is not None:
                raise _NameError  # an IP is no CNAME target: CoreDNS skips it
            return [_Hit(target, -1, domain)]
        if spec.get("clusterIP") == "None" or endpoint:
            for eps in self.endpoints.get((namespace, name), []):
                for address in eps.addresses:
                    if endpoint and endpoint != address.hostname.lower():
                        continue
                    for p in eps.ports:
                        if not _port_matches(port, p.name, protocol, p.protocol):
                            continue
                        matched = True
                        found.append(_Hit(address.ip, p.port, f"{address.hostname}.{domain}"))
        else:
            for p in spec.get("ports") or []:
                if not _port_matches(
                    port, str(p.get("name") or ""), protocol, str(p.get("protocol") or "TCP")
                ):
                    continue
                matched = True
                for ip in _cluster_ips(spec):
                    found.append(_Hit(ip, int(p.get("port") or 0), domain))
        if not matched:
            raise _NameError
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


# -- the handler: plugin/kubernetes/handler.go and plugin/backend_lookup.go --------------------


@dataclass
class Reply:
    """What the server writes: an rcode and the three sections (RRsets)."""

    rcode: dns.rcode.Rcode
    answer: list[dns.rrset.RRset] = field(default_factory=list)
    authority: list[dns.rrset.RRset] = field(default_factory=list)
    additional: list[dns.rrset.RRset] = field(default_factory=list)
    authoritative: bool = True


def lookup(records: Records, qname: str | dns.name.Name, qtype: str | int) -> Reply:
    """The reply CoreDNS gives for one question, class IN."""
    name = dns.name.from_text(qname) if isinstance(qname, str) else qname
    rdtype = dns.rdatatype.RdataType.make(qtype)
    zone = _zone_of(name)
    if zone is None:
        return _forward_failed()
    labels = [label.decode("ascii", "replace").lower() for label in name.relativize(zone).labels]
    try:
        answer, extra = _answer(records, name, labels, zone, rdtype)
    except _NameError:
        if zone != _CLUSTER:
            return _forward_failed()  # `fallthrough in-addr.arpa ip6.arpa`, then forward
        return Reply(dns.rcode.NXDOMAIN, authority=[_soa(records, zone)])
    if not answer:
        return Reply(dns.rcode.NOERROR, authority=[_soa(records, zone)])
    return Reply(dns.rcode.NOERROR, answer=answer, additional=extra)


def respond(request: dns.message.Message, records: Records) -> dns.message.Message:
    """The reply message to a parsed query; a query with EDNS gets EDNS back, advertising
    the client's own buffer size (CoreDNS's `SizeAndDo`)."""
    payload = max(512, request.payload) if request.edns >= 0 else 512
    response = dns.message.make_response(request, our_payload=payload)
    response.flags &= ~dns.flags.RA  # CoreDNS does not set RA on the plugin's answers
    if request.opcode() != dns.opcode.QUERY:
        response.set_rcode(dns.rcode.NOTIMP)
        return response
    if len(request.question) != 1:
        response.set_rcode(dns.rcode.FORMERR)
        return response
    question = request.question[0]
    if question.rdclass != dns.rdataclass.IN:
        response.set_rcode(dns.rcode.REFUSED)  # no `chaos` plugin in kind's Corefile
        return response
    if question.rdtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
        response.set_rcode(dns.rcode.REFUSED)  # no `transfer` block in kind's Corefile
        return response
    reply = lookup(records, question.name, question.rdtype)
    response.set_rcode(reply.rcode)
    if reply.authoritative:
        response.flags |= dns.flags.AA
    else:
        response.flags &= ~dns.flags.AA
    response.answer = reply.answer
    response.authority = reply.authority
    response.additional = reply.additional
    return response


def _answer(
    records: Records,
    name: dns.name.Name,
    labels: list[str],
    zone: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
) -> tuple[list[dns.rrset.RRset], list[dns.rrset.RRset]]:
    if rdtype == dns.rdatatype.A:
        return _addresses(records, name, labels, zone, 4), []
    if rdtype == dns.rdatatype.AAAA:
        return _addresses(records, name, labels, zone, 6), []
    if rdtype == dns.rdatatype.TXT:
        hits = records.hits(labels, zone, rdtype)
        return [_rrset(name, rdtype, h.ttl, [f'"{h.host}"']) for h in hits[:1]], []
    if rdtype == dns.rdatatype.CNAME:
        hits = records.hits(labels, zone, rdtype)
        if hits and _ip(hits[0].host) is None:
            return [_rrset(name, rdtype, hits[0].ttl, [_fqdn(hits[0].host)])], []
        return [], []
    if rdtype == dns.rdatatype.PTR:
        return _ptr(records, name, labels, zone), []
    if rdtype == dns.rdatatype.SRV:
        return _srv(records, name, labels, zone)
    if rdtype == dns.rdatatype.SOA and not labels:
        return [_soa(records, zone, owner=name)], []
    if rdtype == dns.rdatatype.NS and not labels:
        return _ns(records, name)
    _addresses(records, name, labels, zone, 4)  # "a fake A lookup": NODATA or NXDOMAIN
    return [], []


def _addresses(
    records: Records,
    name: dns.name.Name,
    labels: list[str],
    zone: dns.name.Name,
    family: int,
    chain: int = 0,
) -> list[dns.rrset.RRset]:
    """backend_lookup.go `A`/`AAAA`: addresses, and CNAMEs followed inside the zone."""
    rdtype = dns.rdatatype.A if family == 4 else dns.rdatatype.AAAA
    out: list[dns.rrset.RRset] = []
    ips: list[str] = []
    for hit in records.hits(labels, zone, rdtype):
        ip = _ip(hit.host)
        if ip is None:
            target = dns.name.from_text(hit.host)
            if target == name or chain >= _MAX_CNAME_CHAIN - 1:
                continue  # `x CNAME x` is a loop; a long chain is cut
            cname = _rrset(name, dns.rdatatype.CNAME, hit.ttl, [target.to_text()])
            if target.is_subdomain(zone):
                sub = [
                    label.decode("ascii", "replace").lower()
                    for label in target.relativize(zone).labels
                ]
                try:
                    following = _addresses(records, target, sub, zone, family, chain + 1)
                except _NameError:
                    following = []
                if following:
                    out += [cname, *following]
                continue
            # Outside the zone CoreDNS asks its upstream; kubesim has none, so the CNAME
            # comes alone (what CoreDNS writes when the upstream answers SERVFAIL).
            out.append(cname)
        elif ip.version == family and hit.host not in ips:
            ips.append(hit.host)
    if ips:
        out.append(_rrset(name, rdtype, records.ttl, ips))
    return out


def _srv(
    records: Records, name: dns.name.Name, labels: list[str], zone: dns.name.Name
) -> tuple[list[dns.rrset.RRset], list[dns.rrset.RRset]]:
    """backend_lookup.go `SRV`: priority 0, weights sharing 100, targets' addresses as extra."""
    hits = records.hits(labels, zone, dns.rdatatype.SRV)
    weight = max(1, int(100.0 / (100 * len(hits)) * 100)) if hits else 0
    srv: list[str] = []
    extra: dict[str, list[str]] = {}
    seen: set[tuple[str, int]] = set()
    for hit in hits:
        if hit.port == -1:
            continue
        if (hit.domain, hit.port) not in seen:
            seen.add((hit.domain, hit.port))
            srv.append(f"0 {weight} {hit.port} {hit.domain}")
        if hit.host not in extra.setdefault(hit.domain, []):
            extra[hit.domain].append(hit.host)
    if not srv:
        return [], []
    additional = []
    for domain, ips in extra.items():
        for family, rdtype in ((4, dns.rdatatype.A), (6, dns.rdatatype.AAAA)):
            same = [
                ip for ip in ips if (parsed := _ip(ip)) is not None and parsed.version == family
            ]
            if same:
                additional.append(_rrset(dns.name.from_text(domain), rdtype, records.ttl, same))
    return [_rrset(name, dns.rdatatype.SRV, records.ttl, srv)], additional


def _ptr(
    records: Records, name: dns.name.Name, labels: list[str], zone: dns.name.Name
) -> list[dns.rrset.RRset]:
    ip = _from_reverse(name)
    if ip is None:
        records.hits(labels, zone, dns.rdatatype.PTR)  # NODATA or NXDOMAIN for other names
        return []
    targets = records.reverse(ip)
    if not targets:
        raise _NameError
    return [_rrset(name, dns.rdatatype.PTR, records.ttl, targets)]


def _ns(
    records: Records, name: dns.name.Name
) -> tuple[list[dns.rrset.RRset], list[dns.rrset.RRset]]:
    addresses = records.ns_addresses()
    hosts = list(dict.fromkeys(host for _, host in addresses))
    extra = [
        _rrset(
            dns.name.from_text(host),
            dns.rdatatype.A,
            records.ttl,
            [ip for ip, h in addresses if h == host],
        )
        for host in hosts
    ]
    return [_rrset(name, dns.rdatatype.NS, records.ttl, hosts)], extra


def _soa(
    records: Records, zone: dns.name.Name, owner: dns.name.Name | None = None
) -> dns.rrset.RRset:
    """backend_lookup.go `SOA`: TTL min(ttl, 300), ns.dns.<zone>, hostmaster.<zone>."""
    text = (
        f"ns.dns.{zone.to_text()} hostmaster.{zone.to_text()} "
        f"{records.serial} 7200 1800 86400 {records.ttl}"
    )
    return _rrset(owner or zone, dns.rdatatype.SOA, min(records.ttl, 300), [text])


def _forward_failed() -> Reply:
    """`forward . /etc/resolv.conf` with no reachable upstream: SERVFAIL, not authoritative."""
    return Reply(dns.rcode.SERVFAIL, authoritative=False)


# -- helpers ----------------------------------------------------------------------------------


def _parse(labels: list[str]) -> tuple[str, str, str, str, str, str] | None:
    """parse.go `parseRequest` (no multicluster): (pod|svc, namespace, service, endpoint,
    port, protocol) from the labels below the zone; None for the apex, `svc` and `pod`."""
    if not labels or labels in (["svc"], ["pod"]):
        return None
    *rest, kind = labels
    if kind not in ("svc", "pod"):
        raise _NameError
    namespace = rest.pop() if rest else ""
    service = rest.pop() if rest else ""
    endpoint = port = protocol = ""
    if len(rest) == 1:
        endpoint = rest[0]
    elif len(rest) == 2:
        port, protocol = rest[0].removeprefix("_"), rest[1].removeprefix("_")
    elif len(rest) > 2:
        raise _NameError
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


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _zone_of(name: dns.name.Name) -> dns.name.Name | None:
    for zone in ZONES:
        if name.is_subdomain(zone):
            return zone
    return None


def _from_reverse(name: dns.name.Name) -> str | None:
    """dnsutil.ExtractAddressFromReverse: the address of a full reverse name, else None."""
    try:
        return dns.reversename.to_address(name)
    except (dns.exception.SyntaxError, ValueError):
        return None


def _fqdn(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _rrset(
    name: dns.name.Name, rdtype: dns.rdatatype.RdataType, ttl: int, texts: Iterable[str]
) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(name, ttl, dns.rdataclass.IN, rdtype, list(texts))
