"""Service traffic goes through the kube-proxy stand-in to ready endpoints only."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kubesim.network import Endpoint, ServiceProxy, claim, dns_records, twin, write_hosts_file
from kubesim.network._dns import search_path


async def _echo_server(host: str, port: int, tag: bytes) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(100)
        writer.write(tag + data)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, host=host, port=port)


async def _ask(host: str, port: int) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"ping")
    await writer.drain()
    data = await reader.read(100)
    writer.close()
    return data


async def test_connections_reach_a_ready_endpoint_through_the_cluster_ip_twin():
    net = claim()  # a network id of our own: other clusters may run on this machine
    n = net.value
    a = await _echo_server(twin("10.244.9.1", n), 18091, b"a:")
    b = await _echo_server(twin("10.244.9.2", n), 18091, b"b:")
    svc = twin("10.96.9.9", n)
    proxy = ServiceProxy(net_id=n)
    try:
        await proxy.sync(
            {("10.96.9.9", 18080): [Endpoint("10.244.9.1", 18091), Endpoint("10.244.9.2", 18091)]}
        )
        answers = {await _ask(svc, 18080) for _ in range(20)}
        assert answers == {b"a:ping", b"b:ping"}
        await proxy.sync({("10.96.9.9", 18080): [Endpoint("10.244.9.2", 18091)]})
        assert {await _ask(svc, 18080) for _ in range(5)} == {b"b:ping"}
        await proxy.sync({("10.96.9.9", 18080): []})
        # no ready endpoint: the connection is closed at once, like kube-proxy's REJECT
        try:
            answer = await _ask(svc, 18080)
        except ConnectionResetError:
            answer = b""
        assert answer == b""
        await proxy.sync({})
        try:
            await _ask(svc, 18080)
            raise AssertionError("listener should be gone")
        except ConnectionRefusedError:
            pass
    finally:
        await proxy.close()
        a.close()
        b.close()
        net.release()


def test_twins_keep_clusters_apart():
    first, second = claim(), claim()
    try:
        assert first.value != second.value
        assert twin("10.244.1.5", first.value) != twin("10.244.1.5", second.value)
        assert twin("10.244.1.5", 3) == "127.103.1.5"
        assert twin("10.96.0.11", 3) == "127.163.0.11"
        assert twin("172.18.0.3", 3) == "172.18.0.3"
    finally:
        first.release()
        second.release()


def test_dns_records_and_search_path_match_cluster_dns(tmp_path: Path):
    services = [
        {
            "metadata": {"name": "inference-service", "namespace": "lab"},
            "spec": {"clusterIP": "10.96.0.20"},
        },
        {"metadata": {"name": "headless", "namespace": "lab"}, "spec": {"clusterIP": "None"}},
    ]
    records = dns_records(services)
    assert records == [("10.96.0.20", ["inference-service.lab.svc.cluster.local"])]
    write_hosts_file(tmp_path / "hosts", records)
    assert (
        tmp_path / "hosts"
    ).read_text() == "10.96.0.20 inference-service.lab.svc.cluster.local\n"
    assert search_path("lab")[0] == "lab.svc.cluster.local"


def test_a_headless_service_resolves_to_its_ready_pods_and_their_hostnames():
    services = [{"metadata": {"name": "nginx", "namespace": "lab"}, "spec": {"clusterIP": "None"}}]
    endpoints = {
        ("lab", "nginx"): {
            "subsets": [
                {
                    "addresses": [{"ip": "10.244.1.5", "hostname": "web-0"}, {"ip": "10.244.2.5"}],
                    "notReadyAddresses": [{"ip": "10.244.1.9", "hostname": "web-1"}],
                }
            ]
        }
    }
    assert dns_records(services, endpoints) == [
        ("10.244.1.5", ["web-0.nginx.lab.svc.cluster.local", "nginx.lab.svc.cluster.local"]),
        ("10.244.2.5", ["nginx.lab.svc.cluster.local"]),
    ]


ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to act as nobody"
)
def test_another_user_claims_an_id_beside_roots_cluster():
    """Loopback addresses are machine-wide, so every user shares the lock folder: root's
    first cluster must not leave it closed to the learner's own account (it did: 0755)."""
    base = Path(tempfile.mkdtemp(prefix="netid-"))  # in /tmp: nobody can reach it
    base.chmod(0o755)
    folder = base / "kubesim-net"
    held = claim(folder)  # root's cluster: id 0, its lock file 0644
    try:
        assert folder.stat().st_mode & 0o7777 == 0o1777
        done = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable,
             "-c", f"from pathlib import Path; from kubesim.network import claim; "
             f"print(claim(Path({str(folder)!r})).value)"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert int(done.stdout) != held.value
    finally:
        held.release()
        shutil.rmtree(base)
