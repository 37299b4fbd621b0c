"""The seams where the live cluster (controllers, scheduler, kubelets) plugs into the API.

Each hook has a default that answers as a real cluster without that component would:
no kubelet -> logs say the container is waiting to start, exec and port-forward that no
kubelet can be dialled; no endpoints -> the proxy says so; no metrics-server -> empty metric
lists; no PodDisruptionBudgets checked -> an eviction
always proceeds. `Hooks` is one mutable object owned by the `Api`; `kubesim.cluster.components` replaces fields.
"""

from __future__ import annotations

import asyncio
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


class StreamUnavailable(Exception):
    """The kubelet refused a stream before upgrading (`container not found ("app")`): answered
    as the kubelet's plain-text error, which kubectl prints as `unable to upgrade connection:
    <message>`."""

    def __init__(self, message: str, *, code: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ContainerSession(Protocol):
    """A command (exec) or a container's own process (attach) with the client's streams:
    `output()` yields (1 stdout | 2 stderr, bytes) until the streams end."""

    def output(self) -> AsyncIterator[tuple[int, bytes]]: ...

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close_stdin(self) -> None: ...

    def resize(self, width: int, height: int) -> None: ...

    async def wait(self) -> int:
        """The exit code (exec); for attach, once the container exits or the session ends."""
        ...

    def kill(self) -> None:
        """The client went away: end an exec; an attach only lets go of the container."""
        ...

    def close(self) -> None: ...


class ContainerStreams(Protocol):
    """One running container, found by the kubelet (`StreamSource.container`)."""

    async def exec(self, command: list[str], *, stdin: bool, tty: bool) -> ContainerSession:
        """Start `command` in the container; OSError when it cannot start."""
        ...

    async def attach(self, *, stdin: bool, tty: bool) -> ContainerSession: ...


class StreamSource(Protocol):
    """Where exec, attach and port-forward go (the kubelets, plugged in by the cluster)."""

    def container(self, pod: dict[str, Any], container: str) -> ContainerStreams:
        """The running container, or StreamUnavailable in the kubelet's words."""
        ...

    async def dial(
        self, pod: dict[str, Any], port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to `port` in the pod's network namespace; OSError as the dial failed."""
        ...

    def sandbox_id(self, pod: dict[str, Any]) -> str:
        """The pod's sandbox id, which the runtime names in port-forward errors."""
        ...


class NoKubeletStreams:
    """No kubelet runs (kubesim --no-controllers): the API server cannot reach one."""

    def _refuse(self, pod: dict[str, Any]) -> StreamUnavailable:
        node = (pod.get("spec") or {}).get("nodeName", "")
        return StreamUnavailable(
            f"error dialing backend: no kubelet runs on node {node} (kubesim was started "
            "without its cluster, --no-controllers)"
        )

    def container(self, pod: dict[str, Any], container: str) -> ContainerStreams:
        raise self._refuse(pod)

    async def dial(
        self, pod: dict[str, Any], port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        raise self._refuse(pod)

    def sandbox_id(self, pod: dict[str, Any]) -> str:
        return ""


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
    streams: StreamSource = field(default_factory=NoKubeletStreams)
    eviction_check: EvictionCheck = allow_all_evictions
    tasks: list[BackgroundTask] = field(default_factory=list)
    # The control loops (controller manager, scheduler): started with the API server's
    # listeners and stopped with them by the control-plane-down fault; `tasks` (the
    # kubelets, the network) keep running through it.
    control_plane: list[BackgroundTask] = field(default_factory=list)
    # True once a kubelet finishes graceful pod deletion; until then pods go at once.
    kubelet_running: bool = False
    # True once a garbage collector honours foreground/orphan finalizers.
    garbage_collector_running: bool = False
