"""A pod worker leaves no task behind when its node stops or its pod goes at once.

Found by bench/soak.py (issue 21): during its faults kubesim's log showed "Task was destroyed
but it is pending!" for tasks waiting on `Event.wait()`: a worker's wait for its pod's
deletion, left pending when the worker was killed mid-wait and later collected as garbage."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.apiserver.api import Api, DeleteOptions
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.certs import ensure_tls
from kubesim.core.clock import Clock
from kubesim.kubelet._kubelet import Kubelet, NodeNetwork
from kubesim.kubelet._process import Runtime
from kubesim.store.sqlite import Store

Obj = dict[str, Any]
NODE = "kubelab-worker"


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[tuple[Api, Kubelet]]:
    store = Store(tmp_path / "state.db")
    api = Api(store, clock=Clock(scale=10.0), root_ca=ensure_tls(tmp_path / "tls").ca_pem)
    bootstrap(api)
    kubelet = Kubelet(
        api,
        node=NODE,
        runtime=Runtime(tmp_path / "kubelet"),
        network=NodeNetwork(1, "172.18.0.3", tmp_path / "hosts"),
    )
    kubelet.start()
    try:
        yield api, kubelet
    finally:
        await kubelet.stop()
        store.close()


def _pod(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": NODE,
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}],
        },
    }


async def _running(api: Api, name: str) -> None:
    pods = api.resource("", "v1", "pods")
    for _ in range(400):
        statuses = api.get(pods, "default", name)["status"].get("containerStatuses") or []
        if any("running" in s["state"] for s in statuses):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"pod {name} never ran")


def _event_waits() -> list[asyncio.Task[Any]]:
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__qualname__", "") == "Event.wait"
    ]


@pytest.mark.parametrize("how", ["node stops", "pod deleted at once"])
async def test_a_killed_worker_leaves_no_pending_task_to_be_destroyed(
    cluster: tuple[Api, Kubelet], how: str
) -> None:
    api, kubelet = cluster
    pods = api.resource("", "v1", "pods")
    api.create(pods, "default", _pod("web"))
    await _running(api, "web")
    assert _event_waits()  # the worker waits for its pod's deletion (and its volume resync)
    destroyed: list[str] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: destroyed.append(context["message"]))
    try:
        if how == "node stops":
            await kubelet.stop()  # the node goes dark (the node-down fault)
            await asyncio.sleep(0.1)
            assert _event_waits() == []
        else:  # `kubectl delete --force --grace-period 0`: DELETED without a deletionTimestamp
            api.delete(pods, "default", "web", options=DeleteOptions(grace_period_seconds=0))
            for _ in range(100):
                if "web" not in {w.name for w in kubelet.workers.values()}:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert destroyed == []
