"""The process kubelet, in-process: real inference processes behind real pod statuses.

Pods are bound by hand (spec.nodeName) so these tests need no scheduler; the clock runs
fast so back-off and probe periods pass quickly.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from _loops_helpers import live_cluster

from kubesim.apiserver.api import Api
from kubesim.apiserver.hooks import LogRequest
from kubesim.cluster.live import Cluster

SCALE = 10.0


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[tuple[Api, Cluster]]:
    async with live_cluster(tmp_path, scale=SCALE) as made:
        yield made


def _pod(
    name: str,
    *,
    env: list[dict] | None = None,
    image: str = "kubelab/inference:2.4.0",
    **container: Any,
) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "inference"}},
        "spec": {
            "nodeName": "kubelab-worker",
            "containers": [
                {
                    "name": "model-server",
                    "image": image,
                    "ports": [{"containerPort": 8080}],
                    "env": env
                    if env is not None
                    else [
                        {"name": "MODEL_PATH", "value": "models/iris-logreg.json"},
                        {"name": "STARTUP_SECONDS", "value": "0.2"},
                    ],
                    **container,
                }
            ],
        },
    }


async def _until(api: Api, name: str, test: Callable[[dict], bool], seconds: float = 20.0) -> dict:
    pods = api.resource("", "v1", "pods")
    pod: dict = {}
    for _ in range(int(seconds / 0.1)):
        pod = api.get(pods, "default", name)
        if test(pod):
            return pod
        await asyncio.sleep(0.1)
    raise AssertionError(f"pod {name} never got there; status: {pod.get('status')}")


def _state(pod: dict) -> dict:
    return (pod.get("status", {}).get("containerStatuses") or [{}])[0]


async def _logs(api: Api, pod: dict, **kw: Any) -> str:
    chunks = [c async for c in api.hooks.logs.open(pod, LogRequest(container="model-server", **kw))]
    return b"".join(chunks).decode()


async def _dial(backend: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect where the API server's pod proxy would: with a socket made inside the cluster
    network when it runs (a pod IP is no address on this host), else to the loopback twin."""
    factory = getattr(backend, "socket_factory", None)
    if factory is None:
        return await asyncio.open_connection(backend.host, backend.port)
    sock = factory((socket.AF_INET, socket.SOCK_STREAM, 0, "", (backend.host, backend.port)))
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (backend.host, backend.port))
    return await asyncio.open_connection(sock=sock)


async def test_inference_pod_runs_becomes_ready_and_logs(cluster):
    api, _ = cluster
    pods = api.resource("", "v1", "pods")
    api.create(
        pods,
        "default",
        _pod(
            "web", readinessProbe={"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 2}
        ),
    )
    pod = await _until(api, "web", lambda p: _state(p).get("ready") is True)
    status = pod["status"]
    assert status["phase"] == "Running"
    assert status["podIP"].startswith("10.244.1.")
    assert status["hostIP"] == "172.18.0.2"
    assert "running" in _state(pod)["state"]
    assert _state(pod)["imageID"].startswith("docker.io/kubelab/inference@sha256:")
    assert _state(pod)["image"] == "docker.io/kubelab/inference:2.4.0"  # as containerd reports
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions["Ready"] == "True" and conditions["ContainersReady"] == "True"
    logs = await _logs(api, pod)
    assert "inference 2.4.0 starting" in logs and "ready" in logs
    assert (await _logs(api, pod, tail_lines=1)).count("\n") == 1
    backend = await api.hooks.proxy.pod("default", "web", "8080")
    reader, writer = await _dial(backend)
    writer.write(b"GET /version HTTP/1.0\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert b"200" in answer.split(b"\r\n")[0] and b"2.4.0" in answer
    reasons = {e["reason"] for e in api.list(api.resource("", "v1", "events"), "default").objects()}
    assert {"Pulled", "Created", "Started"} <= reasons


async def test_missing_model_path_crash_loops_with_growing_restarts(cluster):
    api, _ = cluster
    api.create(api.resource("", "v1", "pods"), "default", _pod("crash", env=[]))
    pod = await _until(
        api,
        "crash",
        lambda p: (
            _state(p).get("restartCount", 0) >= 2
            and _state(p).get("state", {}).get("waiting", {}).get("reason") == "CrashLoopBackOff"
        ),
    )
    last = _state(pod)["lastState"]["terminated"]
    assert last["exitCode"] == 1 and last["reason"] == "Error"
    assert pod["status"]["phase"] == "Running"
    previous = await _logs(api, pod, previous=True)
    assert "MODEL_PATH" in previous
    assert "back-off" in _state(pod)["state"]["waiting"]["message"]


async def test_unknown_tag_fails_to_pull_then_backs_off(cluster):
    api, _ = cluster
    api.create(
        api.resource("", "v1", "pods"), "default", _pod("typo", image="kubelab/inference:2.4.1")
    )
    pod = await _until(
        api,
        "typo",
        lambda p: _state(p).get("state", {}).get("waiting", {}).get("reason") == "ImagePullBackOff",
    )
    assert pod["status"]["phase"] == "Pending"
    messages = [
        e["message"] for e in api.list(api.resource("", "v1", "events"), "default").objects()
    ]
    assert any(m.startswith('Failed to pull image "kubelab/inference:2.4.1"') for m in messages)
    assert 'Back-off pulling image "kubelab/inference:2.4.1"' in messages


async def test_memory_limit_below_the_model_is_oomkilled(cluster):
    api, _ = cluster
    api.create(
        api.resource("", "v1", "pods"),
        "default",
        _pod(
            "oom",
            resources={"limits": {"memory": "48Mi"}},
            env=[
                {"name": "MODEL_PATH", "value": "models/iris-logreg.json"},
                {"name": "STARTUP_SECONDS", "value": "0.1"},
            ],
        ),
    )
    pod = await _until(
        api,
        "oom",
        lambda p: (
            (
                _state(p).get("lastState", {}).get("terminated")
                or _state(p).get("state", {}).get("terminated")
                or {}
            ).get("reason")
            == "OOMKilled"
        ),
    )
    term = _state(pod)["lastState"].get("terminated") or _state(pod)["state"]["terminated"]
    assert term["exitCode"] == 137


async def test_deleting_a_pod_stops_its_process_gracefully(cluster):
    api, _ = cluster
    pods = api.resource("", "v1", "pods")
    api.create(pods, "default", _pod("bye"))
    await _until(api, "bye", lambda p: "running" in _state(p).get("state", {}))
    api.delete(pods, "default", "bye")
    from kubesim.core.errors import NotFound

    for _ in range(100):
        try:
            api.get(pods, "default", "bye")
        except NotFound:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("pod was never removed after its processes stopped")


async def test_control_plane_runs_its_static_pods_as_mirror_pods(cluster):
    api, _ = cluster
    pods = api.resource("", "v1", "pods")
    name = "kube-apiserver-kubelab-control-plane"
    pod = await _until_ns(
        api, "kube-system", name, lambda p: p.get("status", {}).get("phase") == "Running"
    )
    assert pod["status"]["podIP"] == "172.18.0.3"  # host network: the node's address
    assert "kubernetes.io/config.mirror" in pod["metadata"]["annotations"]
    names = {p["metadata"]["name"] for p in api.list(pods, "kube-system").objects()}
    assert {
        f"{c}-kubelab-control-plane" for c in ("etcd", "kube-controller-manager", "kube-scheduler")
    } <= names


async def _until_ns(
    api: Api, ns: str, name: str, test: Callable[[dict], bool], seconds: float = 20.0
) -> dict:
    pods = api.resource("", "v1", "pods")
    pod: dict = {}
    for _ in range(int(seconds / 0.1)):
        try:
            pod = api.get(pods, ns, name)
        except Exception:
            pod = {}
        if pod and test(pod):
            return pod
        await asyncio.sleep(0.1)
    raise AssertionError(f"pod {ns}/{name} never got there; status: {pod.get('status')}")


async def test_cordon_and_uncordon_are_reported_as_node_events(cluster):
    api, _ = cluster
    nodes = api.resource("", "v1", "nodes")
    events = api.resource("", "v1", "events")
    node = api.get(nodes, None, "kubelab-worker")
    await asyncio.sleep(0.2)
    api.patch(
        nodes,
        None,
        "kubelab-worker",
        {"spec": {"unschedulable": True}},
        content_type="application/merge-patch+json",
    )

    def reasons() -> list[str]:
        return [
            e["reason"]
            for e in api.list(events, "default").objects()
            if e["involvedObject"].get("kind") == "Node"
            and e["involvedObject"]["name"] == "kubelab-worker"
        ]

    for _ in range(60):
        if "NodeNotSchedulable" in reasons():
            break
        await asyncio.sleep(0.1)
    assert "NodeNotSchedulable" in reasons()
    assert node["metadata"]["name"] == "kubelab-worker"
    api.patch(
        nodes,
        None,
        "kubelab-worker",
        {"spec": {"unschedulable": None}},
        content_type="application/merge-patch+json",
    )
    for _ in range(60):
        if "NodeSchedulable" in reasons():
            break
        await asyncio.sleep(0.1)
    assert "NodeSchedulable" in reasons()


def _with_init(name: str, script: str, *, restart_policy: str = "Always") -> dict:
    pod = _pod(name)
    pod["spec"]["restartPolicy"] = restart_policy
    pod["spec"]["initContainers"] = [
        {"name": "wait-for-model", "image": "busybox:1.37", "command": ["sh", "-c", script]}
    ]
    return pod


def _init_state(pod: dict) -> dict:
    return (pod.get("status", {}).get("initContainerStatuses") or [{}])[0]


def _conditions(pod: dict) -> dict:
    return {c["type"]: c for c in pod["status"]["conditions"]}


async def test_init_container_runs_to_completion_before_the_containers_start(cluster):
    from kubesim.apiserver.printers.pod import pod_status

    api, _ = cluster
    pods = api.resource("", "v1", "pods")
    api.create(pods, "default", _with_init("gated", "echo fetching model; sleep 1"))
    pod = await _until(api, "gated", lambda p: "running" in _init_state(p).get("state", {}))
    assert pod["status"]["phase"] == "Pending"
    assert _state(pod)["state"] == {"waiting": {"reason": "PodInitializing"}}
    initialized = _conditions(pod)["Initialized"]
    assert (initialized["status"], initialized["reason"], initialized["message"]) == (
        "False",
        "ContainersNotInitialized",
        "containers with incomplete status: [wait-for-model]",
    )
    assert pod_status(pod)[0] == "Init:0/1"

    pod = await _until(api, "gated", lambda p: "running" in _state(p).get("state", {}))
    done = _init_state(pod)
    assert done["state"]["terminated"]["reason"] == "Completed"
    assert done["state"]["terminated"]["exitCode"] == 0
    assert done["ready"] is True
    assert _conditions(pod)["Initialized"]["status"] == "True"
    assert pod["status"]["phase"] == "Running"
    chunks = [c async for c in api.hooks.logs.open(pod, LogRequest(container="wait-for-model"))]
    assert b"".join(chunks) == b"fetching model\n"
    paths = {
        e["involvedObject"].get("fieldPath")
        for e in api.list(api.resource("", "v1", "events"), "default").objects()
        if e["reason"] == "Started"
    }
    assert paths == {"spec.initContainers{wait-for-model}", "spec.containers{model-server}"}


async def test_failing_init_container_fails_a_never_restarting_pod(cluster):
    from kubesim.apiserver.printers.pod import pod_status

    api, _ = cluster
    api.create(
        api.resource("", "v1", "pods"),
        "default",
        _with_init("doomed", "echo no model; exit 3", restart_policy="Never"),
    )
    pod = await _until(api, "doomed", lambda p: p["status"].get("phase") == "Failed")
    assert _init_state(pod)["state"]["terminated"]["exitCode"] == 3
    assert _init_state(pod)["state"]["terminated"]["reason"] == "Error"
    assert _state(pod)["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert pod_status(pod)[0] == "Init:Error"


async def test_failing_init_container_is_retried_with_back_off(cluster):
    from kubesim.apiserver.printers.pod import pod_status

    api, _ = cluster
    api.create(api.resource("", "v1", "pods"), "default", _with_init("stuck", "exit 1"))
    pod = await _until(
        api,
        "stuck",
        lambda p: (
            (_init_state(p).get("state", {}).get("waiting") or {}).get("reason")
            == "CrashLoopBackOff"
        ),
    )
    assert pod["status"]["phase"] == "Pending"
    assert _init_state(pod)["restartCount"] >= 1
    assert pod_status(pod)[0] == "Init:CrashLoopBackOff"
    assert _conditions(pod)["Initialized"]["status"] == "False"


async def test_sidecar_init_container_keeps_running_beside_the_containers(cluster):
    api, _ = cluster
    pod = _with_init("sidecar", "echo shipping logs; sleep 300")
    pod["spec"]["initContainers"][0]["restartPolicy"] = "Always"
    api.create(api.resource("", "v1", "pods"), "default", pod)
    pod = await _until(api, "sidecar", lambda p: "running" in _state(p).get("state", {}))
    assert "running" in _init_state(pod)["state"]
    assert _conditions(pod)["Initialized"]["status"] == "True"
    assert pod["status"]["phase"] == "Running"
