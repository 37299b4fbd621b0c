"""kube-apiserver: the HTTP edge and everything a write goes through before the store.

Owns: the in-process `Api` (every read and write of every component), the aiohttp edge
(`server`, `request`), admission (`admission`, `defaulting`, `validation`), patches and
server-side apply (`patch`), Tables (`printers`), discovery and OpenAPI, watch, the
subresources (binding, scale, status, logs, proxy, eviction, token), who is asking
(`authn`, `requestinfo`, `rbac`, `escalation`, `reviews`, `tokenrequest`) and the objects a
fresh cluster has (`bootstrap`, `bootstrappolicy`). The live cluster plugs into it through `Hooks` (logs, proxy
targets, metrics, eviction checks, background tasks), so this layer never imports the
controllers, the controller manager, the scheduler, the kubelet or the network.
May import: `kubesim.store`, `kubesim.core`.
"""

from kubesim.apiserver.api import Api, DeleteOptions, ListResult, WriteOptions
from kubesim.apiserver.hooks import (
    Backend,
    Hooks,
    LogRequest,
    LogSource,
    MetricsSource,
    ProxyResolver,
)

__all__ = [
    "Api",
    "Backend",
    "DeleteOptions",
    "Hooks",
    "ListResult",
    "LogRequest",
    "LogSource",
    "MetricsSource",
    "ProxyResolver",
    "WriteOptions",
]
