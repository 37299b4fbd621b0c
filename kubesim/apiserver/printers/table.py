"""Server-side Table printing, as kube-apiserver's printers do it.

Contract:
    table(gvk: tuple[str, str, str], objects: list[dict], *, now: datetime,
          include_object: str = "Metadata", list_meta: dict | None = None) -> dict
returns a `meta.k8s.io/v1` Table (kind Table, columnDefinitions, rows with `cells` and
`object` as a PartialObjectMetadata for include_object=Metadata, the full object for Object,
none for None).

`kubectl get` prints exactly the columns and cells a Table carries, so these must be the
real server's: the column set of `pkg/printers/internalversion/printers.go` for each
built-in kind (wide columns included with priority 1, because the server always prints
wide and kubectl hides them), and for kinds without a printer the default table
convertor's NAME and CREATED AT (Role, ClusterRole, LimitRange, ...). Cells keep Go's
types: counts are integers, booleans are booleans, everything else is a string.
Pure: no I/O; the clock comes in as `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from kubesim.apiserver.printers import resources as res
from kubesim.apiserver.printers import workloads as work
from kubesim.apiserver.printers.columns import COLUMNS
from kubesim.apiserver.printers.format import dig
from kubesim.apiserver.printers.pod import pod_row
from kubesim.core.durations import rfc3339

Printer = Callable[[dict[str, Any], datetime], list[Any]]

_PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "Namespace"): res.namespace,
    ("", "Node"): res.node,
    ("", "Service"): res.service,
    ("", "Endpoints"): res.endpoints,
    ("", "Event"): res.event,
    ("events.k8s.io", "Event"): res.event,
    ("", "ConfigMap"): res.config_map,
    ("", "Secret"): res.secret,
    ("", "ServiceAccount"): res.service_account,
    ("", "ResourceQuota"): res.resource_quota,
    ("", "PersistentVolume"): res.persistent_volume,
    ("", "PersistentVolumeClaim"): res.persistent_volume_claim,
    ("", "ReplicationController"): work.replication_controller,
    ("apps", "Deployment"): work.deployment,
    ("autoscaling", "Scale"): work.scale,
    ("apps", "ReplicaSet"): work.replica_set,
    ("apps", "DaemonSet"): work.daemon_set,
    ("apps", "StatefulSet"): work.stateful_set,
    ("apps", "ControllerRevision"): work.controller_revision,
    ("batch", "Job"): work.job,
    ("batch", "CronJob"): work.cron_job,
    ("policy", "PodDisruptionBudget"): work.pod_disruption_budget,
    ("networking.k8s.io", "NetworkPolicy"): res.network_policy,
    ("networking.k8s.io", "Ingress"): res.ingress,
    ("storage.k8s.io", "StorageClass"): res.storage_class,
    ("scheduling.k8s.io", "PriorityClass"): res.priority_class,
    ("certificates.k8s.io", "CertificateSigningRequest"): res.certificate_signing_request,
    ("rbac.authorization.k8s.io", "RoleBinding"): res.role_binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): res.role_binding,
    ("discovery.k8s.io", "EndpointSlice"): res.endpoint_slice,
    ("coordination.k8s.io", "Lease"): res.lease,
    ("apiregistration.k8s.io", "APIService"): res.api_service,
}

DEFAULT = "__default__"


def columns_for(gvk: tuple[str, str, str]) -> list[dict[str, Any]]:
    """The column definitions the real server sends for this kind (fresh copies)."""
    group, _version, kind = gvk
    known = kind in COLUMNS and (
        (group, kind) in _PRINTERS or kind == "Pod" and group == "" or _is_hpa(group, kind)
    )
    return [dict(column) for column in COLUMNS[kind if known else DEFAULT]]


def _is_hpa(group: str, kind: str) -> bool:
    return group == "autoscaling" and kind == "HorizontalPodAutoscaler"


def _hpa_printer(version: str, obj: dict[str, Any]) -> Printer:
    v2_shaped = dig(obj, "spec", "metrics") is not None or dig(obj, "status", "currentMetrics")
    shape = "v2" if v2_shaped else version
    return partial(work.horizontal_pod_autoscaler, version=shape)


def _default_row(obj: dict[str, Any], _now: datetime) -> list[Any]:
    """The default table convertor: name and creation time as RFC 3339 (CREATED AT)."""
    return [
        dig(obj, "metadata", "name", default=""),
        rfc3339(dig(obj, "metadata", "creationTimestamp")),
    ]


def row(
    gvk: tuple[str, str, str], obj: dict[str, Any], *, now: datetime
) -> tuple[list[Any], list[dict[str, Any]]]:
    """One row's cells and row conditions (only Pods carry conditions: Completed)."""
    group, version, kind = gvk
    if group == "" and kind == "Pod":
        return pod_row(obj, now=now)
    if _is_hpa(group, kind):
        return _hpa_printer(version, obj)(obj, now), []
    printer = _PRINTERS.get((group, kind), _default_row)
    return printer(obj, now), []


def _row_object(obj: dict[str, Any], include_object: str) -> dict[str, Any] | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def table(
    gvk: tuple[str, str, str],
    objects: list[dict[str, Any]],
    *,
    now: datetime,
    include_object: str = "Metadata",
    list_meta: dict[str, Any] | None = None,
    custom: tuple[list[dict[str, Any]], Printer] | None = None,
) -> dict[str, Any]:
    """A `meta.k8s.io/v1` Table of `objects` (all of kind `gvk`) as kube-apiserver prints it;
    `custom` is a custom resource's columns and row printer (from its CRD)."""
    rows = []
    for obj in objects:
        cells, conditions = (custom[1](obj, now), []) if custom else row(gvk, obj, now=now)
        entry: dict[str, Any] = {"cells": cells}
        if conditions:
            entry["conditions"] = conditions
        entry["object"] = _row_object(obj, include_object)
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta or {},
        "columnDefinitions": custom[0] if custom else columns_for(gvk),
        "rows": rows,
    }
