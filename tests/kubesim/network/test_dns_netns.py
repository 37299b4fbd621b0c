"""The cluster DNS as a pod sees it: in a throwaway network namespace with 10.96.0.10 on its
loopback and a resolv.conf as the kubelet writes it, busybox's nslookup and glibc (getent,
Python's socket module) ask kubesim's server, which serves on sockets made in there.

The namespace (`unshare --user --map-root-user --net --mount`, the same as root and as an
unprivileged user) is held by a small child that creates the UDP and TCP sockets on
10.96.0.10:53, passes them back over a socketpair (SCM_RIGHTS) as the fabric's agent does,
bind-mounts the resolv.conf over /etc/resolv.conf in its own mount namespace, and then runs
the commands the test sends it. The server runs in the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _dns_cluster import cluster, endpoint, endpoint_slice, service

from kubesim.network.dnsrecords import Cluster
from kubesim.network.dnsserver import ClusterDNS

BUSYBOX = shutil.which("busybox") or "/bin/busybox"
MISSING = [tool for tool in ("unshare", "ip", "getent") if not shutil.which(tool)]
if not Path(BUSYBOX).exists():
    MISSING.append("busybox")
pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"needs {', '.join(MISSING)} (util-linux, iproute2, libc-bin, busybox-static: .ci/run installs them)",
)

RESOLV_CONF = "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"

CHILD = r"""
import json, socket, subprocess, sys
ip, chan_fd, resolv = sys.argv[1], int(sys.argv[2]), sys.argv[3]
subprocess.run([ip, "link", "set", "lo", "up"], check=True)
subprocess.run([ip, "addr", "add", "10.96.0.10/32", "dev", "lo"], check=True)
subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("10.96.0.10", 53))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.bind(("10.96.0.10", 53))
tcp.listen()
socket.send_fds(socket.socket(fileno=chan_fd), [b"sockets"], [udp.fileno(), tcp.fileno()])
udp.close()
tcp.close()
for line in sys.stdin:
    done = subprocess.run(json.loads(line), capture_output=True, text=True, timeout=20)
    print(json.dumps([done.returncode, done.stdout + done.stderr]), flush=True)
"""


class Pod:
    """Runs commands inside the namespace; `run` returns (exit code, output)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    async def run(self, *argv: str) -> tuple[int, str]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write((json.dumps(list(argv)) + "\n").encode())
        await self._process.stdin.drain()
        line = await asyncio.wait_for(self._process.stdout.readline(), 30)
        code, output = json.loads(line)
        return code, output


def _objects() -> Cluster:
    objects = cluster()
    big = service("big", clusterIP="None", ports=[{"name": "web", "port": 80}])
    ips = [f"10.244.3.{i}" for i in range(10, 70)]
    return Cluster(
        services=[*objects.services, big],
        slices=[
            *objects.slices,
            endpoint_slice("big", [endpoint(ip) for ip in ips], [{"name": "web", "port": 80}]),
        ],
        namespaces=objects.namespaces,
    )


@pytest.fixture
async def pod(tmp_path: Path) -> AsyncIterator[Pod]:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(RESOLV_CONF)
    ours, theirs = socket.socketpair()
    process = await asyncio.create_subprocess_exec(
        "unshare", "--user", "--map-root-user", "--net", "--mount", "--fork",
        sys.executable, "-c", CHILD, shutil.which("ip") or "ip", str(theirs.fileno()), str(resolv),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        pass_fds=[theirs.fileno()],
    )  # fmt: skip
    theirs.close()
    server = None
    try:
        ours.settimeout(20)
        _, fds, _, _ = await asyncio.to_thread(socket.recv_fds, ours, 64, 2)
        assert len(fds) == 2, "the namespace's child passed no sockets back"
        udp = socket.socket(fileno=fds[0])
        tcp = socket.socket(fileno=fds[1])
        server = ClusterDNS(_objects)
        await server.start(udp=udp, tcp=tcp)
        yield Pod(process)
    finally:
        ours.close()
        if server is not None:
            await server.close()
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_busybox_nslookup_finds_a_service_at_the_cluster_dns(pod):
    code, output = await pod.run(
        BUSYBOX, "nslookup", "my-svc.default.svc.cluster.local", "10.96.0.10"
    )
    assert code == 0, output
    assert "Name:\tmy-svc.default.svc.cluster.local\nAddress: 10.96.5.5" in output


async def test_busybox_nslookup_of_a_short_name_goes_through_the_search_path(pod):
    """resolv.conf's `search default.svc.cluster.local ...`: `my-svc` is found as
    my-svc.default.svc.cluster.local; busybox also prints the other search domains' NXDOMAIN
    (and so exits 1), as it does on kind."""
    _, output = await pod.run(BUSYBOX, "nslookup", "my-svc")
    assert "Server:\t\t10.96.0.10" in output
    assert "Name:\tmy-svc.default.svc.cluster.local\nAddress: 10.96.5.5" in output
    assert "server can't find my-svc.svc.cluster.local: NXDOMAIN" in output


async def test_glibc_resolves_a_short_name_with_ndots_5(pod):
    code, output = await pod.run("getent", "hosts", "my-svc")
    assert code == 0, output
    assert output.split() == ["10.96.5.5", "my-svc.default.svc.cluster.local"]
    code, output = await pod.run(
        sys.executable, "-c", "import socket; print(socket.gethostbyname('web-0.web'))"
    )
    assert (code, output.strip()) == (0, "10.244.1.5")


async def test_glibc_gets_a_truncated_answer_whole_over_tcp(pod):
    """60 headless endpoints do not fit 512 bytes: the TC bit sends glibc to TCP."""
    code, output = await pod.run("getent", "ahostsv4", "big.default.svc.cluster.local")
    assert code == 0, output
    assert len({line.split()[0] for line in output.splitlines()}) == 60


async def test_busybox_nslookup_reports_nxdomain_and_servfail(pod):
    code, output = await pod.run(
        BUSYBOX, "nslookup", "nope.default.svc.cluster.local", "10.96.0.10"
    )
    assert code != 0
    assert "server can't find nope.default.svc.cluster.local: NXDOMAIN" in output
    code, output = await pod.run(BUSYBOX, "nslookup", "example.com", "10.96.0.10")
    assert code != 0
    assert "server can't find example.com: SERVFAIL" in output  # no upstream, on purpose


async def test_busybox_nslookup_reverse_and_srv(pod):
    _, output = await pod.run(BUSYBOX, "nslookup", "10.96.5.5", "10.96.0.10")
    assert "5.5.96.10.in-addr.arpa\tname = my-svc.default.svc.cluster.local" in output
    _, output = await pod.run(
        BUSYBOX, "nslookup", "-type=srv", "_web._tcp.web.default.svc.cluster.local", "10.96.0.10"
    )
    assert "service = 0 50 80 web-0.web.default.svc.cluster.local" in output
    assert "service = 0 50 80 web-1.web.default.svc.cluster.local" in output


async def test_busybox_nslookup_lists_a_headless_services_ready_pods(pod):
    _, output = await pod.run(BUSYBOX, "nslookup", "web.default.svc.cluster.local", "10.96.0.10")
    addresses = {line.split()[-1] for line in output.splitlines() if line.startswith("Address: ")}
    assert addresses == {"10.244.1.5", "10.244.2.6"}


async def test_kubernetes_default_resolves_through_the_search_path(pod):
    """kubernetes.io "Debugging DNS Resolution" looks up `kubernetes.default`: glibc (one dot,
    under ndots:5) tries the search path first and finds kubernetes.default.svc.cluster.local.
    busybox's nslookup (>= 1.28) asks a dotted name only as it is: on kind the node's upstream
    says NXDOMAIN, here the missing upstream says SERVFAIL (dnsanswer.py), both a failure."""
    code, output = await pod.run(
        sys.executable,
        "-c",
        "import socket; print(socket.getaddrinfo('kubernetes.default', 443)[0][4][0])",
    )
    assert (code, output.strip()) == (0, "10.96.0.1")
    code, output = await pod.run("getent", "hosts", "kubernetes.default")
    assert output.split() == ["10.96.0.1", "kubernetes.default.svc.cluster.local"]
    code, output = await pod.run(BUSYBOX, "nslookup", "kubernetes.default")
    assert code != 0
    assert "server can't find kubernetes.default: SERVFAIL" in output
