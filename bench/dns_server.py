"""Measure the cluster DNS server (kubesim/network/dnsserver.py): latency and queries per second.

The server runs in this process's event loop, as it does in kubesim, answering from a cluster
of `--services` ClusterIP Services (each with an EndpointSlice of 3 pods) on a UDP and a TCP
socket on 127.0.0.1. A client in another process (as a pod would be) then measures:

* UDP latency: `--rounds` sequential A queries for random Services, p50 and p99;
* TCP latency: the same over one kept-open connection, p50;
* UDP throughput: queries per second with `--window` queries in flight, for `--seconds`;
* and, in this process, the cost of answering one query without the network (`handle`).

Each is measured twice: with the server's per-snapshot replies off (every query parsed,
answered and rendered by dnspython) and on (the default: a repeated question while the
objects are unchanged is answered from the reply kept for it).

    .venv/bin/python bench/dns_server.py [--services 200] [--rounds 3000] [--window 32] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import time

import dns.message

from kubesim.network.dnsrecords import Cluster
from kubesim.network.dnsserver import ClusterDNS

CLIENT = r"""
import json, random, select, socket, statistics, struct, sys, time
import dns.message
port, services, rounds, window, seconds = map(float, sys.argv[1:6])
port, services, rounds, window = int(port), int(services), int(rounds), int(window)
names = [f"svc-{i}.default.svc.cluster.local" for i in range(services)]
wires = [dns.message.make_query(n, "A").to_wire() for n in names]
def query(i, ident):
    return struct.pack("!H", ident) + wires[i][2:]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.connect(("127.0.0.1", port))
udp.settimeout(2)
lat = []
for n in range(rounds):
    t = time.perf_counter()
    udp.send(query(random.randrange(services), n & 0xFFFF))
    reply = udp.recv(4096)
    lat.append(time.perf_counter() - t)
    assert dns.message.from_wire(reply).answer, reply
tcp = socket.create_connection(("127.0.0.1", port))
tlat = []
for n in range(rounds // 3):
    wire = query(random.randrange(services), n & 0xFFFF)
    t = time.perf_counter()
    tcp.sendall(struct.pack("!H", len(wire)) + wire)
    (length,) = struct.unpack("!H", tcp.recv(2, socket.MSG_WAITALL))
    tcp.recv(length, socket.MSG_WAITALL)
    tlat.append(time.perf_counter() - t)
udp.setblocking(False)
sent = got = 0
end = time.perf_counter() + seconds
while time.perf_counter() < end:
    while sent - got < window:
        udp.send(query(sent % services, sent & 0xFFFF))
        sent += 1
    select.select([udp], [], [], 1)
    while True:
        try:
            udp.recv(4096)
            got += 1
        except BlockingIOError:
            break
elapsed = seconds
q = statistics.quantiles(lat, n=100)
print(json.dumps({
    "udp_p50_ms": statistics.median(lat) * 1000, "udp_p99_ms": q[98] * 1000,
    "tcp_p50_ms": statistics.median(tlat) * 1000, "udp_qps": got / elapsed, "lost": sent - got,
}))
"""


def _cluster(count: int) -> Cluster:
    services, slices = [], []
    for i in range(count):
        name = f"svc-{i}"
        services.append(
            {
                "metadata": {"name": name, "namespace": "default"},
                "spec": {
                    "clusterIP": f"10.96.{i // 250 + 1}.{i % 250 + 1}",
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
                },
            }
        )
        slices.append(
            {
                "metadata": {
                    "name": f"{name}-abcde",
                    "namespace": "default",
                    "labels": {"kubernetes.io/service-name": name},
                },
                "endpoints": [
                    {"addresses": [f"10.244.{j}.{i % 250 + 1}"], "conditions": {"ready": True}}
                    for j in range(1, 4)
                ],
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            }
        )
    return Cluster(services=services, slices=slices)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    objects = _cluster(args.services)
    print(f"services: {args.services} (each with 3 ready endpoints)")
    for cache in (False, True):
        server = ClusterDNS(lambda: objects, cache=cache)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", port))
        tcp.listen()
        await server.start(udp=udp, tcp=tcp)

        wire = dns.message.make_query("svc-7.default.svc.cluster.local", "A").to_wire()
        server.handle(wire, limit=512)  # the index is built on the first query
        costs = []  # per call, the median: the machine is shared
        for _ in range(3000):
            start = time.perf_counter()
            server.handle(wire, limit=512)
            costs.append(time.perf_counter() - start)
        per_query = statistics.median(costs)

        client = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CLIENT, str(port), str(args.services), str(args.rounds),
            str(args.window), str(args.seconds),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await client.communicate()
        await server.close()
        result = json.loads(out)
        print(f"-- replies kept per snapshot: {'on' if cache else 'off'}")
        print(f"answer one query in-process (handle), p50: {per_query * 1e6:.0f} us")
        print(f"UDP latency p50: {result['udp_p50_ms']:.2f} ms, p99: {result['udp_p99_ms']:.2f} ms")
        print(f"TCP latency p50 (one connection): {result['tcp_p50_ms']:.2f} ms")
        print(
            f"UDP throughput, {args.window} in flight: {result['udp_qps']:.0f} queries/s "
            f"({result['lost']} still in flight or lost at the end)"
        )


if __name__ == "__main__":
    asyncio.run(main())
