"""Volumes through a running kubelet: the files land under the pod's folder with their content
and modes, the runtime is handed each container's `Mount`s, a configMap update swaps `..data`
after the resync, a missing configMap keeps the pod in ContainerCreating with FailedMount, and
the pod's volumes go with it while hostPath data stays on the node.

The runtime is the real process runtime; it only records the mounts it is handed (process
mode ignores them; the container world binds them)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.certs import ensure_tls
from kubesim.core.clock import Clock
from kubesim.kubelet._kubelet import Kubelet, NodeNetwork
from kubesim.kubelet._mounts import Mount
from kubesim.kubelet._process import Running, Runtime
from kubesim.store.sqlite import Store

Obj = dict[str, Any]
NODE = "kubelab-worker"
SYNC = 2.0  # cluster seconds between volume resyncs in these tests (60 on a node)


class RecordingRuntime(Runtime):
    """Records each container's volume mounts, and apart the termination-message file every
    container also gets (at its terminationMessagePath) where containers are contained."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.mounts: dict[str, list[Mount]] = {}
        self.termination: dict[str, list[Mount]] = {}

    async def start(self, **kwargs: Any) -> Running:  # type: ignore[override]
        mounts = list(kwargs.get("mounts") or ())
        name = kwargs["container"]
        self.termination[name] = [m for m in mounts if m.target == "/dev/termination-log"]
        self.mounts[name] = [m for m in mounts if m.target != "/dev/termination-log"]
        return await super().start(**kwargs)


class Node:
    def __init__(self, api: Api, runtime: RecordingRuntime, kubelet: Kubelet) -> None:
        self.api, self.runtime, self.kubelet = api, runtime, kubelet

    def res(self, plural: str) -> Any:
        return self.api.resource("", "v1", plural)

    def create(self, plural: str, obj: Obj) -> Obj:
        return self.api.create(self.res(plural), "default", obj)

    async def until(self, name: str, test: Callable[[Obj], bool], seconds: float = 20.0) -> Obj:
        pod: Obj = {}
        for _ in range(int(seconds / 0.05)):
            pod = self.api.get(self.res("pods"), "default", name)
            if test(pod):
                return pod
            await asyncio.sleep(0.05)
        raise AssertionError(f"pod {name} never got there: {pod.get('status')}")

    def events(self, name: str) -> list[Obj]:
        return [
            e
            for e in self.api.list(self.res("events"), "default").objects()
            if e["involvedObject"]["name"] == name
        ]


@contextlib.asynccontextmanager
async def _node(tmp_path: Path, sync_period: float = SYNC) -> AsyncIterator[Node]:
    store = Store(tmp_path / "state.db")
    api = Api(store, clock=Clock(scale=10.0), root_ca=ensure_tls(tmp_path / "tls").ca_pem)
    bootstrap(api)
    runtime = RecordingRuntime(tmp_path / "kubelet")
    kubelet = Kubelet(
        api,
        node=NODE,
        runtime=runtime,
        network=NodeNetwork(1, "172.18.0.3", tmp_path / "hosts"),
        sync_period=sync_period,
    )
    kubelet.start()
    try:
        yield Node(api, runtime, kubelet)
    finally:
        await kubelet.stop()
        store.close()


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with _node(tmp_path) as started:
        yield started


def _running(pod: Obj) -> bool:
    return any("running" in s["state"] for s in pod["status"].get("containerStatuses") or [])


def _pod(name: str, volumes: list[Obj], mounts: list[Obj]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "nodeName": NODE,
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "app",
                    "image": "busybox:1.36",
                    "command": ["sleep", "3600"],
                    "volumeMounts": mounts,
                }
            ],
            "volumes": volumes,
        },
    }


async def test_every_volume_lands_on_the_node_and_the_runtime_gets_the_mounts(node: Node) -> None:
    node.create(
        "configmaps", {"metadata": {"name": "web-config"}, "data": {"index.html": "<h1>hi</h1>"}}
    )
    node.create("secrets", {"metadata": {"name": "db"}, "stringData": {"password": "s3cret"}})
    node.create(
        "pods",
        _pod(
            "web",
            [
                {"name": "html", "configMap": {"name": "web-config"}},
                {"name": "creds", "secret": {"secretName": "db", "defaultMode": 0o400}},
                {"name": "cache", "emptyDir": {"medium": "Memory"}},
                {
                    "name": "info",
                    "downwardAPI": {
                        "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                    },
                },
                {
                    "name": "models",
                    "hostPath": {"path": "/data/models", "type": "DirectoryOrCreate"},
                },
            ],
            [
                {"name": "html", "mountPath": "/usr/share/nginx/html"},
                {"name": "creds", "mountPath": "/etc/creds"},
                {"name": "cache", "mountPath": "/cache"},
                {"name": "info", "mountPath": "/etc/podinfo"},
                {"name": "models", "mountPath": "/models", "readOnly": True},
            ],
        ),
    )
    pod = await node.until("web", _running)
    uid = pod["metadata"]["uid"]
    token_volume = next(v["name"] for v in pod["spec"]["volumes"] if "projected" in v)
    root = node.runtime.root
    vols = root / "pods" / uid / "volumes"
    html = vols / "kubernetes.io~configmap" / "html"
    assert (html / "index.html").read_text() == "<h1>hi</h1>"
    assert os.readlink(html / "index.html") == "..data/index.html"
    creds = vols / "kubernetes.io~secret" / "creds" / "password"
    assert creds.read_bytes() == b"s3cret" and creds.stat().st_mode & 0o777 == 0o400
    assert (vols / "kubernetes.io~downward-api" / "info" / "labels").read_text() == 'app="web"'
    cache = vols / "kubernetes.io~empty-dir" / "cache"
    assert cache.is_dir() and cache.stat().st_mode & 0o777 == 0o777
    sa = vols / "kubernetes.io~projected" / token_volume
    claims = node.api.tokens.verify((sa / "token").read_text())
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["kubernetes.io"]["pod"] == {"name": "web", "uid": uid}
    assert (sa / "ca.crt").read_text() == node.api.root_ca
    assert (sa / "namespace").read_text() == "default"
    models = root / "nodes" / NODE / "data" / "models"
    assert node.runtime.mounts["app"] == [
        Mount(html, "/usr/share/nginx/html", read_only=True),
        Mount(vols / "kubernetes.io~secret" / "creds", "/etc/creds", read_only=True),
        Mount(cache, "/cache", read_only=False),
        Mount(vols / "kubernetes.io~downward-api" / "info", "/etc/podinfo", read_only=True),
        Mount(models, "/models", read_only=True),
        Mount(sa, "/var/run/secrets/kubernetes.io/serviceaccount", read_only=True),
    ]

    # deleted: the pod's own volumes go, the node's hostPath folder stays for the next pod
    (models / "weights.bin").write_bytes(b"w")
    node.api.delete(node.res("pods"), "default", "web")
    for _ in range(200):
        if not (root / "pods" / uid / "volumes").exists():
            break
        await asyncio.sleep(0.05)
    assert not (root / "pods" / uid / "volumes").exists()
    assert (models / "weights.bin").read_bytes() == b"w"


async def test_a_configmap_update_swaps_data_after_the_resync(node: Node) -> None:
    node.create("configmaps", {"metadata": {"name": "cfg"}, "data": {"mode": "blue"}})
    pod = node.create(
        "pods",
        _pod(
            "reader",
            [{"name": "cfg", "configMap": {"name": "cfg"}}],
            [{"name": "cfg", "mountPath": "/etc/cfg"}],
        ),
    )
    await node.until("reader", _running)
    folder = node.runtime.root / "pods" / pod["metadata"]["uid"] / "volumes"
    folder = folder / "kubernetes.io~configmap" / "cfg"
    before = os.readlink(folder / "..data")
    cms = node.res("configmaps")
    current = node.api.get(cms, "default", "cfg")
    node.api.update(cms, "default", "cfg", {**current, "data": {"mode": "green"}})
    for _ in range(100):  # a resync comes every SYNC cluster seconds (0.2 s of wall time)
        if (folder / "mode").read_text() == "green":
            break
        await asyncio.sleep(0.05)
    assert (folder / "mode").read_text() == "green"
    assert os.readlink(folder / "..data") != before
    assert len([p for p in folder.iterdir() if p.name.startswith("..20")]) == 1


async def test_a_missing_configmap_keeps_the_pod_creating_with_failed_mount(node: Node) -> None:
    node.create(
        "pods",
        _pod(
            "waiting",
            [{"name": "config-vol", "configMap": {"name": "app-config"}}],
            [{"name": "config-vol", "mountPath": "/etc/config"}],
        ),
    )
    for _ in range(100):
        if any(e["reason"] == "FailedMount" for e in node.events("waiting")):
            break
        await asyncio.sleep(0.05)
    (event,) = [e for e in node.events("waiting") if e["reason"] == "FailedMount"]
    assert event["type"] == "Warning"
    assert event["source"]["component"] == "kubelet"
    assert event["message"] == (
        'MountVolume.SetUp failed for volume "config-vol" : configmap "app-config" not found'
    )
    pod = node.api.get(node.res("pods"), "default", "waiting")
    (status,) = pod["status"]["containerStatuses"]
    assert status["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert "app" not in node.runtime.mounts  # never started

    node.create("configmaps", {"metadata": {"name": "app-config"}, "data": {"k": "v"}})
    await node.until("waiting", _running)  # the next retry mounts it and the container starts


async def test_a_label_change_reaches_the_downward_api_file_after_the_resync(node: Node) -> None:
    pod = node.create(
        "pods",
        _pod(
            "labelled",
            [
                {
                    "name": "info",
                    "downwardAPI": {
                        "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                    },
                }
            ],
            [{"name": "info", "mountPath": "/etc/podinfo"}],
        ),
    )
    await node.until("labelled", _running)
    labels = node.runtime.root / "pods" / pod["metadata"]["uid"] / "volumes"
    labels = labels / "kubernetes.io~downward-api" / "info" / "labels"
    assert labels.read_text() == 'app="labelled"'
    pods = node.res("pods")
    current = node.api.get(pods, "default", "labelled")
    current["metadata"]["labels"]["tier"] = "gold"
    node.api.update(pods, "default", "labelled", current)
    for _ in range(100):
        if "tier" in labels.read_text():
            break
        await asyncio.sleep(0.05)
    assert labels.read_text() == 'app="labelled"\ntier="gold"'


async def test_init_containers_get_their_mounts_too(node: Node) -> None:
    body = _pod(
        "seeded",
        [{"name": "work", "emptyDir": {}}],
        [{"name": "work", "mountPath": "/work", "readOnly": True}],
    )
    body["spec"]["initContainers"] = [
        {
            "name": "seed",
            "image": "busybox:1.36",
            "command": ["true"],
            "volumeMounts": [{"name": "work", "mountPath": "/seed"}],
        }
    ]
    pod = node.create("pods", body)
    await node.until("seeded", _running)
    work = node.runtime.root / "pods" / pod["metadata"]["uid"] / "volumes"
    work = work / "kubernetes.io~empty-dir" / "work"
    (seed, token) = node.runtime.mounts["seed"]
    assert seed == Mount(work, "/seed", read_only=False)
    assert token.target == "/var/run/secrets/kubernetes.io/serviceaccount" and token.read_only
    assert node.runtime.mounts["app"][0] == Mount(work, "/work", read_only=True)


async def test_a_pod_deleted_while_its_volume_is_missing_goes_away(node: Node) -> None:
    node.create(
        "pods",
        _pod(
            "doomed",
            [{"name": "s", "secret": {"secretName": "never"}}],
            [{"name": "s", "mountPath": "/s"}],
        ),
    )
    for _ in range(100):
        if any(e["reason"] == "FailedMount" for e in node.events("doomed")):
            break
        await asyncio.sleep(0.05)
    messages = [e["message"] for e in node.events("doomed") if e["reason"] == "FailedMount"]
    assert messages == ['MountVolume.SetUp failed for volume "s" : secret "never" not found']
    pods = node.res("pods")
    node.api.delete(pods, "default", "doomed")
    for _ in range(100):
        if not [
            p for p in node.api.list(pods, "default").objects() if p["metadata"]["name"] == "doomed"
        ]:
            break
        await asyncio.sleep(0.05)
    assert "doomed" not in {p["metadata"]["name"] for p in node.api.list(pods, "default").objects()}


async def test_updating_an_annotation_refreshes_a_configmap_volume_at_once(tmp_path: Path) -> None:
    """The ConfigMap task page: a pod update is a sync of the pod, so an
    annotation change sets its volumes up again at once, long before the periodic sync."""
    async with _node(tmp_path, sync_period=3600.0) as node:  # no periodic sync meanwhile
        api, runtime = node.api, node.runtime
        node.create("configmaps", {"metadata": {"name": "cfg"}, "data": {"mode": "blue"}})
        pod = node.create(
            "pods",
            _pod(
                "poked",
                [{"name": "cfg", "configMap": {"name": "cfg"}}],
                [{"name": "cfg", "mountPath": "/etc/cfg"}],
            ),
        )
        await node.until("poked", _running)
        mode = runtime.root / "pods" / pod["metadata"]["uid"] / "volumes"
        mode = mode / "kubernetes.io~configmap" / "cfg" / "mode"
        cms, pods = node.res("configmaps"), node.res("pods")
        current = api.get(cms, "default", "cfg")
        api.update(cms, "default", "cfg", {**current, "data": {"mode": "green"}})
        await asyncio.sleep(0.5)
        assert mode.read_text() == "blue"  # no sync yet
        current = api.get(pods, "default", "poked")
        current["metadata"].setdefault("annotations", {})["poke"] = "1"
        api.update(pods, "default", "poked", current)
        for _ in range(40):
            if mode.read_text() == "green":
                break
            await asyncio.sleep(0.05)
        assert mode.read_text() == "green"
