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
from kubesim.cluster import serve, stop_server, write_kubeconfig
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
