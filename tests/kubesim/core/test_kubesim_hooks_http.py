"""The API's hooks seen through HTTP: a log source streams `pods/log`, a proxy resolver
routes the service proxy to a backend, a metrics source feeds metrics.k8s.io."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.hooks import Backend, LogRequest
from kubesim.apiserver.server import Server
from kubesim.core.clock import FrozenClock
from kubesim.store.sqlite import Store

TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeLogs:
    def __init__(self) -> None:
        self.requests: list[LogRequest] = []

    async def _lines(self, request: LogRequest) -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"{request.container} line {i}\n".encode()

    def open(self, pod: dict[str, Any], request: LogRequest) -> AsyncIterator[bytes]:
        self.requests.append(request)
        return self._lines(request)


class FakeProxy:
    def __init__(self, port: int) -> None:
        self.port = port

    async def service(self, namespace: str, name: str, port: str) -> Backend:
        return Backend("127.0.0.1", self.port)

    async def pod(self, namespace: str, name: str, port: str) -> Backend:
        return Backend("127.0.0.1", self.port)


class FakeMetrics:
    def pods(self, namespace: str | None) -> list[dict[str, Any]]:
        return [
            {
                "kind": "PodMetrics",
                "apiVersion": "metrics.k8s.io/v1beta1",
                "metadata": {"name": "p", "namespace": "default"},
                "timestamp": "2026-11-24T16:00:00Z",
                "window": "15s",
                "containers": [{"name": "app", "usage": {"cpu": "5m", "memory": "10Mi"}}],
            }
        ]

    def nodes(self) -> list[dict[str, Any]]:
        return []


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store(tmp_path / "state.db")
    a = Api(store, clock=FrozenClock())
    bootstrap(a)
    a.create(
        a.resource("", "v1", "pods"),
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "labels": {"app": "p"}},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        },
    )
    a.create(
        a.resource("", "v1", "services"),
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "p"}, "ports": [{"port": 80}]},
        },
    )
    yield a
    store.close()


async def client_for(api: Api) -> TestClient:
    client = TestClient(TestServer(Server(api, token=TOKEN).app()))
    await client.start_server()
    return client


async def test_pod_log_streams_from_the_log_source_with_the_query_options(api: Api) -> None:
    logs = FakeLogs()
    api.hooks.logs = logs
    client = await client_for(api)
    try:
        r = await client.get(
            "/api/v1/namespaces/default/pods/p/log?tailLines=2&follow=true", headers=AUTH
        )
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        assert await r.text() == "app line 0\napp line 1\napp line 2\n"
        assert logs.requests[0].tail_lines == 2 and logs.requests[0].follow is True
        bad = await client.get("/api/v1/namespaces/default/pods/p/log?container=nope", headers=AUTH)
        assert bad.status == 400
        assert (await bad.json())["message"] == "container nope is not valid for pod p"
    finally:
        await client.close()


async def test_service_proxy_forwards_to_the_resolved_backend(api: Api) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello from {request.path}?{request.query_string}")

    backend_app = web.Application()
    backend_app.router.add_get("/{tail:.*}", hello)
    backend = TestServer(backend_app)
    await backend.start_server()
    api.hooks.proxy = FakeProxy(backend.port or 0)
    client = await client_for(api)
    try:
        r = await client.get(
            "/api/v1/namespaces/default/services/web:80/proxy/healthz?x=1", headers=AUTH
        )
        assert r.status == 200
        assert await r.text() == "hello from /healthz?x=1"
    finally:
        await client.close()
        await backend.close()


async def test_service_proxy_without_endpoints_is_503(api: Api) -> None:
    client = await client_for(api)
    try:
        r = await client.get("/api/v1/namespaces/default/services/web/proxy/", headers=AUTH)
        assert r.status == 503
        body = await r.json()
        assert (body["reason"], body["message"]) == (
            "ServiceUnavailable",
            'no endpoints available for service "web"',
        )
    finally:
        await client.close()


async def test_metrics_api_lists_what_the_metrics_source_reports(api: Api) -> None:
    api.hooks.metrics = FakeMetrics()
    client = await client_for(api)
    try:
        r = await client.get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", headers=AUTH)
        body = await r.json()
        assert body["kind"] == "PodMetricsList"
        assert body["items"][0]["containers"][0]["usage"] == {"cpu": "5m", "memory": "10Mi"}
    finally:
        await client.close()


async def test_unexpected_exceptions_become_a_500_status_not_a_crash(api: Api) -> None:
    class Broken:
        def open(self, pod: dict[str, Any], request: LogRequest) -> AsyncIterator[bytes]:
            raise RuntimeError("boom")

    api.hooks.logs = Broken()
    client = await client_for(api)
    try:
        r = await client.get("/api/v1/namespaces/default/pods/p/log", headers=AUTH)
        assert r.status == 500
        body = await r.json()
        assert body["kind"] == "Status" and body["reason"] == "InternalError"
        again = await client.get("/api/v1/namespaces/default/pods/p", headers=AUTH)
        assert again.status == 200
    finally:
        await client.close()


async def test_watch_over_http_sends_initial_events_and_the_end_bookmark(api: Api) -> None:
    client = await client_for(api)
    try:
        r = await client.get(
            "/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true"
            "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1",
            headers=AUTH,
        )
        lines = (await r.text()).splitlines()
        import json

        events = [json.loads(line) for line in lines]
        assert [e["type"] for e in events[:2]] == ["ADDED", "BOOKMARK"]
        assert events[1]["object"]["metadata"]["annotations"] == {
            "k8s.io/initial-events-end": "true"
        }
        refused = await client.get(
            "/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true", headers=AUTH
        )
        assert refused.status == 422
    finally:
        await client.close()
