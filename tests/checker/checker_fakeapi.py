"""A recording fake Kubernetes API server on 127.0.0.1 for the checker's tests.

It serves discovery (`/api`, `/apis`, `/api/v1`, `/apis/apps/v1`), LISTs of fixture
objects (with `fieldSelector`/`labelSelector` equality terms and `limit`/`continue`
paging), pod logs, and scripted service-proxy answers. Every request is recorded with its
method, path, query and Authorization header, so tests can prove the checker only reads.
Any other verb is answered 405 (and recorded).
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

CORE = {
    "pods": ("Pod", True),
    "services": ("Service", True),
    "endpoints": ("Endpoints", True),
    "events": ("Event", True),
    "configmaps": ("ConfigMap", True),
    "namespaces": ("Namespace", False),
    "nodes": ("Node", False),
}
APPS = {
    "deployments": ("Deployment", True),
    "replicasets": ("ReplicaSet", True),
    "statefulsets": ("StatefulSet", True),
    "daemonsets": ("DaemonSet", True),
}
SUBRESOURCES = ["pods/log", "pods/eviction", "deployments/scale", "services/proxy"]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass
class FakeApi:
    objects: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[tuple[str, str, bool], str] = field(default_factory=dict)  # (pod, container, prev)
    proxy: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)  # (method, path)
    requests: list[Request] = field(default_factory=list)
    page_size: int | None = None
    refuse: int | None = None  # answer every request with this status (401: bad token)
    faults: dict[str, int] = field(default_factory=dict)  # path -> status, answered N times
    fault_count: int = 1_000_000
    url: str = ""

    def load(self, path: Path) -> None:
        self.objects = yaml.safe_load(path.read_text())

    def verbs(self) -> set[str]:
        return {r.method for r in self.requests}

    def lists(self) -> list[str]:
        return [r.path for r in self.requests if r.method == "GET" and "log" not in r.path]

    # -- handlers ------------------------------------------------------------------------

    def _record(self, request: web.Request) -> None:
        self.requests.append(
            Request(
                request.method,
                request.path,
                dict(request.query),
                request.headers.get("Authorization"),
            )
        )

    @staticmethod
    def _resource_list(group_version: str, table: dict[str, tuple[str, bool]]) -> dict:
        resources = [
            {"name": plural, "kind": kind, "namespaced": namespaced, "verbs": ["get", "list"]}
            for plural, (kind, namespaced) in table.items()
        ]
        resources += [{"name": s, "kind": "Status", "namespaced": True} for s in SUBRESOURCES]
        return {"kind": "APIResourceList", "groupVersion": group_version, "resources": resources}

    def _select(self, kind: str, namespace: str | None, query: dict[str, str]) -> list[dict]:
        out = []
        for obj in self.objects:
            meta = obj.get("metadata", {})
            if obj.get("kind") != kind or (namespace and meta.get("namespace") != namespace):
                continue
            if not _fields_match(obj, query.get("fieldSelector", "")):
                continue
            if not _labels_match(meta.get("labels") or {}, query.get("labelSelector", "")):
                continue
            item = json.loads(json.dumps(obj))
            item.pop("apiVersion", None)  # a real API server leaves these out of list items
            item.pop("kind", None)
            out.append(item)
        return out

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        if self.refuse:
            return _status(self.refuse, "Unauthorized", "Unauthorized")
        if request.path in self.faults and self.fault_count > 0:
            self.fault_count -= 1
            return _status(self.faults[request.path], "InternalError", "etcdserver: leader changed")
        path = request.path.rstrip("/")
        parts = path.strip("/").split("/")
        if "/proxy" in path and parts[:2] == ["api", "v1"]:
            key = (request.method, path.split("/proxy", 1)[1] or "/")
            status, body = self.proxy.get(key, (503, "no endpoints available for service"))
            return web.Response(status=status, text=body)
        if request.method != "GET":
            return _status(
                405, "MethodNotAllowed", f"the fake API server only reads, not {request.method}"
            )
        if path == "/api":
            return web.json_response({"kind": "APIVersions", "versions": ["v1"]})
        if path == "/apis":
            group = {
                "name": "apps",
                "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
            }
            return web.json_response({"kind": "APIGroupList", "groups": [group]})
        if path == "/api/v1":
            return web.json_response(self._resource_list("v1", CORE))
        if path == "/apis/apps/v1":
            return web.json_response(self._resource_list("apps/v1", APPS))
        if parts[:2] == ["api", "v1"]:
            api_version, rest, table = "v1", parts[2:], CORE
        elif parts[:3] == ["apis", "apps", "v1"]:
            api_version, rest, table = "apps/v1", parts[3:], APPS
        else:
            return _status(404, "NotFound", "the server could not find the requested resource")
        namespace = None
        if len(rest) >= 2 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if len(rest) == 3 and rest[0] == "pods" and rest[2] == "log":
            prev = request.query.get("previous") == "true"
            text = self.logs.get((rest[1], request.query.get("container", ""), prev))
            if text is None:
                return _status(400, "BadRequest", "container is waiting to start")
            tail = int(request.query.get("tailLines", "0") or 0)
            lines = text.splitlines()[-tail:] if tail else text.splitlines()
            return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")
        if len(rest) != 1 or rest[0] not in table:
            return _status(404, "NotFound", "the server could not find the requested resource")
        kind, _ = table[rest[0]]
        items = self._select(kind, namespace, dict(request.query))
        start = int(request.query.get("continue", "0") or 0)
        size = self.page_size or len(items) or 1
        page, more = items[start : start + size], start + size < len(items)
        meta = {"resourceVersion": "100", **({"continue": str(start + size)} if more else {})}
        return web.json_response(
            {"kind": f"{kind}List", "apiVersion": api_version, "metadata": meta, "items": page}
        )


def _status(code: int, reason: str, message: str) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": reason,
        "message": message,
        "code": code,
    }
    return web.json_response(body, status=code)


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _fields_match(obj: dict, selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if str(_get(obj, key)) != value:
            return False
    return True


def _labels_match(labels: dict, selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


class Server:
    """Runs a FakeApi's aiohttp app in a thread with its own event loop."""

    def __init__(self, api: FakeApi) -> None:
        self.api = api
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.api.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def start(self) -> str:
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        self.api.url = f"http://127.0.0.1:{port}"
        return self.api.url

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


# -- shared test data and helpers ------------------------------------------------------

HERE = Path(__file__).resolve().parent
LABS = HERE / "labs"
DATA = HERE / "data"
TOKEN = "test-token-123"

HEALTHY_PROXY = {
    ("GET", "/healthz"): (200, "ok"),
    ("GET", "/version"): (200, '{"model": "demo", "versions": ["1.0", "1.1", "2.0"]}'),
}
BROKEN_LOGS = {
    (
        "inference-service-7f6b-x",
        "inference",
        False,
    ): "loading model\nERROR: MODEL_PATH /models/x not found",
    (
        "inference-service-7f6b-x",
        "inference",
        True,
    ): "loading model\nTraceback (most recent call last)\nFileNotFoundError: /models/x",
}


def write_kubeconfig(path: Path, server: str, context: str = "kubesim-kubelab") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "contexts": [{"name": context, "context": {"cluster": "kubelab", "user": "learner"}}],
        "clusters": [{"name": "kubelab", "cluster": {"server": server}}],
        "users": [{"name": "learner", "user": {"token": TOKEN}}],
    }
    path.write_text(yaml.safe_dump(config))
    return path


class FakeClock:
    """Time that moves only when the runner sleeps; records every sleep."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.t += seconds
