"""The eviction manager on a live in-process cluster: a process outside the pods (the
node-memory-pressure fault) takes the node under memory.available<100Mi; the kubelet reports
MemoryPressure, records EvictionThresholdMet, and evicts the BestEffort pod, not the
Guaranteed one, with upstream's status, message and events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from _loops_helpers import live_cluster

from kubesim.apiserver.api import Api
from kubesim.cluster.live import Cluster

SCALE = 10.0
NODE = "kubelab-worker"


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[tuple[Api, Cluster]]:
    async with live_cluster(tmp_path, scale=SCALE) as made:
        yield made


def _pod(name: str, resources: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": NODE,
            "terminationGracePeriodSeconds": 30,
            "containers": [
                {
                    "name": "app",
                    "image": "busybox:1.36",
                    "command": ["sleep", "3600"],
                    "resources": resources,
                }
            ],
        },
    }


async def _until(what: str, test: Callable[[], object], seconds: float = 30.0) -> object:
    for _ in range(int(seconds / 0.1)):
        got = test()
        if got:
            return got
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


async def test_a_filled_node_evicts_the_best_effort_pod_first(cluster) -> None:
    api, live = cluster
    pods = api.resource("", "v1", "pods")
    guaranteed = {
        "requests": {"memory": "64Mi", "cpu": "50m"},
        "limits": {"memory": "64Mi", "cpu": "50m"},
    }
    api.create(pods, "default", _pod("steady", guaranteed))
    api.create(pods, "default", _pod("batch", {}))

    def running(name: str) -> bool:
        return api.get(pods, "default", name)["status"].get("phase") == "Running"

    await _until("both pods running", lambda: running("steady") and running("batch"))
    manager = live.kubelets[NODE].eviction
    assert manager.pressure is False
    taken = manager.fill()
    assert taken > 6 * 1024**3  # most of the node's 7.67Gi: a process outside any pod

    def evicted() -> dict | None:
        pod = api.get(pods, "default", "batch")
        return pod if pod["status"].get("reason") == "Evicted" else None

    pod = await _until("batch evicted", evicted)
    status = pod["status"]
    assert status["phase"] == "Failed"
    assert status["message"].startswith(
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: "
    )
    assert "Container app was using " in status["message"]
    assert "request is 0, has larger consumption of memory. " in status["message"]
    target = next(c for c in status["conditions"] if c["type"] == "DisruptionTarget")
    assert (target["status"], target["reason"]) == ("True", "TerminationByKubelet")
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 137
    assert api.get(pods, "default", "steady")["status"]["phase"] == "Running"

    events = api.list(api.resource("", "v1", "events"), None).objects()
    by = {(e["involvedObject"]["name"], e["reason"]): e for e in events}
    assert by[("batch", "Evicted")]["type"] == "Warning"
    assert by[("batch", "Evicted")]["source"]["component"] == "kubelet"
    met = by[(NODE, "EvictionThresholdMet")]
    assert (met["type"], met["message"]) == ("Warning", "Attempting to reclaim memory")

    nodes = api.resource("", "v1", "nodes")

    def condition() -> dict | None:
        conds = api.get(nodes, None, NODE)["status"]["conditions"]
        memory = next(c for c in conds if c["type"] == "MemoryPressure")
        return memory if memory["status"] == "True" else None

    memory = await _until("MemoryPressure True on the node", condition)
    assert memory["reason"] == "KubeletHasInsufficientMemory"
    assert manager.pressure is True
    # under pressure the kubelet refuses a new BestEffort pod at admission, not a Burstable one
    api.create(pods, "default", _pod("late", {}))

    def refused() -> dict | None:
        late = api.get(pods, "default", "late")["status"]
        return late if late.get("reason") == "Evicted" else None

    late = await _until("late refused", refused)
    assert (late["phase"], late["message"]) == (
        "Failed",
        "The node had condition: [MemoryPressure]. ",
    )
    assert not any(c["type"] == "DisruptionTarget" for c in late.get("conditions") or [])
    # the process ends; MemoryPressure holds for the transition period, so admission still
    # refuses BestEffort pods meanwhile, and admits the others
    manager.free()
    api.create(pods, "default", _pod("sized", {"requests": {"memory": "8Mi"}}))
    await _until("sized running", lambda: running("sized"))
    assert manager.pressure is True
    assert manager.available_now() > 100 * 1024 * 1024
