"""kubesim's own admin API over HTTP (node faults, status), and the Kubernetes routes added
beside it: pods/binding, namespaces/finalize, duplicate JSON keys. A fake cluster stands in
where `kubesim.cluster.live.install` would put the real one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from kubesim.__main__ import (
    TIME_SCALE_ENV,
    VIRTUAL_TIME_ENV,
    _env_time_scale,
    _env_virtual_time,
)
from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.server import Server
from kubesim.core.clock import Clock, VirtualClock
from kubesim.kubelet._world import PROCESS, Isolation
from kubesim.store.sqlite import Store

TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeKubelet:
    def __init__(self) -> None:
        self.running = True


class FakeRuntime:
    cgroups = False
    isolation = Isolation(PROCESS, reason="KUBESIM_ISOLATION=process")


class FakeCluster:
    """What the admin endpoints use of `kubesim.cluster.Cluster`."""

    def __init__(self) -> None:
        self.kubelets = {"kind-control-plane": FakeKubelet(), "kind-worker": FakeKubelet()}
        self.runtime = FakeRuntime()
        self.calls: list[tuple[str, str]] = []

    async def stop_node(self, name: str) -> None:
        self.calls.append(("stop", name))
        self.kubelets[name].running = False

    def start_node(self, name: str) -> None:
        self.calls.append(("start", name))
        self.kubelets[name].running = True

    def node_running(self, name: str) -> bool:
        return self.kubelets[name].running


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store(tmp_path / "state.db")
    a = Api(store, clock=Clock(scale=4.0))
    bootstrap(a)
    yield a
    store.close()


async def client_for(api: Api) -> TestClient:
    client = TestClient(TestServer(Server(api, token=TOKEN).app()))
    await client.start_server()
    return client


async def test_stopping_and_starting_a_node_calls_the_cluster(api: Api) -> None:
    cluster = FakeCluster()
    api.cluster = cluster  # type: ignore[attr-defined]
    client = await client_for(api)
    try:
        r = await client.post("/kubesim/v1/nodes/kind-worker/stop", headers=AUTH)
        assert r.status == 200
        assert await r.json() == {"node": "kind-worker", "kubelet": "stopped"}
        r = await client.post("/kubesim/v1/nodes/kind-worker/start", headers=AUTH)
        assert await r.json() == {"node": "kind-worker", "kubelet": "running"}
        assert cluster.calls == [("stop", "kind-worker"), ("start", "kind-worker")]
    finally:
        await client.close()


async def test_admin_status_reports_time_scale_cgroups_isolation_and_nodes(api: Api) -> None:
    cluster = FakeCluster()
    cluster.kubelets["kind-worker"].running = False
    api.cluster = cluster  # type: ignore[attr-defined]
    client = await client_for(api)
    try:
        r = await client.get("/kubesim/v1/status", headers=AUTH)
        assert r.status == 200
        assert await r.json() == {
            "kubesim": True,
            "kubernetesVersion": "v1.37.0",
            "timeScale": 4.0,
            "cgroups": False,
            "isolation": {
                "mode": "process",
                "description": FakeRuntime.isolation.describe(),
            },
            "nodes": {"kind-control-plane": "running", "kind-worker": "stopped"},
        }
    finally:
        await client.close()


@pytest.mark.parametrize(
    "method, path, status, reason",
    [
        pytest.param("POST", "/kubesim/v1/nodes/nope/stop", 404, "NotFound", id="unknown-node"),
        pytest.param(
            "GET", "/kubesim/v1/nodes/kind-worker/stop", 405, "MethodNotAllowed", id="get"
        ),
        pytest.param("POST", "/kubesim/v1/nodes/kind-worker/reboot", 404, "NotFound", id="verb"),
    ],
)
async def test_admin_errors_are_kubernetes_status_bodies(
    api: Api, method: str, path: str, status: int, reason: str
) -> None:
    api.cluster = FakeCluster()  # type: ignore[attr-defined]
    client = await client_for(api)
    try:
        r = await client.request(method, path, headers=AUTH)
        assert r.status == status
        body = await r.json()
        assert body["kind"] == "Status" and body["reason"] == reason
    finally:
        await client.close()


async def test_admin_needs_the_token(api: Api) -> None:
    """Without a token the request is system:anonymous, whom RBAC does not let post to a
    non-resource path; a wrong token is not anyone at all."""
    api.cluster = FakeCluster()  # type: ignore[attr-defined]
    client = await client_for(api)
    try:
        r = await client.post("/kubesim/v1/nodes/kind-worker/stop")
        assert r.status == 403
        assert (await r.json())["message"] == (
            'forbidden: User "system:anonymous" cannot post path "/kubesim/v1/nodes/kind-worker/stop"'
        )
        r = await client.post(
            "/kubesim/v1/nodes/kind-worker/stop", headers={"Authorization": "Bearer wrong"}
        )
        assert r.status == 401
        assert api.cluster.calls == []  # type: ignore[attr-defined]
    finally:
        await client.close()


async def test_node_faults_without_a_cluster_are_503_with_the_reason(api: Api) -> None:
    client = await client_for(api)
    try:
        r = await client.post("/kubesim/v1/nodes/kind-worker/stop", headers=AUTH)
        assert r.status == 503
        assert "--no-controllers" in (await r.json())["message"]
        status = await (await client.get("/kubesim/v1/status", headers=AUTH)).json()
        assert status["nodes"] == {} and status["kubesim"] is True
    finally:
        await client.close()


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
}


async def test_binding_over_http_is_201_then_409(api: Api) -> None:
    api.create(api.resource("", "v1", "pods"), "default", POD)
    client = await client_for(api)
    body = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "p"},
        "target": {"kind": "Node", "name": "kind-worker"},
    }
    try:
        path = "/api/v1/namespaces/default/pods/p/binding"
        r = await client.post(path, json=body, headers=AUTH)
        assert r.status == 201
        assert (await r.json())["status"] == "Success"
        again = await client.post(path, json=body, headers=AUTH)
        assert again.status == 409
        assert (await again.json())["message"].endswith(
            'pod p is already assigned to node "kind-worker"'
        )
    finally:
        await client.close()


async def test_finalize_over_http_lets_a_terminating_namespace_go(api: Api) -> None:
    api.hooks.garbage_collector_running = True
    nss = api.resource("", "v1", "namespaces")
    api.create(nss, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}})
    marked = api.delete(nss, None, "lab")
    marked["spec"]["finalizers"] = []
    client = await client_for(api)
    try:
        r = await client.put("/api/v1/namespaces/lab/finalize", json=marked, headers=AUTH)
        assert r.status == 200
        gone = await client.get("/api/v1/namespaces/lab", headers=AUTH)
        assert gone.status == 404
    finally:
        await client.close()


async def test_duplicate_keys_in_a_posted_body_come_back_as_a_warning_header(api: Api) -> None:
    client = await client_for(api)
    raw = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","name":"d"}}'
    try:
        r = await client.post(
            "/api/v1/namespaces/default/configmaps",
            data=raw,
            headers={**AUTH, "Content-Type": "application/json"},
        )
        assert r.status == 201
        assert r.headers["Warning"] == '299 - "duplicate field \\"metadata.name\\""'
        strict = await client.post(
            "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
            data=raw.replace(b'"d"', b'"e"'),
            headers={**AUTH, "Content-Type": "application/json"},
        )
        assert strict.status == 400
        assert 'duplicate field "metadata.name"' in (await strict.json())["message"]
    finally:
        await client.close()


@pytest.mark.parametrize(
    "value, want",
    [
        pytest.param(None, 1.0, id="unset-is-real-time"),
        pytest.param("", 1.0, id="empty-is-real-time"),
        pytest.param("10", 10.0, id="factor"),
        pytest.param(" 2.5 ", 2.5, id="spaces"),
    ],
)
def test_time_scale_default_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, want: float
) -> None:
    if value is None:
        monkeypatch.delenv(TIME_SCALE_ENV, raising=False)
    else:
        monkeypatch.setenv(TIME_SCALE_ENV, value)
    assert _env_time_scale() == want


@pytest.mark.parametrize("value", ["fast", "0", "-3"])
def test_a_bad_time_scale_in_the_environment_is_refused_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(TIME_SCALE_ENV, value)
    with pytest.raises(SystemExit) as exc:
        _env_time_scale()
    assert TIME_SCALE_ENV in str(exc.value)


@pytest.mark.parametrize(
    ("value", "want"),
    [(None, False), ("", False), ("0", False), ("1", True), (" true ", True)],
)
def test_virtual_time_default_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, want: bool
) -> None:
    if value is None:
        monkeypatch.delenv(VIRTUAL_TIME_ENV, raising=False)
    else:
        monkeypatch.setenv(VIRTUAL_TIME_ENV, value)
    assert _env_virtual_time() is want


def test_a_bad_virtual_time_switch_is_refused_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(VIRTUAL_TIME_ENV, "fast")
    with pytest.raises(SystemExit) as exc:
        _env_virtual_time()
    assert VIRTUAL_TIME_ENV in str(exc.value) and "fast" in str(exc.value)


async def test_on_virtual_time_status_says_so_and_a_request_holds_the_clock_a_watch_not(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "virtual.db")
    clock = VirtualClock(scale=4.0)
    api = Api(store, clock=clock)
    bootstrap(api)
    api.cluster = FakeCluster()  # type: ignore[attr-defined]
    client = await client_for(api)
    try:
        clock.take_holds()
        r = await client.get(
            "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1", headers=AUTH
        )
        assert r.status == 200
        await r.read()
        assert clock.take_holds() == []  # a watch waits on the cluster: it holds nothing
        r = await client.get("/kubesim/v1/status", headers=AUTH)
        facts = await r.json()
        assert facts["timeScale"] == 4.0 and facts["virtualTime"] is True
        assert clock.take_holds() == ["held since the last tick"]
    finally:
        await client.close()
        store.close()
