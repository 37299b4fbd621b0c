"""Shared builders for the objects kubesim's tests feed to controllers and the API.

One `pod()` with keyword options, instead of a copy per test module that drifts: each test
names only what its case is about (the node, readiness, the owner) and gets the rest as a
real API server would have filled it in (uid, namespace, a Running phase once bound).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubesim.core.objects import fmt_time

Obj = dict[str, Any]

_API_VERSIONS = {
    "ReplicaSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "ReplicationController": "v1",
}


def owner(kind: str, name: str, uid: str) -> Obj:
    """The controller ownerReference a workload controller stamps on what it creates."""
    return {
        "apiVersion": _API_VERSIONS[kind],
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": True,
    }


def container(
    name: str = "model-server",
    *,
    image: str | None = None,
    requests: dict[str, str] | None = None,
    ports: list[Obj] | None = None,
) -> Obj:
    c: Obj = {"name": name}
    if image is not None:
        c["image"] = image
    if requests is not None:
        c["resources"] = {"requests": requests}
    if ports is not None:
        c["ports"] = ports
    return c


def pod(
    name: str,
    *,
    namespace: str | None = "lab",
    labels: dict[str, str] | None = None,
    node: str | None = None,
    phase: str | None = None,
    ready: bool | None = None,
    ready_at: datetime | None = None,
    containers: list[Obj] | None = None,
    owned_by: Obj | None = None,
    created: datetime | None = None,
    status: Obj | None = None,
    **spec: Any,
) -> Obj:
    """A Pod as the API would hold it. `phase` defaults to Running when bound to a node,
    Pending otherwise; `ready` adds the Ready condition (stamped `ready_at` when given)."""
    metadata: Obj = {"name": name, "uid": f"uid-{name}"}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = dict(labels) if labels is not None else {"app": "inference"}
    if created is not None:
        metadata["creationTimestamp"] = fmt_time(created)
    if owned_by is not None:
        metadata["ownerReferences"] = [owned_by]
    body: Obj = dict(spec)
    if containers is not None:
        body["containers"] = containers
    if node is not None:
        body["nodeName"] = node
    state: Obj = {"phase": phase or ("Running" if node else "Pending")}
    if ready is not None:
        condition: Obj = {"type": "Ready", "status": "True" if ready else "False"}
        if ready_at is not None:
            condition["lastTransitionTime"] = fmt_time(ready_at)
        state["conditions"] = [condition]
    state.update(status or {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": body, "status": state}
