"""The service and pod proxy subresources: forward a request to a backend address.

`/api/v1/namespaces/NS/services/[scheme:]NAME[:PORT]/proxy/PATH` (and `pods/.../proxy`)
forwards any method to the address `hooks.proxy` resolves (the live cluster's: ready endpoints, pod
IPs); until then the resolver answers 503 `no endpoints available for service "x"`, as
kube-apiserver does for a service without ready endpoints. A backend that cannot be reached
is a 503 in Go's words about the address a real API server dials, the pod IP (a resolver's
backend may carry it as ``address`` beside the host kubesim dials): `error trying to reach
service: dial tcp 10.244.2.6:80: connect: connection refused`.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from kubesim.apiserver.request import split_proxy_name
from kubesim.core.errors import MethodNotSupported, ServiceUnavailable
from kubesim.core.resources import Resource

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
    "authorization",
    "content-encoding",
}


async def forward(
    api: Api, request: web.Request, res: Resource, namespace: str | None, name: str, rest: str
) -> web.StreamResponse:
    scheme, target, port = split_proxy_name(name)
    if res.kind == "Service":
        api.get_row(res, namespace, target)
        backend = await api.hooks.proxy.service(namespace or "", target, port)
    elif res.kind == "Pod":
        api.get_row(res, namespace, target)
        backend = await api.hooks.proxy.pod(namespace or "", target, port)
    else:
        raise MethodNotSupported(f"proxy to {res.plural} is not supported by kubesim")
    url = f"{scheme or backend.scheme}://{backend.host}:{backend.port}{rest or '/'}"
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
    body = await request.read()
    # a backend on the cluster network brings the sockets to dial it with (made inside it)
    factory = getattr(backend, "socket_factory", None)
    connector = aiohttp.TCPConnector(socket_factory=factory) if factory is not None else None
    try:
        async with (
            aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=30), connector=connector
            ) as session,
            session.request(
                request.method,
                url,
                params=request.query,
                headers=headers,
                data=body or None,
                allow_redirects=False,
                ssl=False,
            ) as upstream,
        ):
            data = await upstream.read()
            out_headers = {
                k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP
            }
            return web.Response(body=data, status=upstream.status, headers=out_headers)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        address = getattr(backend, "address", "") or backend.host
        raise ServiceUnavailable(
            f"error trying to reach service: {dial_error(exc, address, backend.port)}"
        ) from exc


def dial_error(exc: BaseException, address: str, port: int) -> str:
    """What Go's net/http says for this failure, naming ``address:port`` as dialed."""
    dial = f"dial tcp {address}:{port}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "EOF"
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return f"{dial}: i/o timeout"
    cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    if isinstance(cause, OSError) and cause.errno:
        if cause.errno == errno.ETIMEDOUT:
            return f"{dial}: i/o timeout"
        return f"{dial}: connect: {os.strerror(cause.errno).lower()}"
    return f"{dial}: {type(exc).__name__}"
