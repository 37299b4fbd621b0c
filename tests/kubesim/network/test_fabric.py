"""The fabric: one network namespace kubesim owns, a routed veth per pod, sockets made inside.

These start the real agent (`unshare --net`), so they need util-linux, iproute2 and
nftables (CI installs them); without them they skip saying which tool is missing.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from kubesim.kubelet._world import probe
from kubesim.network.fabric import SPARE_SOCKETS, Fabric, FabricError, unavailable_reason

REASON = unavailable_reason(probe().contained)
pytestmark = pytest.mark.skipif(bool(REASON), reason=f"no fabric here: {REASON}")


@pytest.fixture
async def fabric() -> AsyncIterator[Fabric]:
    fab = Fabric(node_ips=["172.18.0.2", "172.18.0.3"])
    await fab.start()
    try:
        yield fab
    finally:
        await fab.close()


async def _serve(fab: Fabric, uid: str, port: int, tag: bytes) -> asyncio.Server:
    """A server bound to 0.0.0.0 inside pod `uid`'s sandbox, as a pod's program binds."""
    sock = fab.socket(pod_uid=uid)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    sock.listen()
    sock.setblocking(False)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")[0]
        writer.write(tag + b" " + peer.encode())
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, sock=sock)


async def _read(fab: Fabric, host: str, port: int, *, pod_uid: str | None = None) -> bytes:
    reader, writer = await fab.open_connection(host, port, pod_uid=pod_uid)
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


async def test_pods_reach_each_other_by_pod_ip_through_the_routed_veth(fabric: Fabric):
    await fabric.sandbox("a", "10.244.1.2")
    await fabric.sandbox("b", "10.244.2.2")
    server = await _serve(fabric, "b", 8080, b"b")
    try:
        # from pod a: the source address is a's pod IP (routed, no NAT)
        assert await _read(fabric, "10.244.2.2", 8080, pod_uid="a") == b"b 10.244.1.2"
        # from the fabric itself, as a node (the kubelet's probes)
        assert (await _read(fabric, "10.244.2.2", 8080)).startswith(b"b ")
    finally:
        server.close()


async def test_two_pods_listen_on_the_same_port(fabric: Fabric):
    await fabric.sandbox("a", "10.244.1.2")
    await fabric.sandbox("b", "10.244.1.3")
    servers = [await _serve(fabric, "a", 80, b"a"), await _serve(fabric, "b", 80, b"b")]
    try:
        assert (await _read(fabric, "10.244.1.2", 80)).startswith(b"a ")
        assert (await _read(fabric, "10.244.1.3", 80)).startswith(b"b ")
        # port-forward's way in: the pod's own localhost
        assert await _read(fabric, "127.0.0.1", 80, pod_uid="b") == b"b 127.0.0.1"
    finally:
        for server in servers:
            server.close()


async def test_nothing_leaves_the_cluster_network(fabric: Fabric):
    """No uplink: an address outside the cluster network, or a ClusterIP-looking one outside
    the Service CIDR, has no route from a pod (the kernel says so at once)."""
    await fabric.sandbox("a", "10.244.1.2")
    for address in ("1.1.1.1", "10.97.0.1", "192.168.0.1"):
        with pytest.raises(OSError) as caught:
            await asyncio.wait_for(fabric.open_connection(address, 80, pod_uid="a"), 5)
        assert caught.value.errno == 101, (address, caught.value)  # ENETUNREACH


async def test_nodes_and_cluster_ips_are_addresses_in_the_fabric(fabric: Fabric):
    """Node InternalIPs and the whole Service CIDR are local in the fabric, so the API
    server's in-cluster address and a ClusterIP listener can be bound there."""
    for host in ("172.18.0.2", "10.96.0.1"):
        sock = fabric.listening_socket(host, 6443)
        server = await asyncio.start_server(lambda r, w: w.close(), sock=sock)
        await fabric.sandbox("a", "10.244.1.2")
        reader, writer = await fabric.open_connection(host, 6443, pod_uid="a")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        server.close()
        await fabric.release("a")


async def test_a_released_sandbox_takes_its_address_with_it(fabric: Fabric):
    await fabric.sandbox("a", "10.244.1.2")
    server = await _serve(fabric, "a", 80, b"a")
    server.close()
    await fabric.release("a")
    await fabric.sandbox("b", "10.244.1.3")
    with pytest.raises(OSError):
        await asyncio.wait_for(fabric.open_connection("10.244.1.2", 80, pod_uid="b"), 5)
    with pytest.raises(FabricError):
        fabric.socket(pod_uid="a")


async def test_a_nodes_sockets_come_a_spare_few_per_round_trip(
    fabric: Fabric, monkeypatch: pytest.MonkeyPatch
):
    """Every probe a node sends needs a socket made in the fabric; they are fetched from the
    agent SPARE_SOCKETS at a time, each a socket of its own that dials from the fabric, and
    closing the fabric closes the ones not used."""
    await fabric.sandbox("b", "10.244.2.2")
    server = await _serve(fabric, "b", 8080, b"b")
    fetched: list[int] = []
    fetch = fabric._fetch

    def counting(family: int, kind: int, pod_uid: str, count: int) -> list[socket.socket]:
        fetched.append(count)
        return fetch(family, kind, pod_uid, count)

    monkeypatch.setattr(fabric, "_fetch", counting)
    try:
        for _ in range(SPARE_SOCKETS + 1):
            assert (await _read(fabric, "10.244.2.2", 8080)).startswith(b"b ")
        udp = fabric.socket(socket.AF_INET, socket.SOCK_DGRAM)
        assert udp.type == socket.SOCK_DGRAM
        assert await _read(fabric, "10.244.2.2", 8080, pod_uid="b")  # a pod's: one, made for it
    finally:
        server.close()
    assert fetched == [SPARE_SOCKETS, SPARE_SOCKETS, SPARE_SOCKETS, 1]
    spare = [sock for socks in fabric._spare.values() for sock in socks]
    assert len(spare) == 2 * SPARE_SOCKETS - 2
    await fabric.close()
    assert all(sock.fileno() == -1 for sock in spare)


async def test_nft_rules_apply_inside_and_errors_are_nfts(fabric: Fabric):
    await fabric.apply(
        "table ip kubesim-test {\n  chain c {\n    type filter hook forward priority 0;\n  }\n}\n"
    )
    with pytest.raises(FabricError, match="nft refused the rules: .*syntax error"):
        await fabric.apply("table ip kubesim-test { bogus }\n")
