"""kubesim: a simulated Kubernetes 1.37 cluster that kubectl and the Python client use unchanged.

Public names: `Api` (the in-process API every write goes through), `Store`, `Clock`,
`Hooks` (part 2's plug points), the `ApiError` hierarchy, and `serve`/`stop_server`.
Run it with `python -m kubesim serve --state-dir DIR --kubeconfig PATH`.
"""

from kubesim._api import Api, DeleteOptions, ListResult, WriteOptions
from kubesim._clock import Clock, FrozenClock
from kubesim._hooks import Backend, Hooks, LogRequest, LogSource, MetricsSource, ProxyResolver
from kubesim._serve import serve, stop_server, write_kubeconfig
from kubesim._status import (
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
from kubesim._store import Store

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
