"""The seams where the live cluster (controllers, scheduler, kubelets) plugs into the API.

Each hook has a default that answers as a real cluster without that component would:
no kubelet -> logs say the container is waiting to start; no endpoints -> the proxy says
so; no metrics-server -> empty metric lists; no PodDisruptionBudgets checked -> an eviction
always proceeds. `Hooks` is one mutable object owned by the `Api`; `kubesim.cluster.components` replaces fields.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from kubesim.core.errors import BadRequest, ServiceUnavailable

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api


@dataclass(frozen=True)
class LogRequest:
    container: str
    previous: bool = False
    follow: bool = False
    tail_lines: int | None = None
    timestamps: bool = False
    since_seconds: int | None = None
    limit_bytes: int | None = None


class LogSource(Protocol):
    """Where container logs come from (the kubelets, plugged in by the cluster)."""

    def open(self, pod: dict[str, Any], request: LogRequest) -> AsyncIterator[bytes]:
        """Chunks of log text; raise an ApiError (BadRequest) when there is no log."""
        ...


def container_status(pod: dict[str, Any], container: str) -> dict[str, Any] | None:
    """The status of one of the pod's containers or init containers, by name."""
    status = pod.get("status") or {}
    for item in (status.get("containerStatuses") or []) + (
        status.get("initContainerStatuses") or []
    ):
        if item.get("name") == container:
            return item
    return None


class NoKubeletLogs:
    """No kubelet has started any container: the real API server's answer for a pod
    whose container has not started yet."""

    def open(self, pod: dict[str, Any], request: LogRequest) -> AsyncIterator[bytes]:
        name = pod["metadata"]["name"]
        status = container_status(pod, request.container) or {}
        waiting = (status.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason", "ContainerCreating")
        raise BadRequest(
            f'container "{request.container}" in pod "{name}" is waiting to start: {reason}'
        )


@dataclass(frozen=True)
class Backend:
    """Where a proxied request goes."""

    host: str
    port: int
    scheme: str = "http"


class ProxyResolver(Protocol):
    async def service(self, namespace: str, name: str, port: str) -> Backend: ...

    async def pod(self, namespace: str, name: str, port: str) -> Backend: ...


class NoEndpoints:
    """Before the endpoints controller and kubelet exist, nothing is reachable."""

    async def service(self, namespace: str, name: str, port: str) -> Backend:
        raise ServiceUnavailable(f'no endpoints available for service "{name}"')

    async def pod(self, namespace: str, name: str, port: str) -> Backend:
        raise ServiceUnavailable(f'pod "{name}" has no IP address and cannot be proxied')


class MetricsSource(Protocol):
    def pods(self, namespace: str | None) -> list[dict[str, Any]]: ...

    def nodes(self) -> list[dict[str, Any]]: ...


class NoMetrics:
    def pods(self, namespace: str | None) -> list[dict[str, Any]]:
        return []

    def nodes(self) -> list[dict[str, Any]]:
        return []


# Called with (api, pod, eviction) before an evicted pod is deleted; raise
# TooManyRequests ("Cannot evict pod as it would violate the pod's disruption budget.")
# to refuse. The controller manager's PDB check plugs in here.
EvictionCheck = Callable[["Api", dict[str, Any], dict[str, Any]], None]

# A background task started with the server and cancelled at shutdown (a controller).
BackgroundTask = Callable[["Api"], Coroutine[Any, Any, None]]


def allow_all_evictions(api: Api, pod: dict[str, Any], eviction: dict[str, Any]) -> None:
    return None


@dataclass
class Hooks:
    logs: LogSource = field(default_factory=NoKubeletLogs)
    proxy: ProxyResolver = field(default_factory=NoEndpoints)
    metrics: MetricsSource = field(default_factory=NoMetrics)
    eviction_check: EvictionCheck = allow_all_evictions
    tasks: list[BackgroundTask] = field(default_factory=list)
    # True once a kubelet finishes graceful pod deletion; until then pods go at once.
    kubelet_running: bool = False
    # True once a garbage collector honours foreground/orphan finalizers.
    garbage_collector_running: bool = False
