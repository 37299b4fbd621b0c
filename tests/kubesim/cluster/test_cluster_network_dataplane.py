"""The data plane does not run in kubesim's process: Services are kernel rules in the fabric.

A whole in-process cluster programs kube-proxy's nftables table for a Service; then kubesim's
event loop (the API server, controllers, kubelets and every userspace proxy) is frozen, and a
connection to the ClusterIP still reaches the pod: the kernel rewrote it, nothing in kubesim
handled it. That is what lets Services keep answering while the control plane is down.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _loops_helpers import live_cluster

from kubesim.apiserver.api import Api
from kubesim.cluster.live import Cluster
from kubesim.kubelet._world import probe
from kubesim.network.fabric import unavailable_reason

REASON = unavailable_reason(probe().contained)
pytestmark = pytest.mark.skipif(bool(REASON), reason=f"no cluster network here: {REASON}")

WEB = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "nodeName": "kubelab-worker",
        "containers": [
            {
                "name": "web",
                "image": "busybox:1.36",
                "command": ["sh", "-c", "mkdir -p /w && echo kernel-ok > /w/index.html && exec httpd -f -p 8080 -h /w"],
            }
        ],
    },
}  # fmt: skip


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[tuple[Api, Cluster]]:
    async with live_cluster(tmp_path, scale=10.0) as made:
        yield made


def _get(cluster: Cluster, host: str, port: int) -> bytes:
    """A blocking HTTP GET from the fabric (as a node would), on a socket made inside it."""
    assert cluster.fabric is not None
    with cluster.fabric.socket() as sock:
        sock.settimeout(5)
        sock.connect((host, port))
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        return answer


async def test_a_service_answers_while_kubesim_s_event_loop_is_frozen(cluster) -> None:
    api, cl = cluster
    pods = api.resource("", "v1", "pods")
    api.create(pods, "default", WEB)
    ip = ""
    for _ in range(300):
        status = api.get(pods, "default", "web").get("status") or {}
        ip = (
            status.get("podIP", "")
            if (status.get("containerStatuses") or [{}])[0].get("ready")
            else ""
        )
        if ip:
            break
        await asyncio.sleep(0.1)
    assert ip, "the pod did not become Ready"
    svc = api.create(
        api.resource("", "v1", "services"),
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        },
    )
    cluster_ip = svc["spec"]["clusterIP"]
    api.create(  # what the EndpointSlice controller writes (no controllers run here)
        api.resource("discovery.k8s.io", "v1", "endpointslices"),
        "default",
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "web-x1", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
            "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
        },
    )
    loop = asyncio.get_running_loop()
    answer = b""
    for _ in range(100):  # until kube-proxy's table is in force
        if cl.network.dataplane is not None and cl.network.dataplane.programmed:
            answer = await loop.run_in_executor(None, _get, cl, cluster_ip, 80)
            if answer.endswith(b"kernel-ok\n"):
                break
        await asyncio.sleep(0.1)
    assert answer.endswith(b"kernel-ok\n"), answer
    assert not cl.network.proxy._servers  # no userspace listener: the kernel's rules only

    frozen: dict[str, bytes | BaseException] = {}

    def client() -> None:
        try:
            frozen["answer"] = _get(cl, cluster_ip, 80)
        except OSError as exc:
            frozen["error"] = exc

    thread = threading.Thread(target=client)
    thread.start()
    time.sleep(2.0)  # blocks the event loop: no API, no kubelet, no proxy runs meanwhile
    assert "answer" in frozen, frozen  # answered while kubesim's loop was frozen
    thread.join()
    assert frozen["answer"].endswith(b"kernel-ok\n"), frozen
