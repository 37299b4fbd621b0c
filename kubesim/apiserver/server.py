"""The HTTP edge: aiohttp routes from Kubernetes URLs to the in-process `Api`.

Everything here is translation: URL -> (resource, namespace, name, subresource), query
and headers -> options, `Api` results -> JSON / Table / watch streams / plain text, and
`ApiError` -> its Status body. Every request is authenticated (`authn`: the kubeconfig's
admin token, service-account JWTs, anonymous), impersonation applied, and authorized by RBAC
(`rbac`) on the attributes its URL gives (`requestinfo`) before a handler runs; the health
endpoints answer anonymously, as on a real server. Any unexpected exception
still becomes a Status 500 and a log line, never a hang or a bare traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import platform
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from aiohttp import web

from kubesim.apiserver import crdopenapi as _crdopenapi
from kubesim.apiserver import customresource as _customresource
from kubesim.apiserver import discovery as _discovery
from kubesim.apiserver import health as _health
from kubesim.apiserver import openapi as _openapi
from kubesim.apiserver import openapiserve as _openapiserve
from kubesim.apiserver import portforward as _portforward
from kubesim.apiserver import pretty as _pretty
from kubesim.apiserver import request as _http
from kubesim.apiserver import reviews as _reviews
from kubesim.apiserver import streaming as _streaming
from kubesim.apiserver import subresources as _subresources
from kubesim.apiserver.api import Api, DeleteOptions, WriteOptions
from kubesim.apiserver.authn import (
    Authenticator,
    client_certificate_user,
    impersonate,
    lower_headers,
)
from kubesim.apiserver.bootstrappolicy import ensure_bootstrap_policy
from kubesim.apiserver.escalation import check_write
from kubesim.apiserver.hooks import LogRequest
from kubesim.apiserver.printers import table as _printers
from kubesim.apiserver.proxy import forward
from kubesim.apiserver.rbac import Authorizer
from kubesim.apiserver.requestinfo import (
    SERVICE_ACCOUNTS_GROUP,
    Attributes,
    UserInfo,
    forbidden_status,
    request_attributes,
)
from kubesim.apiserver.tokenrequest import create_token
from kubesim.apiserver.watch import WatchEvent
from kubesim.core.errors import (
    ApiError,
    Forbidden,
    InternalError,
    Invalid,
    MethodNotSupported,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
    Timeout,
    not_found,
    resource_not_found,
    success_body,
)
from kubesim.core.resources import Resource
from kubesim.core.schema import KUBERNETES_VERSION

log = logging.getLogger("kubesim")
Obj = dict[str, Any]

WATCH_DEFAULT_TIMEOUT = 1800.0
_NODE_ACTIONS = ("stop", "start", "fill-memory", "free-memory")
# kubesim's own admin API (not Kubernetes): node faults for `kubelab break`, and the status
# `kubelab status` shows. Same bearer token as the Kubernetes API.
_ADMIN_PREFIX = "/kubesim/v1/"
_HEALTH = {"/healthz", "/readyz", "/livez", "/healthz/", "/readyz/", "/livez/"}


def version_info() -> Obj:
    major, minor, patch = KUBERNETES_VERSION.split(".")
    return {
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": str(int(minor) - 1),
        "gitVersion": f"v{major}.{minor}.{patch}-kubesim",
        "gitCommit": "kubesim",
        "gitTreeState": "clean",
        "buildDate": "2026-11-24T00:00:00Z",
        "goVersion": f"python{sys.version_info.major}.{sys.version_info.minor}",
        "compiler": "kubesim",
        "platform": f"linux/{'arm64' if platform.machine() in ('arm64', 'aarch64') else 'amd64'}",
    }


def _json(body: Any, *, status: int = 200, content_type: str = "application/json") -> web.Response:
    """A JSON body as Go's json.Encoder writes it: compact, keys in struct order (the dicts
    are built in that order), one trailing newline. Marked as the API server's own, which
    `_pretty` may indent (a proxied pod's answer is never touched)."""
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    response = web.Response(body=data, status=status, headers={"Content-Type": content_type})
    response[_OWN_JSON] = True
    return response


def _raw(data: bytes, *, status: int = 200) -> web.Response:
    """Stored JSON as it is (a get or list served from the store's rows), also the API
    server's own for `_indent_for_people`."""
    response = web.Response(
        body=data + b"\n", status=status, headers={"Content-Type": "application/json"}
    )
    response[_OWN_JSON] = True
    return response


def _answer(answer: _openapiserve.Answer) -> web.Response:
    """A pure handler's answer, its bytes as they are (not the API server's own JSON, which
    `_indent_for_people` may indent: kube-openapi serves its documents as built)."""
    return web.Response(body=answer.body, status=answer.status, headers=answer.headers)


def _raw_json(body: Any) -> web.Response:
    """responsewriters.WriteRawJSON, for `/version` and `/`: always indented, no newline."""
    return web.Response(
        body=_pretty.dumps_indented(body).encode(), headers={"Content-Type": "application/json"}
    )


# go-restful's answer to a method no route serves (apiserver's serviceErrorHandler through
# NewGenericServerResponse): e.g. DELETE on /api/v1/configmaps, where a namespaced kind
# serves only list and watch across namespaces.
_APPLY_NEEDS_MANAGER = Invalid(
    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for '
    "apply patch",
    details={
        "group": "meta.k8s.io",
        "kind": "PatchOptions",
        "causes": [
            {
                "reason": "FieldValueRequired",
                "message": "Required value: is required for apply patch",
                "field": "fieldManager",
            }
        ],
    },
)
_NO_ROUTE_FOR_METHOD = MethodNotSupported(
    "the server does not allow this method on the requested resource",
    details={
        "causes": [{"reason": "UnexpectedServerResponse", "message": "405: Method Not Allowed"}]
    },
)


@web.middleware
async def _indent_for_people(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """`_pretty`: the API server's own JSON, indented for curl, wget and browsers."""
    response = await handler(request)
    if (
        isinstance(response, web.Response)
        and response.get(_OWN_JSON)
        and isinstance(response.body, bytes)
        and _pretty.wants_pretty(request.query.get("pretty"), request.headers.get("User-Agent", ""))
    ):
        response.body = _pretty.indent(response.body)
    return response


def _error(err: ApiError) -> web.Response:
    return _json(err.status, status=err.code)


# What kube-apiserver's deprecation filter says on every request to a deprecated
# group/version/kind (prerelease-lifecycle tags), whatever the verb and outcome.
_ENDPOINTS = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"
_DEPRECATED: dict[tuple[str, str, str], str] = {("", "v1", "Endpoints"): _ENDPOINTS}
_DEPRECATION = web.RequestKey("deprecation", str)
_USER = web.RequestKey("user", UserInfo)
# The request presented a ServiceAccount's credentials: a pod's own client, part of the
# workload, not someone outside waiting on the cluster to move (virtual time)
_FROM_A_POD = web.RequestKey("from_a_pod", bool)
_OWN_JSON = web.ResponseKey("own_json", bool)
# pods/exec, attach and portforward over a WebSocket are a GET, and since 1.35 also need
# `create` (the AuthorizePodWebsocketUpgradeCreatePermission gate, on by default)
_UPGRADE_SUBRESOURCES = ("exec", "attach", "portforward")


async def _deprecation_warning(request: web.Request, response: web.StreamResponse) -> None:
    text = request.get(_DEPRECATION)
    if text is not None:
        response.headers.add("Warning", _http.warning_header(text))


async def _filter_headers(request: web.Request, response: web.StreamResponse) -> None:
    """What kube-apiserver's handler chain puts on every response: WithAuditInit's Audit-Id
    (the client's own Audit-ID if it sent one), WithCacheControl's `no-cache, private`
    unless a handler chose otherwise (a hashed OpenAPI document is immutable); and no
    Server header, which Go's net/http never sends."""
    response.headers.pop("Server", None)
    response.headers.setdefault("Cache-Control", "no-cache, private")
    response.headers.setdefault("Audit-Id", request.headers.get("Audit-ID") or str(uuid.uuid4()))


@dataclass
class Target:
    res: Resource
    namespace: str | None
    name: str | None
    sub: str
    rest: str  # proxy path remainder (after .../proxy)


class Server:
    """Builds the aiohttp application around an `Api`."""

    def __init__(
        self,
        api: Api,
        *,
        token: str,
        server_address: str = "127.0.0.1:6443",
        request_timeout: float = 60.0,
    ) -> None:
        self.api = api
        self.token = token
        ensure_bootstrap_policy(api)  # kube-apiserver's rbac/bootstrap-roles post-start hook
        self.authn = Authenticator(api, admin_token=token)
        self.authz = Authorizer(api.store)
        self.server_address = server_address
        self.request_timeout = request_timeout
        self.watches: set[Any] = set()
        self._published_for: object = None
        self._published_docs = _crdopenapi.Published([])

    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[_indent_for_people, self._guard],
            client_max_size=_http.MAX_BODY + 1024 * 1024,
        )
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        app.on_shutdown.append(self._close_watches)
        app.on_response_prepare.append(_deprecation_warning)
        app.on_response_prepare.append(_filter_headers)
        return app

    async def _close_watches(self, _app: web.Application) -> None:
        for watch in list(self.watches):
            watch.close()

    # -- middleware: auth + error translation ---------------------------------------------

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            if request.path not in _HEALTH:
                request[_USER] = self._authenticate_and_authorize(request)
            clock = self.api.clock
            # Virtual time jumps while a client waits (kubesim/core/clock.py). A pod's polls
            # and watches are the workload, in real time: counted as waiting, lab 13's
            # watcher (an API request a second) kept an idle cluster jumping at 20 times its
            # scale, with every probe, heartbeat and scrape that many times more often
            from_outside = not request.get(_FROM_A_POD, False)
            if from_outside:
                clock.asked()
            if _long_lived(request):
                with clock.streaming() if from_outside else contextlib.nullcontext():
                    return await handler(request)
            with clock.hold("API request"):
                return await handler(request)
        except Timeout as err:
            # the body never arrived whole: answer, then drop the connection (no lingering
            # read of the rest, which is what a stalled client would exploit)
            response = _error(err)
            await response.prepare(request)
            await response.write_eof()
            request.protocol.force_close()
            return response
        except ApiError as err:
            return _error(err)
        except web.HTTPException:
            raise
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception as exc:  # never a bare 500 page: a Status and a log line
            log.exception("kubesim: unexpected error on %s %s", request.method, request.path)
            return _error(InternalError(f"Internal error occurred: {exc!r}", details={}))

    def _authenticate_and_authorize(self, request: web.Request) -> UserInfo:
        """The user the request acts as, once it may do what it asks; 401 / 403 otherwise."""
        user = client_certificate_user(request.transport)
        if user is None:
            user = self.authn.authenticate(request.headers.get("Authorization", ""))
        request[_FROM_A_POD] = SERVICE_ACCOUNTS_GROUP in user.groups
        if any(key.lower().startswith("impersonate-") for key in request.headers):
            user = impersonate(
                user, lower_headers(list(request.headers.items())), authorize=self.authz.authorize
            )
        attrs = request_attributes(request.method, request.path, request.query)
        self._authorize(user, attrs)
        if (
            attrs.resource == "pods"
            and attrs.subresource in _UPGRADE_SUBRESOURCES
            and attrs.verb == "get"
            and request.headers.get("Upgrade", "").lower() == "websocket"
        ):
            self._authorize(user, replace(attrs, verb="create"))
        return user

    def _no_escalation(self, request: web.Request, t: Target, obj: Any) -> None:
        """A Role or binding may grant only what its writer holds (`escalation`)."""
        if t.res.group == "rbac.authorization.k8s.io":
            if isinstance(obj, dict) and t.name:
                obj = {**obj, "metadata": {**(obj.get("metadata") or {}), "name": t.name}}
            check_write(
                self.authz, request[_USER], plural=t.res.plural, namespace=t.namespace, obj=obj
            )

    def _authorize(self, user: UserInfo, attrs: Attributes) -> None:
        decision = self.authz.authorize(user, attrs)
        if not decision.allowed:
            message, details = forbidden_status(user.name, attrs, decision.reason)
            raise Forbidden(message, details=details)

    # -- dispatch -----------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path in _HEALTH or path.startswith(("/healthz/", "/readyz/", "/livez/")):
            query = {key: request.query.getall(key) for key in request.query}
            health = _health.answer(self.api.store, path, query)
            if health is None:
                raise resource_not_found()
            return web.Response(status=health.status, text=health.text, content_type="text/plain")
        if path in ("/version", "/version/"):  # WriteRawJSON: MarshalIndent, no newline
            return _raw_json(version_info())
        if path == "/":
            checks = {e: _health.check_names(e) for e in _health.ENDPOINTS}
            return _raw_json(_discovery.root_paths(self.api.registry, checks))
        if path.startswith("/openapi/"):
            return self._openapi(request, path)
        if path.startswith(_ADMIN_PREFIX):
            return await self._admin(request, path[len(_ADMIN_PREFIX) :])
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] not in ("api", "apis"):
            raise resource_not_found()
        accept = request.headers.get("Accept", "")
        reg = self.api.registry
        if parts == ["api"]:
            if _discovery.wants_aggregated(accept):
                return _json(
                    _discovery.aggregated(reg, legacy=True),
                    content_type=_discovery.AGGREGATED_CONTENT_TYPE,
                )
            return _json(_discovery.api_versions(self.server_address))
        if parts == ["apis"]:
            if _discovery.wants_aggregated(accept):
                return _json(
                    _discovery.aggregated(reg, legacy=False),
                    content_type=_discovery.AGGREGATED_CONTENT_TYPE,
                )
            return _json(_discovery.api_group_list(reg))
        if parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        elif len(parts) == 2:
            body = _discovery.api_group(reg, parts[1])
            if body is None:
                raise resource_not_found()
            return _json(body)
        else:
            group, version, rest = parts[1], parts[2], parts[3:]
        if not rest:
            listing = _discovery.api_resource_list(reg, group, version)
            if listing is None:
                raise resource_not_found()
            return _json(listing)
        target = self._target(group, version, rest, path)
        if target.res.gvk in _DEPRECATED:
            request[_DEPRECATION] = _DEPRECATED[target.res.gvk]
        return await self._resource(request, target)

    # -- kubesim admin ----------------------------------------------------------------------

    async def _admin(self, request: web.Request, rest: str) -> web.Response:
        """`GET status`; `POST nodes/{name}/stop|start` (the node-failure fault) and
        `fill-memory|free-memory` (node-memory-pressure: a process outside the pods)."""
        parts = [p for p in rest.split("/") if p]
        cluster = getattr(self.api, "cluster", None)
        if parts == ["status"]:
            if request.method != "GET":
                raise MethodNotSupported("only GET is supported on /kubesim/v1/status")
            return _json(admin_status(self.api, cluster))
        if len(parts) != 3 or parts[0] != "nodes" or parts[2] not in _NODE_ACTIONS:
            raise resource_not_found()
        if request.method != "POST":
            raise MethodNotSupported(f"only POST is supported on /kubesim/v1/nodes/*/{parts[2]}")
        name, action = parts[1], parts[2]
        if cluster is None:
            raise ServiceUnavailable(
                f"kubesim runs without its cluster (--no-controllers), so there is no kubelet "
                f"on node {name} to {action}. Restart kubesim without --no-controllers to use "
                "node faults."
            )
        if name not in cluster.kubelets:
            raise not_found("nodes", name)
        if action == "stop":
            await cluster.stop_node(name)
        elif action == "start":
            cluster.start_node(name)
        elif action == "fill-memory":  # the node-memory-pressure fault: a process outside pods
            cluster.kubelets[name].eviction.fill()
        else:
            cluster.kubelets[name].eviction.free()
        return _json({"node": name, "kubelet": _kubelet_state(cluster, name)})

    def _openapi(self, request: web.Request, path: str) -> web.Response:
        accept = request.headers.get("Accept", "")
        if path.rstrip("/") == "/openapi/v2" and (
            _openapi.V2_PROTOBUF in accept or _openapi.V2_PROTOBUF_CONTENT_TYPE in accept
        ):
            return web.Response(
                body=_openapi.v2_protobuf(),
                headers={"Content-Type": _openapi.V2_PROTOBUF_CONTENT_TYPE},
            )
        published = self._published()
        if_none_match = request.headers.get("If-None-Match", "")
        if path.rstrip("/") == "/openapi/v3":
            body = published.index_body()
            return _answer(
                _openapiserve.index(
                    body, _openapi.digest(body), now=time.time(), if_none_match=if_none_match
                )
            )
        if path.startswith("/openapi/v3/"):
            gv_path = path[len("/openapi/v3/") :].strip("/")
            served = published.served(gv_path)
            if served is not None:
                body, digest, modified = served
                return _answer(
                    _openapiserve.document(
                        gv_path, body, digest, modified=modified, now=time.time(),
                        hash_query=request.query.get("hash"), if_none_match=if_none_match,
                    )
                )  # fmt: skip
        raise resource_not_found()

    def _published(self) -> _crdopenapi.Published:
        """The CRDs' documents for the registry being served (a new one per CRD change)."""
        registry = self.api.registry
        if self._published_for is not registry:
            self._published_docs = _crdopenapi.Published(self.api.custom_kinds())
            self._published_for = registry
        return self._published_docs

    def _target(self, group: str, version: str, rest: list[str], path: str) -> Target:
        reg = self.api.registry
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            inner = reg.lookup(group, version, rest[2])
            if inner is not None and inner.namespaced:
                namespace, rest = rest[1], rest[2:]
        res = reg.lookup(group, version, rest[0])
        if res is None:
            raise resource_not_found()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        remainder = ""
        if sub == "proxy":
            marker = f"/{name}/proxy"
            remainder = path.split(marker, 1)[1] if marker in path else ""
        elif len(rest) > 3:
            raise resource_not_found()
        if sub and sub not in res.sub:
            raise resource_not_found()
        if name is not None and res.namespaced and namespace is None:
            raise resource_not_found()
        return Target(res, namespace, name, sub, remainder)

    # -- resources ----------------------------------------------------------------------------

    async def _resource(self, request: web.Request, t: Target) -> web.StreamResponse:
        method = request.method
        if t.sub == "proxy":
            return await forward(self.api, request, t.res, t.namespace, t.name or "", t.rest)
        if t.res.virtual:
            return self._virtual(request, t)
        if t.res.group in ("authentication.k8s.io", "authorization.k8s.io"):
            # reviews: created and answered, never stored
            if method != "POST" or t.name:
                raise MethodNotSupported(
                    "the server does not allow this method on the requested resource"
                )
            user = request[_USER]
            if t.res.kind == "SelfSubjectReview":
                return _json(_reviews.self_subject_review(user), status=201)
            body = _http.decode_object(
                await self._body(request), request.headers.get("Content-Type"), kind=t.res.kind
            )
            if t.res.kind == "TokenReview":
                answer = _reviews.token_review(body, authenticator=self.authn)
            else:
                answer = _reviews.access_review(
                    t.res.kind, body, user=user, authorizer=self.authz, namespace=t.namespace
                )
            return _json(answer, status=201)
        if t.name is None:
            return await self._collection(request, t)
        return await self._item(request, t)

    def _virtual(self, request: web.Request, t: Target) -> web.Response:
        if request.method != "GET":
            raise MethodNotSupported(
                "the server does not allow this method on the requested resource"
            )
        q = request.query
        if t.name is None:
            return _json(
                _subresources.metrics_list(
                    self.api,
                    t.res,
                    t.namespace,
                    label_selector=q.get("labelSelector", ""),
                    field_selector=q.get("fieldSelector", ""),
                )
            )
        return _json(_subresources.metrics_get(self.api, t.res, t.namespace, t.name))

    def _write_options(self, request: web.Request) -> WriteOptions:
        q = request.query
        return WriteOptions(
            field_manager=q.get("fieldManager")
            or _http.manager_from_user_agent(request.headers.get("User-Agent", "")),
            field_validation=_http.field_validation(q.get("fieldValidation")),
            dry_run=_http.dry_run(q.getall("dryRun", [])),
            user=request.get(_USER),
        )

    def _decode_write(
        self, data: bytes, request: web.Request, kind: str, opts: WriteOptions
    ) -> Any:
        """A create/update body; a JSON one is also kept raw in `opts` so that repeated keys
        can be reported (`duplicate field "spec.replicas"`) as kube-apiserver does."""
        content_type = request.headers.get("Content-Type")
        body = _http.decode_object(data, content_type, kind=kind)
        if (
            _http.media_type(content_type) in (None, "", "application/json")
            or data.lstrip()[:1] == b"{"
        ):
            opts.raw = data
        return body

    async def _body_or_empty_if_protobuf(self, request: web.Request, *, kind: str) -> Any:
        """Bodies whose content kubesim does not need (evictions: the URL names the pod).
        kubectl's typed clients send them as protobuf, which kubesim does not decode for
        this kind; every field that matters is elsewhere."""
        data = await self._body(request)
        content_type = request.headers.get("Content-Type")
        if _http.media_type(content_type) == "application/vnd.kubernetes.protobuf":
            return {}
        return _http.decode_object(data, content_type, kind=kind)

    async def _body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > _http.MAX_BODY:
            raise RequestEntityTooLarge(f"Request entity too large: limit is {_http.MAX_BODY}")
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.request_timeout):
                async for chunk in request.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > _http.MAX_BODY:
                        raise RequestEntityTooLarge(
                            f"Request entity too large: limit is {_http.MAX_BODY}"
                        )
                    chunks.append(chunk)
        except TimeoutError:
            # kube-apiserver's timeout filter; aiohttp closes the connection after this
            # answer, since its body never completed
            raise Timeout(
                "Timeout: request did not complete within requested timeout - context "
                "deadline exceeded",
                details={},
            ) from None
        return b"".join(chunks)

    def _respond(
        self,
        request: web.Request,
        res: Resource,
        obj: Obj,
        *,
        status: int = 200,
        warnings: list[str] | None = None,
    ) -> web.Response:
        accept = request.headers.get("Accept", "")
        if _http.wants_table(accept) and obj.get("kind") == res.kind:
            body = self._table(
                request,
                res,
                [obj],
                list_meta={"resourceVersion": obj.get("metadata", {}).get("resourceVersion", "")},
            )
            response = _json(body, status=status)
        else:
            response = _json(obj, status=status)
        for text in warnings or []:
            response.headers.add("Warning", _http.warning_header(text))
        return response

    def _scale_answer(self, request: web.Request, scale: Obj) -> web.Response:
        """A Scale, or its Table (`kubectl get deploy NAME --subresource=scale`)."""
        if not _http.wants_table(request.headers.get("Accept", "")):
            return _json(scale)
        version = {"resourceVersion": (scale.get("metadata") or {}).get("resourceVersion", "")}
        return _json(
            _printers.table(
                ("autoscaling", "v1", "Scale"),
                [scale],
                now=self.api.clock.now(),
                include_object=request.query.get("includeObject", "Metadata") or "Metadata",
                list_meta=version,
            )
        )

    def _table(
        self, request: web.Request, res: Resource, objs: list[Obj], *, list_meta: Obj | None = None
    ) -> Obj:
        include = request.query.get("includeObject", "Metadata") or "Metadata"
        custom = None
        if res.custom:
            version = self.api.custom_versions.get(res.gvk) or {}
            custom = (
                _customresource.columns(version),
                partial(_customresource.row, version=version),
            )
        return _printers.table(
            res.gvk,
            objs,
            now=self.api.clock.now(),
            include_object=include,
            list_meta=list_meta,
            custom=custom,
        )

    async def _collection(self, request: web.Request, t: Target) -> web.StreamResponse:
        q = request.query
        method = request.method
        if t.res.namespaced and t.namespace is None and method != "GET":
            raise _NO_ROUTE_FOR_METHOD
        if method == "GET":
            if _http.parse_bool(q.get("watch")):
                return await self._watch(request, t)
            listing = self.api.list(
                t.res,
                t.namespace,
                label_selector=q.get("labelSelector", ""),
                field_selector=q.get("fieldSelector", ""),
                limit=max(_http.parse_int("limit", q.get("limit")) or 0, 0),
                continue_token=q.get("continue", ""),
            )
            if _http.wants_table(request.headers.get("Accept", "")):
                meta: Obj = {"resourceVersion": listing.resource_version}
                if listing.continue_token:
                    meta["continue"] = listing.continue_token
                if listing.remaining is not None:
                    meta["remainingItemCount"] = listing.remaining
                return _json(self._table(request, t.res, listing.objects(), list_meta=meta))
            if listing.view is None:
                meta = (
                    listing.body()["metadata"]
                    if listing.continue_token
                    else {"resourceVersion": listing.resource_version}
                )
                head = json.dumps(
                    {"kind": listing.kind, "apiVersion": listing.api_version, "metadata": meta},
                    separators=(",", ":"),
                ).encode()
                return _raw(
                    head[:-1] + b',"items":[' + b",".join(r.raw for r in listing.items) + b"]}"
                )
            return _json(listing.body())
        if method == "POST":
            opts = self._write_options(request)
            body = self._decode_write(await self._body(request), request, t.res.kind, opts)
            self._no_escalation(request, t, body)
            obj = self.api.create(t.res, t.namespace, body, options=opts)
            return self._respond(request, t.res, obj, status=201, warnings=opts.warnings)
        if method == "DELETE":
            options = DeleteOptions.from_body(
                _http.decode_options(
                    await self._body(request), request.headers.get("Content-Type")
                ),
                dict(q),
            )
            listing = self.api.delete_collection(
                t.res,
                t.namespace,
                label_selector=q.get("labelSelector", ""),
                field_selector=q.get("fieldSelector", ""),
                options=options,
            )
            return _json(listing.body())
        raise MethodNotSupported("the server does not allow this method on the requested resource")

    async def _item(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None
        method = request.method
        api = self.api
        if t.sub == "scale":
            return await self._scale(request, t)
        if t.sub == "log":
            return await self._log(request, t)
        if t.sub == "eviction":
            if method != "POST":
                raise MethodNotSupported(
                    "the server does not allow this method on the requested resource"
                )
            body = await self._body_or_empty_if_protobuf(request, kind="Eviction")
            assert t.namespace is not None
            dry_run = _http.dry_run(request.query.getall("dryRun", []))
            evicted = _subresources.evict(api, t.namespace, t.name, body, dry_run=dry_run)
            return _json(evicted, status=201)
        if t.sub == "binding":
            return await self._binding(request, t)
        if t.sub in ("exec", "attach"):
            assert t.namespace is not None
            return await _streaming.serve(api, request, t.namespace, t.name, t.sub)
        if t.sub == "portforward":
            assert t.namespace is not None
            return await _portforward.serve(api, request, t.namespace, t.name)
        if t.sub == "token":
            if method != "POST":
                raise _NO_ROUTE_FOR_METHOD
            assert t.namespace is not None
            body = _http.decode_object(
                await self._body(request), request.headers.get("Content-Type"), kind="TokenRequest"
            )
            return _json(create_token(api, t.namespace, t.name, body), status=201)
        if method == "GET":
            if t.sub in ("", "status", "ephemeralcontainers", "resize", "approval"):
                accept = request.headers.get("Accept", "")
                row = api.get_row(t.res, t.namespace, t.name)
                if not _http.wants_table(accept) and api._view(t.res) is None:
                    return _raw(row.raw)
                return self._respond(request, t.res, api.get(t.res, t.namespace, t.name))
        elif method == "PUT":
            opts = self._write_options(request)
            body = self._decode_write(await self._body(request), request, t.res.kind, opts)
            self._no_escalation(request, t, body)
            obj = api.update(t.res, t.namespace, t.name, body, subresource=t.sub, options=opts)
            return self._respond(request, t.res, obj, warnings=opts.warnings)
        elif method == "PATCH":
            opts = self._write_options(request)
            content_type, patch = _http.decode_patch(
                await self._body(request), request.headers.get("Content-Type")
            )
            if content_type == "application/apply-patch+yaml" and not request.query.get(
                "fieldManager"
            ):
                raise _APPLY_NEEDS_MANAGER
            patch_args: dict[str, Any] = {
                "content_type": content_type,
                "subresource": t.sub,
                "force": _http.parse_bool(request.query.get("force")),
            }
            if t.res.group == "rbac.authorization.k8s.io":
                trial = replace(opts, dry_run=True, warnings=[])  # what the patch would store
                self._no_escalation(
                    request,
                    t,
                    api.patch(t.res, t.namespace, t.name, patch, **patch_args, options=trial),
                )
            obj = api.patch(t.res, t.namespace, t.name, patch, **patch_args, options=opts)
            return self._respond(request, t.res, obj, warnings=opts.warnings)
        elif method == "DELETE" and not t.sub:
            options = DeleteOptions.from_body(
                _http.decode_options(
                    await self._body(request), request.headers.get("Content-Type")
                ),
                dict(request.query),
            )
            if _http.dry_run(request.query.getall("dryRun", [])):
                options.dry_run = True
            obj = api.delete(t.res, t.namespace, t.name, options=options)
            return self._respond(request, t.res, obj)
        raise MethodNotSupported("the server does not allow this method on the requested resource")

    async def _scale(self, request: web.Request, t: Target) -> web.Response:
        assert t.name is not None
        method = request.method
        if method == "GET":
            return self._scale_answer(
                request, _subresources.get_scale(self.api, t.res, t.namespace, t.name)
            )
        opts = self._write_options(request)
        if method == "PUT":
            body = _http.decode_object(
                await self._body(request), request.headers.get("Content-Type"), kind="Scale"
            )
            return self._scale_answer(
                request,
                _subresources.update_scale(
                    self.api, t.res, t.namespace, t.name, body, options=opts
                ),
            )
        if method == "PATCH":
            content_type, patch = _http.decode_patch(
                await self._body(request), request.headers.get("Content-Type")
            )
            return self._scale_answer(
                request,
                _subresources.patch_scale(
                    self.api,
                    t.res,
                    t.namespace,
                    t.name,
                    patch,
                    content_type=content_type,
                    options=opts,
                ),
            )
        raise MethodNotSupported("the server does not allow this method on the requested resource")

    async def _binding(self, request: web.Request, t: Target) -> web.Response:
        assert t.name is not None and t.namespace is not None
        if request.method != "POST":
            raise MethodNotSupported(
                "the server does not allow this method on the requested resource"
            )
        body = _http.decode_object(
            await self._body(request), request.headers.get("Content-Type"), kind="Binding"
        )
        self.api.bind(
            t.namespace, t.name, body, dry_run=_http.dry_run(request.query.getall("dryRun", []))
        )
        return _json(success_body(code=201), status=201)

    async def _log(self, request: web.Request, t: Target) -> web.StreamResponse:
        assert t.name is not None and t.namespace is not None
        q = request.query
        req = LogRequest(
            container=q.get("container", ""),
            previous=_http.parse_bool(q.get("previous")),
            follow=_http.parse_bool(q.get("follow")),
            tail_lines=_http.parse_int("tailLines", q.get("tailLines")),
            timestamps=_http.parse_bool(q.get("timestamps")),
            since_seconds=_http.parse_int("sinceSeconds", q.get("sinceSeconds")),
            limit_bytes=_http.parse_int("limitBytes", q.get("limitBytes")),
        )
        stream = _subresources.open_log(self.api, t.namespace, t.name, req)
        iterator = stream.__aiter__()
        try:
            first = await iterator.__anext__()
        except StopAsyncIteration:
            first = b""
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        if first:
            await response.write(first)
        try:
            async for chunk in iterator:
                await response.write(chunk)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            log.info("kubesim: a logs client hung up on %s/%s", t.namespace, t.name)
        return response

    # -- watch ----------------------------------------------------------------------------------

    async def _watch(self, request: web.Request, t: Target) -> web.StreamResponse:
        q = request.query
        send_initial = _http.parse_bool(q.get("sendInitialEvents"))
        if send_initial and q.get("resourceVersionMatch") != "NotOlderThan":
            raise Invalid(
                'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                details={
                    "group": "meta.k8s.io",
                    "kind": "ListOptions",
                    "causes": [
                        {
                            "reason": "FieldValueForbidden",
                            "message": "Forbidden: sendInitialEvents requires setting "
                            "resourceVersionMatch to NotOlderThan",
                            "field": "resourceVersionMatch",
                        }
                    ],
                },
            )
        timeout = float(
            _http.parse_int("timeoutSeconds", q.get("timeoutSeconds")) or WATCH_DEFAULT_TIMEOUT
        )
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        )
        try:
            watch = self.api.watch(
                t.res,
                t.namespace,
                resource_version=q.get("resourceVersion", ""),
                label_selector=q.get("labelSelector", ""),
                field_selector=q.get("fieldSelector", ""),
                send_initial_events=send_initial,
                allow_bookmarks=_http.parse_bool(q.get("allowWatchBookmarks")),
            )
        except ApiError as err:
            if err.code != 410:
                raise
            await response.prepare(request)
            await response.write(WatchEvent("ERROR", err.status).line())
            await response.write_eof()
            return response
        table = _http.wants_table(request.headers.get("Accept", ""))
        self.watches.add(watch)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            await response.prepare(request)
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                event = await watch.next(remaining)
                if event is None:
                    break
                if table and event.type != "BOOKMARK":
                    obj = self._table(request, t.res, [event.obj])
                    line = WatchEvent(event.type, obj).line()
                else:
                    line = event.line()
                await response.write(line)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            watch.close()
            self.watches.discard(watch)
        return response


def _kubelet_state(cluster: Any, name: str) -> str:
    return "running" if cluster.node_running(name) else "stopped"


def _isolation(runtime: Any) -> Obj:
    """How containers are isolated here (`kubesim.kubelet._world.Isolation`), when known."""
    isolation = getattr(runtime, "isolation", None)
    if isolation is None:
        return {}
    return {"isolation": {"mode": isolation.mode, "description": isolation.describe()}}


def _long_lived(request: web.Request) -> bool:
    """Whether a request may stay open as long as its client likes, so it holds no
    cluster time (virtual time, tests only): a watch, `logs -f` and a port-forward wait on
    the cluster to move. exec and attach do hold: a command or a person is at work in real
    time, and a short `kubectl exec` must see its pod as it was."""
    path, query = request.path, request.query
    if _http.parse_bool(query.get("watch")) or "/watch/" in path:
        return True
    if path.endswith("/log") and _http.parse_bool(query.get("follow")):
        return True
    return path.endswith("/portforward")


def admin_status(api: Api, cluster: Any) -> Obj:
    """What `kubelab status` shows of kubesim: that it is a simulator, its time scale,
    whether memory limits are kernel cgroup limits or measured RSS, and each node's
    kubelet."""
    runtime = getattr(cluster, "runtime", None)
    return {
        "kubesim": True,
        "kubernetesVersion": f"v{KUBERNETES_VERSION}",
        "timeScale": api.clock.scale,
        **({"virtualTime": True} if api.clock.virtual else {}),
        "cgroups": bool(getattr(runtime, "cgroups", False)),
        **_isolation(runtime),
        **({"network": cluster.network_status()} if hasattr(cluster, "network_status") else {}),
        "nodes": {
            name: _kubelet_state(cluster, name) for name in sorted(getattr(cluster, "kubelets", {}))
        },
    }


__all__ = ["Server", "version_info", "NotFound"]
