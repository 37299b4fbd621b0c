"""newVersionedStatefulSetPod: a pod the controller creates below the partition is made from
the current revision (the docs' "Staging an update": a deleted web-2 comes back on the old
image), at or above it from the update revision; OnDelete always takes the update."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kubesim.controllers._actions import Create
from kubesim.controllers._revisions import revision_of
from kubesim.controllers._statefulset import reconcile_statefulset

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _template(image: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": image}]},
    }


def _set(strategy: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default", "uid": "set-uid", "generation": 2},
        "spec": {
            "replicas": 3,
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": _template("registry.k8s.io/nginx-slim:0.21"),
            "updateStrategy": strategy,
        },
        "status": {"currentRevision": "web-old", "updateRevision": "web-new", "currentReplicas": 3},
    }


def _pod(ordinal: int, revision: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"web-{ordinal}",
            "namespace": "default",
            "uid": f"pod-{ordinal}",
            "labels": {"app": "nginx", "controller-revision-hash": revision},
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                 "uid": "set-uid", "controller": True}
            ],
        },
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }  # fmt: skip


def _old_revision(sts: dict[str, Any]) -> dict[str, Any]:
    old = {**sts, "spec": {**sts["spec"], "template": _template("registry.k8s.io/nginx-slim:0.24")}}
    revision = revision_of(
        old, "old", 1, hash_label="controller.kubernetes.io/hash", annotations={}
    )
    revision["metadata"]["ownerReferences"][0]["controller"] = True
    return revision


def _created_after_deleting(ordinal: int, strategy: dict[str, Any]) -> tuple[str, str]:
    sts = _set(strategy)
    pods = [_pod(o, "web-old") for o in range(3) if o != ordinal]
    decision = reconcile_statefulset(sts, pods, [], [_old_revision(sts)], now=NOW)
    created = [a.obj for a in decision.actions if isinstance(a, Create) and a.obj["kind"] == "Pod"]
    assert [p["metadata"]["name"] for p in created] == [f"web-{ordinal}"]
    pod = created[0]
    return (
        pod["spec"]["containers"][0]["image"],
        pod["metadata"]["labels"]["controller-revision-hash"],
    )


def test_below_the_partition_a_deleted_pod_comes_back_as_it_was() -> None:
    staged = {"type": "RollingUpdate", "rollingUpdate": {"partition": 3}}
    assert _created_after_deleting(2, staged) == ("registry.k8s.io/nginx-slim:0.24", "web-old")
    canary = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    assert _created_after_deleting(1, canary) == ("registry.k8s.io/nginx-slim:0.24", "web-old")


def test_at_the_partition_and_with_on_delete_the_update_is_taken() -> None:
    canary = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    image, revision = _created_after_deleting(2, canary)
    assert image == "registry.k8s.io/nginx-slim:0.21"
    assert revision.startswith("web-") and revision != "web-old"
    on_delete = _created_after_deleting(0, {"type": "OnDelete"})
    assert on_delete[0] == "registry.k8s.io/nginx-slim:0.21"
