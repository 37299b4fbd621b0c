"""Who is asking for what: the user a request runs as and the attributes it is authorized on.

`UserInfo` is apiserver's user.Info (name, uid, groups, extra). `Attributes` is the
authorizer's view of a request, as `RequestInfoFactory.NewRequestInfo`
(staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go) derives it from the URL
alone, before any handler runs:

  * `/api/v1/...` and `/apis/GROUP/VERSION/...` with at least a resource are resource
    requests; everything else (`/api`, `/apis/apps`, `/version`, `/healthz`) is a
    non-resource request whose verb is the lower-case HTTP method;
  * the verb follows the method (POST create, GET get, PUT update, PATCH patch, DELETE
    delete); a GET without a name is list, or watch with `?watch=true`; a DELETE without a
    name is deletecollection; `fieldSelector=metadata.name=x` names the object of a list;
  * `/namespaces/NS/RESOURCE/...` sets the namespace; `/namespaces/NS` (and its `status`
    and `finalize`) is the namespaces resource named NS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

ANONYMOUS = "system:anonymous"
ALL_AUTHENTICATED = "system:authenticated"
ALL_UNAUTHENTICATED = "system:unauthenticated"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts"

_METHOD_VERBS = {
    "POST": "create",
    "GET": "get",
    "HEAD": "get",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}
_SPECIAL_VERBS = ("proxy", "watch")
_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class UserInfo:
    """user.Info. `extra` is a tuple of (key, values) pairs so the user can key caches."""

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def to_json(self) -> Obj:
        """authentication.k8s.io/v1 UserInfo, with its omitempty fields left out."""
        out: Obj = {"username": self.name}
        if self.uid:
            out["uid"] = self.uid
        if self.groups:
            out["groups"] = list(self.groups)
        if self.extra:
            out["extra"] = {key: list(values) for key, values in self.extra}
        return out

    @property
    def service_account(self) -> tuple[str, str] | None:
        """(namespace, name) when this is a service account's username."""
        return split_service_account(self.name)


def service_account_username(namespace: str, name: str) -> str:
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def service_account_groups(namespace: str) -> tuple[str, str]:
    return (SERVICE_ACCOUNTS_GROUP, f"{SERVICE_ACCOUNTS_GROUP}:{namespace}")


def split_service_account(username: str) -> tuple[str, str] | None:
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    namespace, sep, name = username[len(SERVICE_ACCOUNT_PREFIX) :].partition(":")
    if not sep or not namespace or not name or ":" in name:
        return None
    return namespace, name


@dataclass(frozen=True)
class Attributes:
    """authorizer.Attributes without the user: what is asked, on what."""

    verb: str
    resource_request: bool = True
    namespace: str = ""
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        if not self.resource_request:
            return ("", self.verb, self.path)
        return (
            "r",
            self.verb,
            self.namespace,
            self.api_group,
            self.resource,
            self.subresource,
            self.name,
        )


def request_attributes(method: str, path: str, query: Mapping[str, str]) -> Attributes:
    """NewRequestInfo for one HTTP request (the path without its query)."""
    parts = [p for p in path.split("/") if p]
    non_resource = Attributes(verb=method.lower(), resource_request=False, path=path)
    if len(parts) < 3 or parts[0] not in ("api", "apis"):
        return non_resource
    group = ""
    rest = parts[1:]
    if parts[0] == "apis":
        if len(rest) < 3:
            return non_resource
        group, rest = rest[0], rest[1:]
    version, rest = rest[0], rest[1:]
    if rest[0] in _SPECIAL_VERBS:
        if len(rest) < 2:
            return non_resource
        verb, rest = rest[0], rest[1:]
    else:
        verb = _METHOD_VERBS.get(method.upper(), "")
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) >= 2 else ""
    subresource = rest[2] if len(rest) >= 3 and verb != "proxy" else ""
    if not name and verb == "get":
        verb = "watch" if query.get("watch", "").lower() in ("1", "true") else "list"
        name = _exact_name(query.get("fieldSelector", ""))
    if not name and verb == "delete":
        verb = "deletecollection"
    return Attributes(
        verb=verb,
        namespace=namespace,
        api_group=group,
        api_version=version,
        resource=resource,
        subresource=subresource,
        name=name,
        path=path,
    )


def _exact_name(selector: str) -> str:
    """fieldSelector.RequiresExactMatch("metadata.name"), kept only when the name is a valid
    path segment."""
    if "," in selector:
        return ""
    key, sep, value = selector.partition("=")
    name = value[1:] if value.startswith("=") else value
    if not sep or key.strip() != "metadata.name" or name in ("", ".", ".."):
        return ""
    return "" if "/" in name or "%" in name else name


def forbidden_message(user: str, attrs: Attributes) -> str:
    """responsewriters.forbiddenMessage: what the user may not do."""
    if not attrs.resource_request:
        return f'User "{user}" cannot {attrs.verb} path "{attrs.path}"'
    resource = attrs.resource + (f"/{attrs.subresource}" if attrs.subresource else "")
    where = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    return (
        f'User "{user}" cannot {attrs.verb} resource "{resource}" in API group '
        f'"{attrs.api_group}" {where}'
    )


def forbidden_status(user: str, attrs: Attributes, reason: str = "") -> tuple[str, Obj]:
    """apierrors.NewForbidden over the message: (message, details)."""
    why = forbidden_message(user, attrs) + (f": {reason}" if reason else "")
    if not attrs.resource_request or not attrs.resource:
        return f"forbidden: {why}", {}
    qualified = attrs.resource + (f".{attrs.api_group}" if attrs.api_group else "")
    details: Obj = {}
    if attrs.name:
        details["name"] = attrs.name
    if attrs.api_group:
        details["group"] = attrs.api_group
    details["kind"] = attrs.resource
    if attrs.name:
        return f'{qualified} "{attrs.name}" is forbidden: {why}', details
    return f"{qualified} is forbidden: {why}", details
