"""The cluster DNS server on 127.0.0.1 (random ports), asked by dnspython's resolver and by
hand-made packets: UDP and TCP, the search path, truncation, bad packets, live objects."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import replace

import dns.asyncquery
import dns.asyncresolver
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.resolver
import pytest
from _dns_cluster import cluster, endpoint, endpoint_slice, service

from kubesim.network.dnsrecords import Cluster
from kubesim.network.dnsserver import ClusterDNS

pytestmark = pytest.mark.unit

HOST = "127.0.0.1"


class Live:
    """The objects the server reads; tests replace them as the API would change them."""

    def __init__(self, objects: Cluster) -> None:
        self.objects = objects
        self.reads = 0

    def __call__(self) -> Cluster:
        self.reads += 1
        return self.objects


def _sockets() -> tuple[socket.socket, socket.socket, int]:
    """A bound UDP socket and a listening TCP socket on one free port, as the fabric hands
    them over (there created inside the cluster's network namespace at 10.96.0.10:53)."""
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((HOST, 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((HOST, port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen()
        return udp, tcp, port
    raise RuntimeError("no free port for both UDP and TCP on 127.0.0.1")


@pytest.fixture
async def served() -> AsyncIterator[tuple[ClusterDNS, Live, int]]:
    live = Live(cluster())
    udp, tcp, port = _sockets()
    server = ClusterDNS(live, rng=random.Random(7))
    await server.start(udp=udp, tcp=tcp)
    try:
        yield server, live, port
    finally:
        await server.close()


def _resolver(port: int, namespace: str = "default") -> dns.asyncresolver.Resolver:
    """A pod's resolv.conf as the kubelet writes it (ClusterFirst): the search path and ndots:5."""
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [HOST]
    resolver.port = port
    resolver.search = [
        dns.name.from_text(f"{namespace}.svc.cluster.local"),
        dns.name.from_text("svc.cluster.local"),
        dns.name.from_text("cluster.local"),
    ]
    resolver.ndots = 5
    resolver.lifetime = 5
    return resolver


async def test_a_service_resolves_over_udp_and_tcp(served):
    _, _, port = served
    resolver = _resolver(port)
    for tcp in (False, True):
        answer = await resolver.resolve("my-svc.default.svc.cluster.local.", "A", tcp=tcp)
        assert [r.to_text() for r in answer] == ["10.96.5.5"]


async def test_a_short_name_resolves_through_the_namespace_search_path(served):
    """ndots:5: `my-svc` is tried as my-svc.default.svc.cluster.local first, and found."""
    _, _, port = served
    answer = await _resolver(port).resolve("my-svc", "A", search=True)
    assert answer.canonical_name == dns.name.from_text("my-svc.default.svc.cluster.local")
    assert [r.to_text() for r in answer] == ["10.96.5.5"]


async def test_service_dot_namespace_resolves_from_another_namespace(served):
    _, _, port = served
    answer = await _resolver(port, namespace="testns").resolve("my-svc.default", "A", search=True)
    assert answer.canonical_name == dns.name.from_text("my-svc.default.svc.cluster.local")


async def test_a_missing_name_is_nxdomain_through_every_search_domain(served):
    _, _, port = served
    with pytest.raises(dns.resolver.NXDOMAIN):
        await _resolver(port).resolve("nope.default.svc.cluster.local.", "A")


async def test_answers_follow_the_objects_at_once(served):
    server, live, port = served
    resolver = _resolver(port)
    with pytest.raises(dns.resolver.NXDOMAIN):
        await resolver.resolve("late.default.svc.cluster.local.", "A")
    late = service("late", clusterIP="10.96.8.8", ports=[{"name": "http", "port": 80}])
    live.objects = replace(live.objects, services=[*live.objects.services, late])
    answer = await resolver.resolve("late.default.svc.cluster.local.", "A")
    assert [r.to_text() for r in answer] == ["10.96.8.8"]
    live.objects = replace(live.objects, services=live.objects.services[:-1])
    with pytest.raises(dns.resolver.NXDOMAIN):
        await resolver.resolve("late.default.svc.cluster.local.", "A")


async def test_the_soa_serial_moves_when_the_objects_change():
    clock = iter([1000.0, 2000.0])
    live = Live(cluster())
    server = ClusterDNS(live, clock=lambda: next(clock))

    def serial() -> int:
        wire = server.handle(
            dns.message.make_query("nope.default.svc.cluster.local", "A").to_wire(), limit=512
        )
        assert wire is not None
        return dns.message.from_wire(wire).authority[0][0].serial

    assert serial() == serial() == 1000  # the same objects: the index is built once
    live.objects = replace(live.objects)
    assert serial() == 2000


def _headless_with(count: int) -> Cluster:
    ips = [f"10.244.{i // 200}.{i % 200 + 10}" for i in range(count)]
    return Cluster(
        services=[service("big", clusterIP="None", ports=[{"name": "web", "port": 80}])],
        slices=[endpoint_slice("big", [endpoint(ip) for ip in ips], [{"name": "web", "port": 80}])],
    )


async def test_an_answer_over_512_bytes_is_truncated_over_udp_and_whole_over_tcp():
    udp, tcp, port = _sockets()
    server = ClusterDNS(Live(_headless_with(60)))
    await server.start(udp=udp, tcp=tcp)
    try:
        query = dns.message.make_query("big.default.svc.cluster.local", "A")
        over_udp = await dns.asyncquery.udp(
            query, HOST, port=port, timeout=3, ignore_trailing=False
        )
        assert over_udp.flags & dns.flags.TC
        assert len(over_udp.to_wire()) <= 512
        kept = sum(len(r) for r in over_udp.answer)
        assert 0 < kept < 60  # as many records as fit, like miekg/dns's Truncate
        over_tcp = await dns.asyncquery.tcp(query, HOST, port=port, timeout=3)
        assert not over_tcp.flags & dns.flags.TC
        assert sum(len(r) for r in over_tcp.answer) == 60
        with_edns = dns.message.make_query(
            "big.default.svc.cluster.local", "A", use_edns=0, payload=4096
        )
        big = await dns.asyncquery.udp(with_edns, HOST, port=port, timeout=3)
        assert not big.flags & dns.flags.TC
        assert sum(len(r) for r in big.answer) == 60
        resolved = await _resolver(port).resolve("big.default.svc.cluster.local.", "A")
        assert len(resolved) == 60  # the resolver retried over TCP on TC
    finally:
        await server.close()


async def _udp_exchange(port: int, payload: bytes, timeout: float = 0.5) -> bytes | None:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, (HOST, port))
        await loop.sock_sendall(sock, payload)
        try:
            return await asyncio.wait_for(loop.sock_recv(sock, 65535), timeout)
        except TimeoutError:
            return None
    finally:
        sock.close()


@pytest.mark.parametrize(
    "packet",
    [
        pytest.param(b"\x12\x34\x01", id="shorter-than-a-header"),
        pytest.param(
            dns.message.make_response(
                dns.message.make_query("my-svc.default.svc.cluster.local", "A")
            ).to_wire(),
            id="a-response-not-a-query",
        ),
    ],
)
async def test_packets_that_are_no_query_are_dropped(served, packet):
    _, _, port = served
    assert await _udp_exchange(port, packet) is None
    answer = await _resolver(port).resolve("my-svc.default.svc.cluster.local.", "A")
    assert [r.to_text() for r in answer] == ["10.96.5.5"]  # and the server still answers


@pytest.mark.parametrize(
    "packet",
    [
        pytest.param(
            struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + b"\x07cluster",
            id="question-cut-short",
        ),
        pytest.param(struct.pack("!HHHHHH", 0xBEEF, 0x0100, 0, 5, 0, 0), id="counts-past-the-end"),
        pytest.param(
            struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01",
            id="pointer-loop",
        ),
    ],
)
async def test_a_malformed_query_gets_formerr_and_the_server_lives_on(served, packet):
    _, _, port = served
    reply = await _udp_exchange(port, packet)
    assert reply is not None
    ident, flags = struct.unpack("!HH", reply[:4])
    assert ident == 0xBEEF
    assert flags & 0x8000  # QR
    assert flags & 0x000F == dns.rcode.FORMERR
    answer = await _resolver(port).resolve("my-svc.default.svc.cluster.local.", "A")
    assert [r.to_text() for r in answer] == ["10.96.5.5"]


async def test_two_questions_in_one_query_get_formerr(served):
    _, _, port = served
    query = dns.message.make_query("my-svc.default.svc.cluster.local", "A")
    query.question.append(
        dns.message.make_query("plain.default.svc.cluster.local", "A").question[0]
    )
    reply = await _udp_exchange(port, query.to_wire())
    assert reply is not None
    assert dns.message.from_wire(reply).rcode() == dns.rcode.FORMERR


async def test_tcp_carries_several_length_prefixed_queries_on_one_connection(served):
    _, _, port = served
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        names = ["my-svc.default.svc.cluster.local", "plain.default.svc.cluster.local"]
        for index, name in enumerate(names):
            wire = dns.message.make_query(name, "A", id=index + 1).to_wire()
            writer.write(struct.pack("!H", len(wire)) + wire)
        await writer.drain()
        replies = []
        for _ in names:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            replies.append(dns.message.from_wire(await reader.readexactly(length)))
        assert [(r.id, r.answer[0][0].to_text()) for r in replies] == [
            (1, "10.96.5.5"),
            (2, "10.96.5.6"),
        ]
    finally:
        writer.close()


async def test_a_tcp_connection_cut_mid_message_does_not_hurt_the_server(served):
    _, _, port = served
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(struct.pack("!H", 200) + b"\x00\x01half")
    await writer.drain()
    writer.close()
    answer = await _resolver(port).resolve("my-svc.default.svc.cluster.local.", "A", tcp=True)
    assert [r.to_text() for r in answer] == ["10.96.5.5"]


async def test_addresses_come_in_a_changing_order_as_with_loadbalance(served):
    _, _, port = served
    query = dns.message.make_query("web.default.svc.cluster.local", "A")
    orders = set()
    for _ in range(20):
        reply = await dns.asyncquery.udp(query, HOST, port=port, timeout=3)
        orders.add(tuple(r.to_text() for r in reply.answer[0]))
    assert orders == {("10.244.1.5", "10.244.2.6"), ("10.244.2.6", "10.244.1.5")}


async def test_objects_that_cannot_be_read_give_servfail_not_a_crash():
    def broken() -> Cluster:
        raise ConnectionRefusedError("the API server is down")

    server = ClusterDNS(broken)
    wire = server.handle(
        dns.message.make_query("my-svc.default.svc.cluster.local", "A").to_wire(), limit=512
    )
    assert wire is not None
    assert dns.message.from_wire(wire).rcode() == dns.rcode.SERVFAIL


async def test_a_repeated_question_gets_its_own_id_and_the_same_answer(served):
    server, live, _ = served
    for ident in (1, 2, 0xFFFF):
        query = dns.message.make_query("my-svc.default.svc.cluster.local", "A", id=ident)
        wire = server.handle(query.to_wire(), limit=512)
        assert wire is not None
        reply = dns.message.from_wire(wire)
        assert (reply.id, reply.answer[0][0].to_text()) == (ident, "10.96.5.5")
    assert live.reads == 3  # each query still looks at the current objects


async def test_an_object_no_answer_can_be_made_from_gives_servfail_not_a_crash(served):
    """An ExternalName the API would have refused (a label over 63 characters)."""
    server, live, port = served
    broken = service("odd", type="ExternalName", externalName="x" * 70 + ".example.com")
    live.objects = replace(live.objects, services=[*live.objects.services, broken])
    reply = await dns.asyncquery.udp(
        dns.message.make_query("odd.default.svc.cluster.local", "A"), HOST, port=port, timeout=3
    )
    assert reply.rcode() == dns.rcode.SERVFAIL
    answer = await _resolver(port).resolve("my-svc.default.svc.cluster.local.", "A")
    assert [r.to_text() for r in answer] == ["10.96.5.5"]


def test_three_thousand_mangled_queries_never_raise():
    """Every byte of real queries flipped, cut and extended at random: each gets a reply or
    is dropped, and the server never raises."""
    server = ClusterDNS(Live(cluster()), rng=random.Random(1))
    rng = random.Random(16)
    seeds = [
        dns.message.make_query(name, qtype, use_edns=edns).to_wire()
        for name, qtype in [
            ("my-svc.default.svc.cluster.local", "A"),
            ("_web._tcp.web.default.svc.cluster.local", "SRV"),
            ("5.5.96.10.in-addr.arpa", "PTR"),
        ]
        for edns in (None, 0)
    ]
    answered = 0
    for _ in range(3_000):
        wire = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            wire[rng.randrange(len(wire))] = rng.randrange(256)
        if rng.random() < 0.3:
            wire = wire[: rng.randrange(len(wire))]
        if rng.random() < 0.2:
            wire += rng.randbytes(rng.randint(1, 40))
        reply = server.handle(bytes(wire), limit=rng.choice([512, None]))
        if reply is not None:
            answered += 1
            assert len(reply) >= 12 and reply[:2] == bytes(wire[:2])
    assert answered > 1_500
