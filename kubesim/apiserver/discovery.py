"""Discovery documents, built from the registry (`resources.yaml`).

kubectl 1.37 asks `/api` and `/apis` for aggregated discovery (apidiscovery.k8s.io/v2,
one request lists every resource); drain and the Python dynamic client still read the
legacy per-group-version `APIResourceList`s. Both are pure functions of the registry.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from kubesim.core.resources import SUBRESOURCE_VERBS, Registry, Resource

Obj = dict[str, Any]
AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def wants_aggregated(accept: str) -> bool:
    """True when the Accept header's first choice is aggregated discovery v2."""
    for part in accept.split(","):
        params = {p.strip() for p in part.split(";")[1:]}
        if {"g=apidiscovery.k8s.io", "as=APIGroupDiscoveryList"} <= params and "v=v2" in params:
            return True
    return False


def _kind_ref(gvk: tuple[str, str, str]) -> Obj:
    return {"group": gvk[0], "version": gvk[1], "kind": gvk[2]}


def _aggregated_resource(res: Resource) -> Obj:
    entry: Obj = {
        "resource": res.plural,
        "responseKind": _kind_ref(res.gvk),
        "scope": "Namespaced" if res.namespaced else "Cluster",
        "singularResource": res.singular,
        "verbs": sorted(res.verbs),
    }
    if res.short:
        entry["shortNames"] = list(res.short)
    if res.categories:
        entry["categories"] = list(res.categories)
    if res.sub:
        entry["subresources"] = [
            {
                "subresource": sub,
                "responseKind": _kind_ref(res.subresource_kind(sub)),
                "verbs": list(SUBRESOURCE_VERBS.get(sub, ("get",))),
            }
            for sub in res.sub
        ]
    return entry


def aggregated(reg: Registry, *, legacy: bool) -> Obj:
    """The APIGroupDiscoveryList for `/api` (legacy=True) or `/apis`."""
    items = []
    for group, versions in reg.group_versions():
        if (group == "") != legacy:
            continue
        meta: Obj = (
            {"name": group, "creationTimestamp": None} if group else {"creationTimestamp": None}
        )
        items.append(
            {
                "metadata": meta,
                "versions": [
                    {
                        "version": version,
                        "resources": [
                            _aggregated_resource(r) for r in reg.in_group_version(group, version)
                        ],
                        "freshness": "Current",
                    }
                    for version in versions
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_group_list(reg: Registry) -> Obj:
    groups = []
    for group, versions in reg.group_versions():
        if not group:
            continue
        groups.append(_group(group, versions))
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


# what kubesim serves besides discovery and health (`/kubesim/v1` is its own, and unlisted).
# A real server also lists /openapi/v2, /metrics, /logs and the OIDC discovery paths; kubesim
# answers /openapi/v2 only in protobuf, with a stub for kubectl, so it lists none of them.
_SERVED = ("/openapi/v3", "/openapi/v3/", "/version")


def root_paths(reg: Registry, health: dict[str, list[str]]) -> Obj:
    """The index at `/` (metav1.RootPaths): every path the server lists. As on a real
    cluster, each group's APIService lists `/apis/<group>` and `/apis/<group>/<version>`,
    custom resources' groups too; `health` maps each health endpoint to its checks."""
    paths = ["/api", "/api/v1", "/apis", "/apis/", *_SERVED]
    for group, versions in reg.group_versions():
        if group:
            paths += [f"/apis/{group}", *(f"/apis/{group}/{v}" for v in versions)]
    for endpoint, checks in health.items():
        paths += [f"/{endpoint}", *(f"/{endpoint}/{check}" for check in checks)]
    return {"paths": sorted(set(paths))}


def _group(group: str, versions: list[str]) -> Obj:
    gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}


def api_group(reg: Registry, group: str) -> Obj | None:
    for name, versions in reg.group_versions():
        if name == group and group:
            return {"kind": "APIGroup", "apiVersion": "v1", **_group(group, versions)}
    return None


def _storage_hash(res: Resource) -> str:
    digest = hashlib.sha256(f"{res.group}/{res.version}/{res.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def api_resource_list(reg: Registry, group: str, version: str) -> Obj | None:
    resources = reg.in_group_version(group, version)
    if not resources:
        return None
    out = []
    for res in resources:
        entry: Obj = {
            "name": res.plural,
            "singularName": res.singular,
            "namespaced": res.namespaced,
            "kind": res.kind,
            "verbs": sorted(res.verbs),
        }
        if res.short:
            entry["shortNames"] = list(res.short)
        if res.categories:
            entry["categories"] = list(res.categories)
        if not res.virtual:
            entry["storageVersionHash"] = _storage_hash(res)
        out.append(entry)
        for sub in res.sub:
            sub_gvk = res.subresource_kind(sub)
            sub_entry: Obj = {
                "name": f"{res.plural}/{sub}",
                "singularName": "",
                "namespaced": res.namespaced,
                "kind": sub_gvk[2],
                "verbs": list(SUBRESOURCE_VERBS.get(sub, ("get",))),
            }
            if sub_gvk[:2] != (group, version) and sub not in ("log", "proxy", "status"):
                sub_entry = {**sub_entry, "group": sub_gvk[0], "version": sub_gvk[1]}
            out.append(sub_entry)
    gv = f"{group}/{version}" if group else version
    body: Obj = {"kind": "APIResourceList", "groupVersion": gv, "resources": out}
    if group:
        body = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}
    return body


# --- APIServices (apiregistration.k8s.io/v1) --------------------------------------------

# kube-apiserver's apiVersionPriorities (pkg/controlplane/apiserver/aggregator.go and
# kube-apiserver's own additions): the groupPriorityMinimum and versionPriority of the
# APIService its autoregister controller writes for each built-in group-version.
API_SERVICE_PRIORITIES: dict[tuple[str, str], tuple[int, int]] = {
    ("", "v1"): (18000, 1),
    ("apps", "v1"): (17800, 15),
    ("events.k8s.io", "v1"): (17750, 15),
    ("authentication.k8s.io", "v1"): (17700, 15),
    ("authorization.k8s.io", "v1"): (17600, 15),
    ("autoscaling", "v1"): (17500, 15),
    ("autoscaling", "v2"): (17500, 30),
    ("batch", "v1"): (17400, 15),
    ("certificates.k8s.io", "v1"): (17300, 15),
    ("networking.k8s.io", "v1"): (17200, 15),
    ("policy", "v1"): (17100, 15),
    ("rbac.authorization.k8s.io", "v1"): (17000, 15),
    ("storage.k8s.io", "v1"): (16800, 15),
    ("admissionregistration.k8s.io", "v1"): (16700, 15),
    ("apiextensions.k8s.io", "v1"): (16700, 15),
    ("scheduling.k8s.io", "v1"): (16600, 15),
    ("coordination.k8s.io", "v1"): (16500, 15),
    ("node.k8s.io", "v1"): (16300, 15),
    ("discovery.k8s.io", "v1"): (16200, 15),
    ("flowcontrol.apiserver.k8s.io", "v1"): (16100, 21),
}
# metrics.k8s.io is not built in: metrics-server's manifest registers it, backed by its
# Service (kind's course setup installs it; kubesim answers the group itself).
_METRICS_API_SERVICE: Obj = {
    "metadata": {"name": "v1beta1.metrics.k8s.io", "labels": {"k8s-app": "metrics-server"}},
    "spec": {
        "service": {"namespace": "kube-system", "name": "metrics-server", "port": 443},
        "group": "metrics.k8s.io",
        "version": "v1beta1",
        "insecureSkipTLSVerify": True,
        "groupPriorityMinimum": 100,
        "versionPriority": 100,
    },
}
_LOCAL_AVAILABLE = {
    "type": "Available",
    "status": "True",
    "reason": "Local",
    "message": "Local APIServices are always available",
}
_PASSED_AVAILABLE = {
    "type": "Available",
    "status": "True",
    "reason": "Passed",
    "message": "all checks passed",
}


def api_services(reg: Registry) -> list[tuple[Obj, Obj]]:
    """(object, status) of each APIService a real cluster lists for the groups kubesim
    serves: `v1.` and `v1.apps` ... as the autoregister controller writes them (Local, no
    service, `kube-aggregator.kubernetes.io/automanaged: onstart`), and metrics-server's.
    Status conditions carry no lastTransitionTime here; the caller stamps it."""
    out: list[tuple[Obj, Obj]] = []
    for group, versions in reg.group_versions():
        for version in versions:
            if group == "metrics.k8s.io":
                body = {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService"}
                out.append(({**body, **_METRICS_API_SERVICE}, dict(_PASSED_AVAILABLE)))
                continue
            priority = API_SERVICE_PRIORITIES.get((group, version))
            automanaged = "onstart"
            if priority is None and any(r.custom for r in reg.in_group_version(group, version)):
                # the crdregistration controller's: "CRDs should have relatively low priority"
                priority, automanaged = (1000, 100), "true"
            if priority is None:
                continue  # as makeAPIService: a group-version without a priority is skipped
            obj = {
                "apiVersion": "apiregistration.k8s.io/v1",
                "kind": "APIService",
                "metadata": {
                    "name": f"{version}.{group}",
                    "labels": {"kube-aggregator.kubernetes.io/automanaged": automanaged},
                },
                "spec": {
                    "group": group,
                    "version": version,
                    "groupPriorityMinimum": priority[0],
                    "versionPriority": priority[1],
                },
            }
            out.append((obj, dict(_LOCAL_AVAILABLE)))
    return out
