"""The read-only client: the ONLY place in the checker that talks to the API server.

It is built on the official client's `ApiClient` (so TLS, tokens and client certificates
work exactly as in any Kubernetes tool) and sends raw requests by path. Read-only by
construction: `_request` refuses every verb but GET before a byte is sent, so even an `http:`
check through a service proxy can only read. Discovery (kind -> plural, namespaced) is read once per group-version and kept.

Foreign errors (urllib3, ApiException) are translated here into `checker` errors with one
readable paragraph; nothing from the transport travels further in.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import urllib3
import yaml

from checker._errors import (
    ApiError,
    ClusterAuthError,
    ClusterError,
    ClusterUnreachable,
    ReadOnlyViolation,
)
from checker._official_client import (
    ApiClient,
    ApiException,
    ConfigException,
    new_client_from_config,
)

_PROXY_PATH = re.compile(r"^/api/v1/namespaces/[^/]+/services/[^/]+/proxy(/.*)?$")


def allowed(method: str) -> bool:
    """The checker's whole write policy: it sends GET and nothing else.

    A POST through a service proxy writes no cluster object, but it does reach an
    application that may change state on it; a grader must not (DESIGN.md: `http:` is a GET).
    """
    return method == "GET"


@dataclass(frozen=True)
class Resource:
    """What discovery says about one kind."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def collection(self, namespace: str | None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{quote(namespace)}/{self.plural}"
        return f"{base}/{self.plural}"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class ReadOnlyClient:
    """GET and LIST against one cluster, with discovery kept per client."""

    def __init__(
        self, api: ApiClient, *, timeout: float = 10.0, kubeconfig: Path | None = None
    ) -> None:
        self._api = api
        self.kubeconfig = kubeconfig
        self._timeout = timeout
        self._discovery: dict[str, dict[str, Resource] | None] = {}
        self.server: str = api.configuration.host
        self.requests: list[tuple[str, str]] = []  # (method, path?query), for measuring

    @classmethod
    def from_kubeconfig(cls, path: Path | str, *, timeout: float = 10.0) -> ReadOnlyClient:
        """A client for the cluster of this kubeconfig's current context (and no other)."""
        try:
            api = new_client_from_config(config_file=str(path), persist_config=False)
        except (ConfigException, OSError) as exc:
            raise ClusterError(
                f"The kubeconfig {path} cannot be used to reach the lab cluster ({exc}). "
                "Run `kubelab up` to write a fresh one."
            ) from exc
        return cls(api, timeout=timeout, kubeconfig=Path(path))

    def close(self) -> None:
        self._api.close()

    def __enter__(self) -> ReadOnlyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def kubeconfig_contexts(self) -> tuple[str | None, dict[str, dict[str, Any]]]:
        """The kubeconfig's current-context and its contexts by name (`cluster`, `user`,
        `namespace`), re-read each time: `kubectl config set-context` may have changed them.

        Only the kubeconfig this client was made from is read, never another one. Entries
        that are not a named mapping are left out (kubectl would refuse them too).
        """
        if self.kubeconfig is None:
            raise ClusterError("This checker client was not made from a kubeconfig file.")
        try:
            data = yaml.safe_load(self.kubeconfig.read_text()) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ClusterError(f"The kubeconfig {self.kubeconfig} cannot be read ({exc}).") from exc
        if not isinstance(data, dict):
            raise ClusterError(f"The kubeconfig {self.kubeconfig} is not a mapping.")
        current = data.get("current-context")
        contexts: dict[str, dict[str, Any]] = {}
        entries = data.get("contexts")
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                body = entry.get("context")
                contexts.setdefault(entry["name"], body if isinstance(body, dict) else {})
        return (current if isinstance(current, str) else None), contexts

    # -- the one door ----------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        accept: str = "application/json",
    ) -> Reply:
        if not allowed(method):
            raise ReadOnlyViolation(
                f"The checker refused to send {method} {path}: it only reads (GET). "
                "This is a bug in the checker."
            )
        full = path + ("?" + urlencode(query) if query else "")
        self.requests.append((method, full))
        method, url, headers, payload, _ = self._api.param_serialize(
            method, full, header_params={"Accept": accept}, auth_settings=["BearerToken"]
        )
        try:
            response = self._api.call_api(
                method, url, header_params=headers, body=payload, _request_timeout=self._timeout
            )
            data = response.read() or b""
            with contextlib.suppress(AttributeError):  # a transport without pooling
                response.response.release_conn()
        except (urllib3.exceptions.HTTPError, ApiException, OSError) as exc:
            if isinstance(exc, ApiException) and exc.status:
                return Reply(exc.status, (exc.body or "").encode(), "")
            raise ClusterUnreachable(
                f"The lab cluster at {self.server} is not answering ({_reason(exc)}). "
                "Run `kubelab up` to start it (or `kubelab status` to see its state), "
                "then check again."
            ) from exc
        reply = Reply(response.status, data, str(response.headers.get("Content-Type", "")))
        if reply.status in (401, 403) and not _PROXY_PATH.match(path):
            raise ClusterAuthError(
                f"The lab cluster at {self.server} refused the checker's credentials "
                f"(HTTP {reply.status} for GET {path}). The lab kubeconfig is probably stale: "
                "run `kubelab up` to refresh it, then check again."
            )
        return reply

    def get_json(self, path: str, query: dict[str, Any] | None = None) -> Any | None:
        """The decoded JSON at `path`, or None when the server says 404."""
        reply = self._request("GET", path, query=query)
        if reply.status == 404:
            return None
        if not 200 <= reply.status < 300:
            raise ApiError(
                f"The lab cluster answered HTTP {reply.status} to GET {path}: "
                f"{_status_message(reply)}",
                status=reply.status,
                body=reply.text,
            )
        try:
            return json.loads(reply.body)
        except ValueError as exc:
            raise ApiError(
                f"The lab cluster answered GET {path} with something that is not JSON.",
                status=reply.status,
                body=reply.text[:500],
            ) from exc

    # -- discovery and lists ---------------------------------------------------------------

    def resource(self, api_version: str, kind: str) -> Resource | None:
        """Discovery for a kind, or None if the cluster does not serve it."""
        if api_version not in self._discovery:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            listing = self.get_json(path)
            table: dict[str, Resource] | None = None
            if listing is not None:
                table = {}
                for item in listing.get("resources", []):
                    if "/" in item.get("name", ""):
                        continue  # subresources
                    table[item["kind"]] = Resource(
                        api_version=api_version,
                        kind=item["kind"],
                        plural=item["name"],
                        namespaced=bool(item.get("namespaced")),
                    )
            self._discovery[api_version] = table
        table = self._discovery[api_version]
        return None if table is None else table.get(kind)

    def list_objects(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        field_selector: str | None = None,
        label_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every object of a kind in a namespace, items carrying apiVersion and kind."""
        query: dict[str, Any] = {"limit": 500}
        if field_selector:
            query["fieldSelector"] = field_selector
        if label_selector:
            query["labelSelector"] = label_selector
        items: list[dict[str, Any]] = []
        path = resource.collection(namespace)
        while True:
            page = self.get_json(path, query)
            if page is None:  # the namespace or the kind went away: nothing to see
                return items
            for item in page.get("items") or []:
                item.setdefault("apiVersion", resource.api_version)
                item.setdefault("kind", resource.kind)
                items.append(item)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            query = {**query, "continue": token}

    def read_log(
        self, namespace: str, pod: str, container: str, *, tail_lines: int = 20, previous: bool
    ) -> str | None:
        """The last lines of a container's log, or None when there is none to read."""
        query: dict[str, Any] = {"container": container, "tailLines": tail_lines}
        if previous:
            query["previous"] = "true"
        path = f"/api/v1/namespaces/{quote(namespace)}/pods/{quote(pod)}/log"
        reply = self._request("GET", path, query=query, accept="text/plain")
        return reply.text if 200 <= reply.status < 300 else None

    def proxy(self, namespace: str, service: str, port: int | str, path: str) -> Reply:
        """A GET to a service's pods through the API server's service proxy."""
        base = f"/api/v1/namespaces/{quote(namespace)}/services/{quote(service)}:{port}/proxy"
        return self._request("GET", base + path, accept="*/*")


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None)
    text = str(inner or exc)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return text.splitlines()[0][:200] if text else exc.__class__.__name__


def _status_message(reply: Reply) -> str:
    try:
        return str(json.loads(reply.body).get("message") or reply.text[:300])
    except (ValueError, AttributeError):
        return reply.text[:300] or "(empty body)"
