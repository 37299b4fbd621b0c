"""The RBAC bootstrap policy: kube-apiserver's `rbac/bootstrap-roles` post-start hook.

Creates each ClusterRole and ClusterRoleBinding of `kubesim/rbac.yaml` that is missing, as
upstream's hook does at every start (a deleted `cluster-admin` comes back on restart); an
existing one is left as it is (upstream reconciles those with the autoupdate annotation;
kubesim keeps a learner's edit). Aggregated roles (admin, edit, view) are created without
rules: the clusterrole-aggregation controller fills them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kubesim.apiserver.api import Api, WriteOptions
from kubesim.core.data import read_data

Obj = dict[str, Any]

RBAC_API_VERSION = "rbac.authorization.k8s.io/v1"
_BOOTSTRAPPING = {"kubernetes.io/bootstrapping": "rbac-defaults"}
_AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}


@cache
def _data() -> Obj:
    data: Obj = read_data("rbac.yaml")
    return data


def cluster_roles() -> list[Obj]:
    out = []
    for item in _data()["clusterRoles"]:
        role: Obj = {
            "apiVersion": RBAC_API_VERSION,
            "kind": "ClusterRole",
            "metadata": {
                "name": item["name"],
                "labels": {**_BOOTSTRAPPING, **(item.get("labels") or {})},
                "annotations": dict(_AUTOUPDATE),
            },
        }
        if "aggregationRule" in item:
            role["aggregationRule"] = item["aggregationRule"]
        else:
            role["rules"] = item.get("rules") or []
        out.append(role)
    return out


def cluster_role_bindings() -> list[Obj]:
    out = []
    for item in _data()["clusterRoleBindings"]:
        meta: Obj = {"name": item["name"]}
        if not item.get("kubeadm"):
            meta["labels"] = dict(_BOOTSTRAPPING)
            meta["annotations"] = dict(_AUTOUPDATE)
        out.append(
            {
                "apiVersion": RBAC_API_VERSION,
                "kind": "ClusterRoleBinding",
                "metadata": meta,
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": item["role"],
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}
                    for group in item["groups"]
                ],
            }
        )
    return out


def ensure_bootstrap_policy(api: Api) -> None:
    """Create the missing bootstrap ClusterRoles and ClusterRoleBindings."""
    opts = WriteOptions(field_manager="kube-apiserver", trusted=True)
    for plural, objs in (
        ("clusterroles", cluster_roles()),
        ("clusterrolebindings", cluster_role_bindings()),
    ):
        res = api.resource("rbac.authorization.k8s.io", "v1", plural)
        for obj in objs:
            if api.store.get(f"/{res.storage}/{obj['metadata']['name']}") is None:
                api.create(res, None, obj, options=opts)
