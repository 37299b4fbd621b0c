"""The resources kubesim serves, loaded from `resources.yaml` (data, not code).

Discovery, routing and storage keys all come from here, so adding a kind is one line of
YAML. A resource is identified on the wire by (group, version, plural); two versions of
one resource (autoscaling v1/v2 HPAs) and two views of one object (core/v1 and
events.k8s.io/v1 Events) share storage, named by `storage` below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from kubesim.core.data import read_data

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

# What each subresource answers with and which verbs it takes, as kube-apiserver lists them.
SUBRESOURCE_VERBS: dict[str, tuple[str, ...]] = {
    "status": ("get", "patch", "update"),
    "scale": ("get", "patch", "update"),
    "log": ("get",),
    "eviction": ("create",),
    "proxy": ("create", "delete", "get", "patch", "update"),
    "binding": ("create",),
    "ephemeralcontainers": ("get", "patch", "update"),
    "resize": ("get", "patch", "update"),
    "token": ("create",),
    "finalize": ("update",),
    "exec": ("create", "get"),
    "attach": ("create", "get"),
    "portforward": ("create", "get"),
}


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sub: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    storage_version: bool = True
    shared_storage: str = ""
    virtual: bool = False
    singular: str = field(default="")
    # served for a CustomResourceDefinition (its schema and columns are the CRD's)
    custom: bool = False

    @property
    def gvk(self) -> tuple[str, str, str]:
        return (self.group, self.version, self.kind)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage(self) -> str:
        """The storage prefix shared by every version/view of this resource."""
        if self.shared_storage:  # "/v1/events" -> the core group's events
            return "core/" + self.shared_storage.rsplit("/", 1)[-1]
        return f"{self.group or 'core'}/{self.plural}"

    def subresource_kind(self, sub: str) -> tuple[str, str, str]:
        """The responseKind discovery lists for a subresource."""
        if sub == "scale":
            return ("autoscaling", "v1", "Scale")
        if sub == "eviction":
            return ("policy", "v1", "Eviction")
        if sub == "binding":
            return ("", "v1", "Binding")
        if sub == "token":
            return ("authentication.k8s.io", "v1", "TokenRequest")
        if sub == "proxy":
            return ("", "v1", f"{self.kind}ProxyOptions")
        if sub == "log":
            return ("", "v1", "Pod")
        if sub in ("exec", "attach"):
            return ("", "v1", f"Pod{sub.capitalize()}Options")
        if sub == "portforward":
            return ("", "v1", "PodPortForwardOptions")
        return self.gvk


@dataclass(frozen=True)
class Registry:
    resources: tuple[Resource, ...]

    def lookup(self, group: str, version: str, plural: str) -> Resource | None:
        return _by_path(self).get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> Resource | None:
        return _by_gvk(self).get((group, version, kind))

    def storage_resource(self, res: Resource) -> Resource:
        """The version objects are stored as (autoscaling/v2 for an autoscaling/v1 view)."""
        for other in self.resources:
            if other.storage == res.storage and other.storage_version and not other.shared_storage:
                return other
        return res

    def group_versions(self) -> list[tuple[str, list[str]]]:
        """Groups in discovery order, each with its versions, preferred first."""
        order: dict[str, list[str]] = {}
        custom: set[str] = set()
        for res in self.resources:
            versions = order.setdefault(res.group, [])
            if res.custom:
                custom.add(res.group)
            if res.version not in versions:
                if res.storage_version:
                    versions.insert(0, res.version)
                else:
                    versions.append(res.version)
        for group in custom:  # every CRD version has priority 100: kube-aware order decides
            order[group].sort(key=version_priority, reverse=True)
        return list(order.items())

    def in_group_version(self, group: str, version: str) -> list[Resource]:
        return [r for r in self.resources if r.group == group and r.version == version]


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Kubernetes' kube-aware version order: GA over beta over alpha, higher numbers first
    (v2 > v1 > v1beta2 > v1beta1 > v1alpha1), then anything else by name."""
    found = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not found:
        return (-1, 0, 0, version)
    stability = {"alpha": 0, "beta": 1}.get(found.group(2) or "", 2)
    return (stability, int(found.group(1)), int(found.group(3) or 0), "")


@cache
def _by_path(reg: Registry) -> dict[tuple[str, str, str], Resource]:
    return {(r.group, r.version, r.plural): r for r in reg.resources}


@cache
def _by_gvk(reg: Registry) -> dict[tuple[str, str, str], Resource]:
    return {r.gvk: r for r in reg.resources}


def _names(values: list | None) -> tuple[str, ...]:
    """YAML 1.1 reads the short name `no` (nodes) as False: give it back its text."""
    out = []
    for value in values or ():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        out.append(str(value))
    return tuple(out)


def _from_row(row: dict) -> Resource:
    return Resource(
        group=row["group"],
        version=row["version"],
        kind=row["kind"],
        plural=row["plural"],
        namespaced=bool(row["namespaced"]),
        short=_names(row.get("short")),
        categories=_names(row.get("categories")),
        sub=tuple(row.get("sub", ())),
        verbs=tuple(row.get("verbs", ALL_VERBS)),
        storage_version=row.get("storage", True),
        shared_storage=row.get("shared_storage", ""),
        virtual=row.get("virtual", False),
        singular=row["kind"].lower(),
    )


@cache
def rows() -> tuple[dict[str, Any], ...]:
    """resources.yaml as read, once: the registry, admission and OpenAPI all build on it."""
    return tuple(read_data("resources.yaml"))


@cache
def registry() -> Registry:
    return Registry(tuple(_from_row(row) for row in rows()))
