"""The work queue's dedupe semantics and how actions become API writes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.client.actuator import PartialWrite, apply, apply_async
from kubesim.client.recorder import EventRecorder
from kubesim.client.workqueue import WorkQueue
from kubesim.controllers import Create, Emit, Event, UpdateStatus, slow_start_batches
from kubesim.core.clock import Clock, FrozenClock
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


@pytest.mark.parametrize(
    "count, sizes",
    [
        pytest.param(0, [], id="none"),
        pytest.param(1, [1], id="one"),
        pytest.param(5, [1, 2, 2], id="last-batch-cut"),
        pytest.param(7, [1, 2, 4], id="exact-doublings"),
        pytest.param(500, [1, 2, 4, 8, 16, 32, 64, 128, 245], id="burst-replicas"),
    ],
)
def test_slow_start_doubles_the_batch_and_cuts_the_last(count: int, sizes: list[int]) -> None:
    assert slow_start_batches(count) == sizes
    assert sum(sizes) == count


RS_REF = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "namespace": "default"}


def _pod_create(container: str = "c") -> Create:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": "web-1-", "namespace": "default"},
        "spec": {"containers": [{"name": container, "image": "nginx"}]},
    }
    event = Event(RS_REF, "Normal", "SuccessfulCreate", "Created pod: {name}")
    return Create(pod, events=(event,), slow_start=True)


def test_a_refused_create_ends_the_slow_start_run_after_its_batch(tmp_path: Path) -> None:
    """Batch 1 (one pod) is made; batch 2 holds the refused pod and one good pod, both
    attempted; the remaining seven are skipped; the action after the run still applies.
    (A running clock: events are named after their time, as upstream's are.)"""
    api = Api(Store(tmp_path / "s.db"), clock=Clock())
    bootstrap(api)
    creates = [_pod_create(), _pod_create("Not_A_Name"), *[_pod_create() for _ in range(8)]]
    after = Emit(Event(RS_REF, "Normal", "Marker", "after the run"))
    recorder = EventRecorder(api, component="replicaset-controller")

    with pytest.raises(PartialWrite) as caught:
        apply(api, [*creates, after], recorder)

    pods = api.list(api.resource("", "v1", "pods"), "default").objects()
    events = api.list(api.resource("", "v1", "events"), "default").objects()
    assert len(pods) == 2
    assert [e["reason"] for e in events].count("FailedCreate") == 1
    assert "Marker" in [e["reason"] for e in events]
    assert caught.value.cause.code == 422
    assert {w.plural for w in caught.value.written} == {"pods"}
    assert len(caught.value.written) == 2


async def test_apply_async_lets_the_loop_run_between_creates(tmp_path: Path) -> None:
    api = _api(tmp_path)
    ticks: list[int] = []

    async def other_work() -> None:
        while True:
            ticks.append(len(api.list(api.resource("", "v1", "pods"), "default").objects()))
            await asyncio.sleep(0)

    task = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    written = await apply_async(
        api,
        [_pod_create() for _ in range(20)],
        EventRecorder(api, component="replicaset-controller"),
    )
    task.cancel()
    assert len(written) == 20
    assert len(set(ticks)) >= 10, "another task ran while the pods were being created"


async def test_a_slow_start_run_stops_once_its_owner_is_deleted(tmp_path: Path) -> None:
    api = _api(tmp_path)
    owners = api.resource("", "v1", "configmaps")
    owner = api.create(owners, "default", {"metadata": {"name": "owner"}})
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    creates = []
    for _ in range(7):  # batches of 1, 2 and 4
        create = _pod_create()
        create.obj["metadata"]["ownerReferences"] = [ref]
        creates.append(create)
    recorder = EventRecorder(api, component="replicaset-controller")

    async def delete_owner_after_the_first_pod() -> None:
        pods = api.resource("", "v1", "pods")
        while not api.list(pods, "default").objects():
            await asyncio.sleep(0)
        api.delete(owners, "default", "owner")

    deleter = asyncio.create_task(delete_owner_after_the_first_pod())
    written = await apply_async(api, creates, recorder)
    await deleter

    assert 1 <= len(written) < 7, "the run stopped at a batch after the owner went away"
