"""The cluster DNS's replies: CoreDNS's `kubernetes` plugin handler as kind runs it, pure.

From the hits `dnsrecords` finds, the reply as plugin/kubernetes/handler.go and
plugin/backend_lookup.go (`A`, `AAAA`, `SRV`, `PTR`, `SOA`, `NS`, `BackendError`) write it:

* A for a Service, its endpoints or a pod; CNAME for an ExternalName Service, followed when
  its target is inside cluster.local; SRV with priority 0 and weights sharing 100, the
  targets' addresses in the additional section; PTR for ClusterIPs and endpoints.
* a name inside cluster.local that does not exist: NXDOMAIN; an existing name asked for
  another type (AAAA in this IPv4 cluster): NODATA (NOERROR, empty); both carry the zone's
  SOA in the authority section. Every record has TTL 30 (`ttl 30`).
* replies are authoritative, without RA, as CoreDNS's.

Everything else goes, on kind, to `forward . /etc/resolv.conf`: the node's resolver and the
internet. kubesim has no upstream on purpose (no internet here, and a pod must never reach
the host's network), so those names, and reverse names CoreDNS does not know (`fallthrough
in-addr.arpa ip6.arpa` sends them to the same forward), are answered as a forward whose
upstream fails answers them: SERVFAIL.

`respond` turns a query message into the reply message; `lookup` is the same for a
(name, type) pair, for tests and tools.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

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

from kubesim.network.dnsrecords import CLUSTER_ZONE, ZONES, NotFound, Records, parse_ip

_MAX_CNAME_CHAIN = 8  # backend_lookup.go: `len(previousRecords) > 7`


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
    except NotFound:
        if zone != CLUSTER_ZONE:
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
        if hits and parse_ip(hits[0].host) is None:
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
        ip = parse_ip(hit.host)
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
                except NotFound:
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
                ip
                for ip in ips
                if (parsed := parse_ip(ip)) is not None and parsed.version == family
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
        raise NotFound
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


def _zone_of(name: dns.name.Name) -> dns.name.Name | None:
    for zone in ZONES:
        if name.is_subdomain(zone):
            return zone
    return None


def _from_reverse(name: dns.name.Name) -> str | None:
    """dnsutil.ExtractAddressFromReverse: the address of a full reverse name, else None."""
    try:
        return dns.reversename.to_address(name)
    except (dns.exception.DNSException, ValueError):
        return None


def _fqdn(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _rrset(
    name: dns.name.Name, rdtype: dns.rdatatype.RdataType, ttl: int, texts: Iterable[str]
) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(name, ttl, dns.rdataclass.IN, rdtype, list(texts))
