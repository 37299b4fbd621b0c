"""Regression: a pod's processes live in the cluster's own slice of 127/8.

With another kubesim on the machine holding network id 0, this cluster claims another id;
the kubelet used to start containers with KUBESIM_NET_ID=0 anyway, so their servers bound
the other cluster's twins: "address already in use" crash loops, and probes (which used the
right id) never reached them. In-process, no kubectl: the kubelet is the unit here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.certs import ensure_tls
from kubesim.cluster.live import Cluster, install
from kubesim.core.clock import Clock
from kubesim.network import NetId, claim
from kubesim.network.fabric import FORCE_ENV, LOOPBACK
from kubesim.store.sqlite import Store


@pytest.fixture
async def cluster_beside_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Api, Cluster, NetId]]:
    # the loopback shim is what this regression is about (the fabric has no twins)
    monkeypatch.setenv(FORCE_ENV, LOOPBACK)
    other = claim()  # stands in for a second kubesim on this machine
    store = Store(tmp_path / "state.db")
    # a CA, as every kube-apiserver has: the root-CA publisher fills kube-root-ca.crt from it
    api = Api(store, clock=Clock(scale=10.0), root_ca=ensure_tls(tmp_path / "tls").ca_pem)
    bootstrap(api)
    cluster = install(api)
    task = asyncio.create_task(cluster.run())
    try:
        yield api, cluster, other
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        store.close()
        other.release()


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web"},
    "spec": {
        "nodeName": "kubelab-worker",
        "containers": [
            {
                "name": "model-server",
                "image": "kubelab/inference:2.4.0",
                "env": [
                    {"name": "MODEL_PATH", "value": "models/iris-logreg.json"},
                    {"name": "STARTUP_SECONDS", "value": "0.2"},
                ],
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 2},
            }
        ],
    },
}


async def test_pod_processes_bind_the_twin_of_the_clusters_own_network_id(
    cluster_beside_another: tuple[Api, Cluster, NetId],
) -> None:
    api, cluster, other = cluster_beside_another
    assert cluster.net_id.value != other.value
    pods = api.resource("", "v1", "pods")
    api.create(pods, "default", POD)

    status: dict = {}
    for _ in range(300):
        status = api.get(pods, "default", "web").get("status", {})
        container = (status.get("containerStatuses") or [{}])[0]
        if container.get("ready"):
            break
        await asyncio.sleep(0.1)

    assert container.get("ready") is True, status
    assert container.get("restartCount") == 0, status
    backend = await api.hooks.proxy.pod("default", "web", "8080")
    assert backend.host.startswith(f"127.{100 + cluster.net_id.value}.")
    reader, writer = await asyncio.open_connection(backend.host, backend.port)
    writer.write(b"GET /version HTTP/1.0\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.0 200") or b" 200 " in answer.split(b"\r\n")[0]
