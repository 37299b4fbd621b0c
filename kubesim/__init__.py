"""kubesim: a simulated Kubernetes 1.37 cluster that kubectl and the Python client use unchanged.

Run it with `python -m kubesim serve --state-dir DIR --kubeconfig PATH`. Its layers, each a
subpackage named after the component it stands in for, importing only those below it
(enforced by the import-linter contracts in `.importlinter`):

    cluster                                 the composition root: one process, one kind cluster
    controllermanager | scheduler | kubelet the components that act
    network                                 kube-proxy, CoreDNS and the pod network
    client                                  client-go: informers, work queues, events, actuation
    apiserver | controllers                 kube-apiserver; the controllers' pure decisions
    store                                   etcd's role (an append-only SQLite log)
    core                                    shared vocabulary: errors, clock, quantities, ...

Public names: `Api` (the in-process API every write goes through), `Store`, `Clock`,
`Hooks` (where the live cluster plugs into the API), the `ApiError` hierarchy, and
`serve`/`stop_server`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubesim.apiserver import (
        Api,
        Backend,
        DeleteOptions,
        Hooks,
        ListResult,
        LogRequest,
        LogSource,
        MetricsSource,
        ProxyResolver,
        WriteOptions,
    )
    from kubesim.cluster import serve, stop_server, write_kubeconfig  # type: ignore[no-redef]
    from kubesim.core.clock import Clock, FrozenClock
    from kubesim.core.errors import (
        AlreadyExists,
        ApiError,
        BadRequest,
        Conflict,
        Forbidden,
        Gone,
        Invalid,
        MethodNotSupported,
        NotFound,
        RequestEntityTooLarge,
        ServiceUnavailable,
        TooManyRequests,
        Unauthorized,
        UnsupportedMediaType,
    )
    from kubesim.store import Store

# Imported on first use (PEP 562): a pod's stand-in program runs `python3 -m
# kubesim.standins.<name>`, which imports this package first, and must not pay a second and
# 40 MB of memory for the API server it never uses.
_WHERE = {
    "AlreadyExists": "kubesim.core.errors",
    "Api": "kubesim.apiserver",
    "ApiError": "kubesim.core.errors",
    "Backend": "kubesim.apiserver",
    "BadRequest": "kubesim.core.errors",
    "Clock": "kubesim.core.clock",
    "Conflict": "kubesim.core.errors",
    "DeleteOptions": "kubesim.apiserver",
    "Forbidden": "kubesim.core.errors",
    "FrozenClock": "kubesim.core.clock",
    "Gone": "kubesim.core.errors",
    "Hooks": "kubesim.apiserver",
    "Invalid": "kubesim.core.errors",
    "ListResult": "kubesim.apiserver",
    "LogRequest": "kubesim.apiserver",
    "LogSource": "kubesim.apiserver",
    "MethodNotSupported": "kubesim.core.errors",
    "MetricsSource": "kubesim.apiserver",
    "NotFound": "kubesim.core.errors",
    "ProxyResolver": "kubesim.apiserver",
    "RequestEntityTooLarge": "kubesim.core.errors",
    "ServiceUnavailable": "kubesim.core.errors",
    "Store": "kubesim.store",
    "TooManyRequests": "kubesim.core.errors",
    "Unauthorized": "kubesim.core.errors",
    "UnsupportedMediaType": "kubesim.core.errors",
    "WriteOptions": "kubesim.apiserver",
    "serve": "kubesim.cluster",
    "stop_server": "kubesim.cluster",
    "write_kubeconfig": "kubesim.cluster",
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'kubesim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AlreadyExists",
    "Api",
    "ApiError",
    "Backend",
    "BadRequest",
    "Clock",
    "Conflict",
    "DeleteOptions",
    "Forbidden",
    "FrozenClock",
    "Gone",
    "Hooks",
    "Invalid",
    "ListResult",
    "LogRequest",
    "LogSource",
    "MethodNotSupported",
    "MetricsSource",
    "NotFound",
    "ProxyResolver",
    "RequestEntityTooLarge",
    "ServiceUnavailable",
    "Store",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "WriteOptions",
    "serve",
    "stop_server",
    "write_kubeconfig",
]
