"""The cluster DNS answers as CoreDNS's kubernetes plugin does with kind's Corefile.

Expected answers follow CoreDNS's own table (plugin/kubernetes/handler_test.go) with kind's
`ttl 30`, and the Kubernetes DNS-Based Service Discovery spec.
"""

from __future__ import annotations

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import pytest
from _dns_cluster import cluster, endpoint, endpoint_slice, service

from kubesim.network.dnsanswer import lookup, respond
from kubesim.network.dnsrecords import Cluster, Records

pytestmark = pytest.mark.unit

SERIAL = 1764921600
SOA = f"cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. {SERIAL} 7200 1800 86400 30"
NOERROR, NXDOMAIN, SERVFAIL = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL
S = "svc.cluster.local."


@pytest.fixture(scope="module")
def records() -> Records:
    return Records.build(cluster(), serial=SERIAL)


def _lines(section: list) -> list[str]:
    return sorted(line for rrset in section for line in rrset.to_text().splitlines())


CASES = [
    # (qname, qtype) -> rcode, answer, authority, additional
    pytest.param(
        "my-svc.default.svc.cluster.local",
        "A",
        NOERROR,
        [f"my-svc.default.{S} 30 IN A 10.96.5.5"],
        [],
        [],
        id="service-a-is-its-cluster-ip",
    ),
    pytest.param(
        "My-Svc.DEFAULT.svc.cluster.local",
        "A",
        NOERROR,
        [f"My-Svc.DEFAULT.{S} 30 IN A 10.96.5.5"],
        [],
        [],
        id="names-match-without-case-and-answer-as-asked",
    ),
    pytest.param(
        "my-svc.default.svc.cluster.local",
        "AAAA",
        NOERROR,
        [],
        [SOA],
        [],
        id="aaaa-in-an-ipv4-cluster-is-nodata-with-the-soa",
    ),
    pytest.param(
        "my-svc.default.svc.cluster.local",
        "MX",
        NOERROR,
        [],
        [SOA],
        [],
        id="another-type-for-an-existing-name-is-nodata",
    ),
    pytest.param(
        "nope.default.svc.cluster.local",
        "A",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="missing-service-is-nxdomain-with-the-soa",
    ),
    pytest.param(
        "nope.default.svc.cluster.local",
        "MX",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="any-type-for-a-missing-name-is-nxdomain",
    ),
    pytest.param(
        "my-svc.nons.svc.cluster.local",
        "A",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="a-namespace-that-does-not-exist-is-nxdomain",
    ),
    pytest.param(
        "testns.svc.cluster.local",
        "A",
        NOERROR,
        [],
        [SOA],
        [],
        id="an-existing-namespace-is-nodata",
    ),
    pytest.param("svc.cluster.local", "A", NOERROR, [], [SOA], [], id="svc-is-nodata"),
    pytest.param("cluster.local", "A", NOERROR, [], [SOA], [], id="the-apex-is-nodata"),
    pytest.param(
        "foo.bar.cluster.local",
        "A",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="neither-svc-nor-pod-is-nxdomain",
    ),
    pytest.param(
        "a.b.c.my-svc.default.svc.cluster.local",
        "A",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="too-many-labels-is-nxdomain",
    ),
    pytest.param(
        "web.default.svc.cluster.local",
        "A",
        NOERROR,
        [f"web.default.{S} 30 IN A 10.244.1.5", f"web.default.{S} 30 IN A 10.244.2.6"],
        [],
        [],
        id="headless-is-one-a-per-ready-endpoint",
    ),
    pytest.param(
        "lonely.default.svc.cluster.local",
        "A",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="headless-without-ready-endpoints-is-nxdomain",
    ),
    pytest.param(
        "web-0.web.default.svc.cluster.local",
        "A",
        NOERROR,
        [f"web-0.web.default.{S} 30 IN A 10.244.1.5"],
        [],
        [],
        id="statefulset-pod-by-hostname",
    ),
    pytest.param(
        "web-2.web.default.svc.cluster.local",
        "A",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="a-not-ready-pod-has-no-hostname-record",
    ),
    pytest.param(
        "10-244-1-9.my-svc.default.svc.cluster.local",
        "A",
        NOERROR,
        [f"10-244-1-9.my-svc.default.{S} 30 IN A 10.244.1.9"],
        [],
        [],
        id="an-endpoint-without-hostname-by-its-dashed-ip",
    ),
    pytest.param(
        "_http._tcp.my-svc.default.svc.cluster.local",
        "SRV",
        NOERROR,
        [f"_http._tcp.my-svc.default.{S} 30 IN SRV 0 100 80 my-svc.default.{S}"],
        [],
        [f"my-svc.default.{S} 30 IN A 10.96.5.5"],
        id="srv-for-a-named-port-targets-the-service",
    ),
    pytest.param(
        "_HTTP._TCP.my-svc.default.svc.cluster.local",
        "SRV",
        NOERROR,
        [f"_HTTP._TCP.my-svc.default.{S} 30 IN SRV 0 100 80 my-svc.default.{S}"],
        [],
        [f"my-svc.default.{S} 30 IN A 10.96.5.5"],
        id="srv-port-and-protocol-match-without-case",
    ),
    pytest.param(
        "_web._tcp.web.default.svc.cluster.local",
        "SRV",
        NOERROR,
        [
            f"_web._tcp.web.default.{S} 30 IN SRV 0 50 80 web-0.web.default.{S}",
            f"_web._tcp.web.default.{S} 30 IN SRV 0 50 80 web-1.web.default.{S}",
        ],
        [],
        [f"web-0.web.default.{S} 30 IN A 10.244.1.5", f"web-1.web.default.{S} 30 IN A 10.244.2.6"],
        id="srv-for-headless-is-one-per-endpoint",
    ),
    pytest.param(
        "_grpc._tcp.my-svc.default.svc.cluster.local",
        "SRV",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="srv-for-an-unknown-port-name-is-nxdomain",
    ),
    pytest.param(
        "_http._udp.my-svc.default.svc.cluster.local",
        "SRV",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="srv-for-another-protocol-is-nxdomain",
    ),
    pytest.param(
        "plain.default.svc.cluster.local",
        "SRV",
        NOERROR,
        [f"plain.default.{S} 30 IN SRV 0 100 8080 plain.default.{S}"],
        [],
        [f"plain.default.{S} 30 IN A 10.96.5.6"],
        id="srv-for-the-service-name-lists-every-port",
    ),
    pytest.param(
        "_http._tcp.my-svc.default.svc.cluster.local",
        "A",
        NOERROR,
        [f"_http._tcp.my-svc.default.{S} 30 IN A 10.96.5.5"],
        [],
        [],
        id="a-for-a-port-name-is-the-cluster-ip",
    ),
    pytest.param(
        "ext.default.svc.cluster.local",
        "CNAME",
        NOERROR,
        [f"ext.default.{S} 30 IN CNAME my.database.example.com."],
        [],
        [],
        id="externalname-is-a-cname",
    ),
    pytest.param(
        "ext.default.svc.cluster.local",
        "A",
        NOERROR,
        [f"ext.default.{S} 30 IN CNAME my.database.example.com."],
        [],
        [],
        id="externalname-a-is-the-cname-alone-without-an-upstream",
    ),
    pytest.param(
        "alias.default.svc.cluster.local",
        "A",
        NOERROR,
        [
            f"alias.default.{S} 30 IN CNAME my-svc.default.{S}",
            f"my-svc.default.{S} 30 IN A 10.96.5.5",
        ],
        [],
        [],
        id="externalname-inside-the-cluster-is-followed",
    ),
    pytest.param(
        "ext.default.svc.cluster.local",
        "SRV",
        NOERROR,
        [],
        [SOA],
        [],
        id="srv-for-an-externalname-is-nodata",
    ),
    pytest.param(
        "10-244-1-5.default.pod.cluster.local",
        "A",
        NOERROR,
        ["10-244-1-5.default.pod.cluster.local. 30 IN A 10.244.1.5"],
        [],
        [],
        id="pod-a-record-pods-insecure",
    ),
    pytest.param(
        "10-244-1-5.nons.pod.cluster.local",
        "A",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="pod-record-in-a-missing-namespace-is-nxdomain",
    ),
    pytest.param(
        "not-an-ip.default.pod.cluster.local",
        "A",
        NXDOMAIN,
        [],
        [SOA],
        [],
        id="pod-record-that-is-no-address-is-nxdomain",
    ),
    pytest.param(
        "5.5.96.10.in-addr.arpa",
        "PTR",
        NOERROR,
        [f"5.5.96.10.in-addr.arpa. 30 IN PTR my-svc.default.{S}"],
        [],
        [],
        id="ptr-for-a-cluster-ip-is-its-service",
    ),
    pytest.param(
        "5.1.244.10.in-addr.arpa",
        "PTR",
        NOERROR,
        [f"5.1.244.10.in-addr.arpa. 30 IN PTR web-0.web.default.{S}"],
        [],
        [],
        id="ptr-for-a-pod-ip-is-its-endpoint-name",
    ),
    pytest.param(
        "9.9.244.10.in-addr.arpa",
        "PTR",
        SERVFAIL,
        [],
        [],
        [],
        id="ptr-unknown-falls-through-to-the-forward-that-fails",
    ),
    pytest.param(
        "96.10.in-addr.arpa",
        "PTR",
        SERVFAIL,
        [],
        [],
        [],
        id="a-partial-reverse-name-falls-through-too",
    ),
    pytest.param(
        "example.com",
        "A",
        SERVFAIL,
        [],
        [],
        [],
        id="names-outside-the-cluster-fail-as-a-forward-without-upstream",
    ),
    pytest.param(
        "dns-version.cluster.local",
        "TXT",
        NOERROR,
        ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'],
        [],
        [],
        id="dns-version-txt",
    ),
    pytest.param(
        "cluster.local",
        "NS",
        NOERROR,
        [f"cluster.local. 30 IN NS kube-dns.kube-system.{S}"],
        [],
        [f"kube-dns.kube-system.{S} 30 IN A 10.96.0.10"],
        id="ns-at-the-apex-is-kube-dns",
    ),
    pytest.param("cluster.local", "SOA", NOERROR, [SOA], [], [], id="soa-at-the-apex"),
    pytest.param(
        "my-svc.default.svc.cluster.local",
        "SOA",
        NOERROR,
        [],
        [SOA],
        [],
        id="soa-below-the-apex-is-nodata",
    ),
    pytest.param(
        "ns.dns.cluster.local",
        "A",
        NOERROR,
        ["ns.dns.cluster.local. 30 IN A 10.96.0.10"],
        [],
        [],
        id="ns-dns-is-the-dns-service-address",
    ),
]


@pytest.mark.parametrize("qname, qtype, rcode, answer, authority, additional", CASES)
def test_answers_as_coredns(records, qname, qtype, rcode, answer, authority, additional):
    reply = lookup(records, qname, qtype)
    assert (
        reply.rcode,
        _lines(reply.answer),
        _lines(reply.authority),
        _lines(reply.additional),
    ) == (
        rcode,
        sorted(answer),
        sorted(authority),
        sorted(additional),
    )


def test_an_endpoint_with_unknown_readiness_counts_as_ready():
    """discovery.k8s.io/v1: a nil `ready` is unknown, which consumers treat as ready."""
    objects = Cluster(
        services=[service("h", clusterIP="None", ports=[{"name": "p", "port": 1}])],
        slices=[endpoint_slice("h", [endpoint("10.244.3.3", ready=None)], None)],
    )
    reply = lookup(Records.build(objects), "h.default.svc.cluster.local", "A")
    assert _lines(reply.answer) == [f"h.default.{S} 30 IN A 10.244.3.3"]


def test_a_headless_service_without_ports_resolves_but_has_no_srv():
    objects = Cluster(
        services=[service("h", clusterIP="None")],
        slices=[endpoint_slice("h", [endpoint("10.244.3.3")], None)],
    )
    records = Records.build(objects)
    assert _lines(lookup(records, "h.default.svc.cluster.local", "A").answer) == [
        f"h.default.{S} 30 IN A 10.244.3.3"
    ]
    srv = lookup(records, "h.default.svc.cluster.local", "SRV")
    assert (srv.rcode, srv.answer) == (NOERROR, [])


def test_namespaces_not_listed_are_taken_from_the_objects():
    """Without a Namespace list, a namespace holding an object exists (and default does)."""
    records = Records.build(
        Cluster(services=[service("a", "team", clusterIP="10.96.7.7", ports=[{"port": 1}])])
    )
    assert lookup(records, "team.svc.cluster.local", "A").rcode == NOERROR
    assert lookup(records, "default.svc.cluster.local", "A").rcode == NOERROR
    assert lookup(records, "other.svc.cluster.local", "A").rcode == NXDOMAIN


def _query(name: str, qtype: str = "A", **kwargs) -> dns.message.Message:
    return dns.message.make_query(name, qtype, **kwargs)


def test_a_reply_is_authoritative_without_recursion_available(records):
    response = respond(_query("my-svc.default.svc.cluster.local"), records)
    assert response.flags & dns.flags.AA
    assert response.flags & dns.flags.QR
    assert response.flags & dns.flags.RD  # copied from the query
    assert not response.flags & dns.flags.RA


def test_a_failed_forward_is_not_authoritative(records):
    response = respond(_query("example.com"), records)
    assert response.rcode() == SERVFAIL
    assert not response.flags & dns.flags.AA


@pytest.mark.parametrize(
    "make, rcode",
    [
        pytest.param(
            lambda: _query("my-svc.default.svc.cluster.local", rdclass=dns.rdataclass.CH),
            dns.rcode.REFUSED,
            id="chaos-class-refused",
        ),
        pytest.param(
            lambda: _query("cluster.local", "AXFR"), dns.rcode.REFUSED, id="zone-transfer-refused"
        ),
        pytest.param(lambda: _notify(), dns.rcode.NOTIMP, id="notify-not-implemented"),
    ],
)
def test_what_kinds_corefile_does_not_serve(records, make, rcode):
    assert respond(make(), records).rcode() == rcode


def _notify() -> dns.message.Message:
    message = _query("cluster.local", "SOA")
    message.set_opcode(dns.opcode.NOTIFY)
    return message


def test_an_edns_query_gets_edns_back_with_its_own_buffer_size(records):
    response = respond(
        _query("my-svc.default.svc.cluster.local", use_edns=0, payload=1232), records
    )
    assert (response.edns, response.payload) == (0, 1232)
    assert respond(_query("my-svc.default.svc.cluster.local"), records).edns == -1


def test_the_ttl_is_the_corefiles_everywhere():
    records = Records.build(cluster(), serial=SERIAL, ttl=5)
    for qname, qtype in [
        ("my-svc.default.svc.cluster.local", "A"),
        ("alias.default.svc.cluster.local", "A"),
        ("_web._tcp.web.default.svc.cluster.local", "SRV"),
        ("10-244-1-5.default.pod.cluster.local", "A"),
        ("5.5.96.10.in-addr.arpa", "PTR"),
        ("nope.default.svc.cluster.local", "A"),
    ]:
        reply = lookup(records, qname, qtype)
        ttls = {rrset.ttl for rrset in [*reply.answer, *reply.authority, *reply.additional]}
        assert ttls == {5}, (qname, qtype)


def test_a_slice_the_api_would_refuse_does_not_take_the_other_answers_down():
    objects = cluster()
    bad = endpoint_slice("my-svc", [endpoint("10.244.9.9")], [{"name": "http", "port": "eighty"}])
    records = Records.build(Cluster(services=objects.services, slices=[*objects.slices, bad]))
    assert _lines(lookup(records, "web.default.svc.cluster.local", "A").answer) == [
        f"web.default.{S} 30 IN A 10.244.1.5",
        f"web.default.{S} 30 IN A 10.244.2.6",
    ]
    assert lookup(records, "10-244-9-9.my-svc.default.svc.cluster.local", "A").rcode == NXDOMAIN


@pytest.mark.parametrize(
    "qname, qtype, rcode, answer",
    [
        pytest.param(
            "dual.default.svc.cluster.local",
            "A",
            NOERROR,
            [f"dual.default.{S} 30 IN A 10.96.5.7"],
            id="dual-stack-a",
        ),
        pytest.param(
            "dual.default.svc.cluster.local",
            "AAAA",
            NOERROR,
            [f"dual.default.{S} 30 IN AAAA fd00::7"],
            id="dual-stack-aaaa",
        ),
        pytest.param(
            "fd00--1.default.pod.cluster.local",
            "AAAA",
            NOERROR,
            ["fd00--1.default.pod.cluster.local. 30 IN AAAA fd00::1"],
            id="ipv6-pod-record",
        ),
        pytest.param(
            "by-ip.default.svc.cluster.local",
            "A",
            NXDOMAIN,
            [],
            id="externalname-that-is-an-ip-is-skipped",
        ),
    ],
)
def test_other_address_families_and_an_ip_as_externalname(qname, qtype, rcode, answer):
    """CoreDNS answers each family from the Service's clusterIPs; an ExternalName holding an
    IP is no CNAME target, so CoreDNS skips the Service (kubernetes.go `findServices`)."""
    objects = Cluster(
        services=[
            service(
                "dual",
                clusterIP="10.96.5.7",
                clusterIPs=["10.96.5.7", "fd00::7"],
                ports=[{"name": "http", "port": 80}],
            ),
            service("by-ip", type="ExternalName", externalName="192.0.2.10"),
        ]
    )
    reply = lookup(Records.build(objects), qname, qtype)
    assert (reply.rcode, _lines(reply.answer)) == (rcode, answer)
