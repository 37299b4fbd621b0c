"""The work queue's dedupe semantics and how actions become API writes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.client.actuator import apply
from kubesim.client.recorder import EventRecorder
from kubesim.client.workqueue import WorkQueue
from kubesim.controllers import Create, Event, UpdateStatus
from kubesim.core.clock import FrozenClock
from kubesim.store.sqlite import Store


async def test_a_key_added_twice_is_processed_once() -> None:
    q = WorkQueue()
    q.add("a")
    q.add("a")
    q.add("b")
    assert [await q.get(), await q.get()] == ["a", "b"]
    assert len(q) == 0


async def test_a_key_added_while_processing_comes_back_after_done() -> None:
    q = WorkQueue()
    q.add("a")
    key = await q.get()
    q.add("a")
    assert len(q) == 0  # never handed out twice at once
    q.done(key)
    assert await asyncio.wait_for(q.get(), 1) == "a"


async def test_delayed_add_keeps_the_earliest_deadline() -> None:
    q = WorkQueue()
    q.add_after("a", 0.01)
    q.add_after("a", 5.0)
    assert await asyncio.wait_for(q.get(), 1) == "a"
    q.close()


def _api(tmp_path: Path) -> Api:
    api = Api(Store(tmp_path / "s.db"), clock=FrozenClock())
    bootstrap(api)
    return api


def test_status_update_carries_the_revision_annotation(tmp_path: Path) -> None:
    api = _api(tmp_path)
    res = api.resource("apps", "v1", "deployments")
    d = api.create(
        res,
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        },
    )
    d["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    d["status"] = {"observedGeneration": 1}
    apply(api, [UpdateStatus(d)], EventRecorder(api, component="deployment-controller"))
    stored = api.get(res, "default", "web")
    assert stored["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert stored["status"] == {"observedGeneration": 1}
    managers = {m["manager"] for m in stored["metadata"]["managedFields"]}
    assert "kube-controller-manager" in managers


def test_create_fills_the_generated_name_into_its_events(tmp_path: Path) -> None:
    api = _api(tmp_path)
    ref = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web-1",
        "namespace": "default",
        "uid": "u1",
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": "web-1-", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    event = Event(ref, "Normal", "SuccessfulCreate", "Created pod: {name}")
    written = apply(
        api, [Create(pod, events=(event,))], EventRecorder(api, component="replicaset-controller")
    )
    (made,) = api.list(api.resource("", "v1", "pods"), "default").objects()
    (ev,) = api.list(api.resource("", "v1", "events"), "default").objects()
    assert ev["message"] == f"Created pod: {made['metadata']['name']}"
    assert written and written[0].plural == "pods"
