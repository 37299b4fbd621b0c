"""What exec and port-forward reach on a node (cluster/streams.py, in-process): the running
container's commands through its exec_spec, the pod's port where the probes reach it, and
the kubelet's and API server's words when there is nothing to reach."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _loops_helpers import live_cluster

from kubesim.apiserver.api import Api
from kubesim.apiserver.hooks import StreamUnavailable
from kubesim.cluster.live import Cluster
from kubesim.core.errors import UntypedError

SERVER = (
    "import http.server as h; h.HTTPServer(('', 8000), h.SimpleHTTPRequestHandler).serve_forever()"
)


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[tuple[Api, Cluster]]:
    async with live_cluster(tmp_path, scale=10.0) as made:
        yield made


async def _running_pod(api: Api) -> dict:
    pods = api.resource("", "v1", "pods")
    api.create(
        pods,
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {
                "nodeName": "kubelab-worker",
                "containers": [
                    {
                        "name": "web",
                        "image": "kubelab/inference:2.5.0",
                        "command": ["python3", "-c", SERVER],
                        "env": [{"name": "GREETING", "value": "hi"}],
                        "readinessProbe": {"tcpSocket": {"port": 8000}, "periodSeconds": 1},
                    }
                ],
            },
        },
    )
    for _ in range(200):
        pod = api.get(pods, "default", "web")
        statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
        if statuses[0].get("ready"):
            return pod
        await asyncio.sleep(0.1)
    raise AssertionError(f"the pod never got ready: {pod.get('status')}")


async def test_exec_runs_in_the_container_and_dial_reaches_its_port(cluster) -> None:
    api, _ = cluster
    pod = await _running_pod(api)
    streams = api.hooks.streams
    session = await streams.container(pod, "web").exec(
        ["sh", "-c", "echo $GREETING; pwd"], stdin=False, tty=False
    )
    out = b"".join([data async for _, data in session.output()])
    assert await session.wait() == 0
    greeting, cwd = out.decode().split()
    assert greeting == "hi"  # the container's environment
    # the image's WORKDIR: /app in the container world, the sandbox standing in for it else
    assert cwd == "/app" or cwd.endswith("/web"), cwd

    reader, writer = await streams.dial(pod, 8000)
    writer.write(b"GET / HTTP/1.0\r\n\r\n")
    assert (await reader.read()).startswith(b"HTTP/1.0 200 OK")
    writer.close()

    with pytest.raises(StreamUnavailable) as refused:
        await streams.dial(pod, 8001)
    sandbox = streams.sandbox_id(pod)
    assert len(sandbox) == 64
    assert (
        f'failed to connect to localhost:8001 inside namespace "{sandbox}", IPv4: dial tcp4 '
        in (refused.value.message)
    )
    assert refused.value.message.startswith(
        'failed to execute portforward in network namespace "/var/run/netns/cni-'
    )


async def test_refusals_name_what_is_missing(cluster) -> None:
    api, cl = cluster
    pod = await _running_pod(api)
    streams = api.hooks.streams
    with pytest.raises(StreamUnavailable, match=r'^container not found \("other"\)$'):
        streams.container(pod, "other")
    elsewhere = {**pod, "metadata": {**pod["metadata"], "uid": "not-on-this-node"}}
    with pytest.raises(StreamUnavailable, match="^pod does not exist$") as gone:
        streams.container(elsewhere, "web")
    assert gone.value.code == 404
    await cl.stop_node("kubelab-worker")
    with pytest.raises(UntypedError) as down:
        streams.container(pod, "web")
    assert down.value.message == (
        "error dialing backend: dial tcp 172.18.0.2:10250: connect: connection refused"
    )
