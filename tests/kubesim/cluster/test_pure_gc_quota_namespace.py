"""Pure decisions added with the loops: garbage collection, quota, namespaces, LimitRange."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubesim.controllers import (
    Delete,
    Update,
    UpdateStatus,
    namespace_conditions,
    reconcile_gc,
    reconcile_namespace,
)
from kubesim.core.limitranger import mutate_pod as apply_limit_range
from kubesim.core.quota import quota_denial, quota_status, stuck_after

NOW = datetime(2026, 11, 24, 16, 0, 0, tzinfo=UTC)


def obj(
    name: str,
    *,
    owners: list[str] = (),
    deleting: bool = False,
    finalizers: list[str] = (),
    block: bool = True,
) -> dict:
    md: dict = {"name": name, "namespace": "default", "uid": f"uid-{name}"}
    if owners:
        md["ownerReferences"] = [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "name": o,
                "uid": f"uid-{o}",
                "blockOwnerDeletion": block,
            }
            for o in owners
        ]
    if deleting:
        md["deletionTimestamp"] = "2026-11-24T16:00:00Z"
    if finalizers:
        md["finalizers"] = list(finalizers)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md}


def kinds(decision) -> list[tuple[str, str]]:
    return [
        (type(a).__name__, a.name if isinstance(a, Delete) else a.obj["metadata"]["name"])
        for a in decision.actions
    ]


@pytest.mark.parametrize(
    "owners, want",
    [
        pytest.param({"uid-o": None}, [("Delete", "d")], id="owner-gone"),
        pytest.param({"uid-o": obj("o")}, [], id="owner-alive"),
        pytest.param({}, [], id="owner-unknown-kind"),
        pytest.param(
            {"uid-o": obj("o", deleting=True, finalizers=["foregroundDeletion"])},
            [("Delete", "d")],
            id="owner-in-foreground",
        ),
    ],
)
def test_dependent_is_collected_only_when_no_owner_remains(owners, want) -> None:
    assert kinds(reconcile_gc(obj("d", owners=["o"]), owners=owners, dependents=[])) == want


def test_dependent_of_a_foreground_owner_is_deleted_in_the_foreground() -> None:
    owner = obj("o", deleting=True, finalizers=["foregroundDeletion"])
    decision = reconcile_gc(obj("d", owners=["o"]), owners={"uid-o": owner}, dependents=[])
    assert decision.actions[0].propagation == "Foreground"


def test_dangling_reference_is_dropped_while_another_owner_lives() -> None:
    decision = reconcile_gc(
        obj("d", owners=["a", "b"]), owners={"uid-a": None, "uid-b": obj("b")}, dependents=[]
    )
    (update,) = decision.actions
    assert isinstance(update, Update)
    assert [r["name"] for r in update.obj["metadata"]["ownerReferences"]] == ["b"]


@pytest.mark.parametrize(
    "dependents, want",
    [
        pytest.param([obj("d", owners=["o"])], [("Delete", "d")], id="deletes-blocking-dependent"),
        pytest.param([obj("d", owners=["o"], deleting=True)], [], id="waits-for-terminating"),
        pytest.param(
            [obj("d", owners=["o"], block=False)],
            [("Delete", "d"), ("Update", "o")],
            id="does-not-wait-for-non-blocking",
        ),
        pytest.param([], [("Update", "o")], id="no-dependents-finalizer-goes"),
    ],
)
def test_foreground_owner_keeps_its_finalizer_while_blocking_dependents_exist(
    dependents, want
) -> None:
    owner = obj("o", deleting=True, finalizers=["foregroundDeletion"])
    decision = reconcile_gc(owner, owners={}, dependents=dependents)
    assert kinds(decision) == want
    if want and want[-1] == ("Update", "o"):
        assert "finalizers" not in decision.actions[-1].obj["metadata"]


def test_orphan_owner_frees_dependents_then_drops_its_finalizer() -> None:
    owner = obj("o", deleting=True, finalizers=["orphan"])
    decision = reconcile_gc(owner, owners={}, dependents=[obj("d", owners=["o"])])
    assert kinds(decision) == [("Update", "d"), ("Update", "o")]
    assert "ownerReferences" not in decision.actions[0].obj["metadata"]


# --- quota --------------------------------------------------------------------------------


def qpod(name: str, requests: dict | None = None, limits: dict | None = None) -> dict:
    res = {}
    if requests:
        res["requests"] = requests
    if limits:
        res["limits"] = limits
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "lab"},
        "spec": {"containers": [{"name": "app", "image": "x", "resources": res}]},
    }


def quota(hard: dict, used: dict | None = None, name: str = "compute-quota") -> dict:
    q = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": "lab"},
        "spec": {"hard": hard},
    }
    if used is not None:
        q["status"] = {"hard": hard, "used": used}
    return q


@pytest.mark.parametrize(
    "pod, quotas, want",
    [
        pytest.param(
            qpod("p", {"memory": "2Gi"}, {"memory": "2Gi"}),
            [quota({"requests.memory": "2Gi"}, {"requests.memory": "1Gi"})],
            "exceeded quota: compute-quota, requested: requests.memory=2Gi, "
            "used: requests.memory=1Gi, limited: requests.memory=2Gi",
            id="memory-over",
        ),
        pytest.param(
            qpod("p", {"memory": "512Mi"}),
            [quota({"requests.memory": "2Gi"}, {"requests.memory": "1Gi"})],
            None,
            id="fits",
        ),
        pytest.param(
            qpod("p", {"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"}),
            [quota({"pods": "2", "requests.cpu": "1"}, {"pods": "2", "requests.cpu": "500m"})],
            "exceeded quota: compute-quota, requested: pods=1,requests.cpu=1, "
            "used: pods=2,requests.cpu=500m, limited: pods=2,requests.cpu=1",
            id="two-resources-sorted",
        ),
        pytest.param(
            qpod("p", {"cpu": "100m"}),
            [
                quota(
                    {"limits.cpu": "2", "limits.memory": "2Gi"},
                    {"limits.cpu": "0", "limits.memory": "0"},
                )
            ],
            "failed quota: compute-quota: must specify limits.cpu for: app; limits.memory for: app",
            id="missing-limits",
        ),
        pytest.param(
            qpod("p", {"cpu": "100m"}),
            [quota({"requests.cpu": "2"})],
            "status unknown for quota: compute-quota, resources: requests.cpu",
            id="quota-not-yet-counted",
        ),
    ],
)
def test_quota_denial_words_the_verdict_as_the_admission_plugin(pod, quotas, want) -> None:
    assert quota_denial(pod, quotas) == want


def test_quota_status_sums_requests_in_the_format_of_the_first_quantity() -> None:
    q = quota({"requests.memory": "4Gi", "pods": "5", "limits.cpu": "4"})
    pods = [
        qpod("a", {"memory": "512Mi"}, {"cpu": "500m"}),
        qpod("b", {"memory": "512Mi"}, {"cpu": "1500m"}),
    ]
    finished = qpod("c", {"memory": "1Gi"})
    finished["status"] = {"phase": "Succeeded"}
    status = quota_status(q, {"pods": [*pods, finished]})
    assert status == {
        "hard": q["spec"]["hard"],
        "used": {"requests.memory": "1Gi", "pods": "2", "limits.cpu": "2"},
    }


def test_a_pod_stuck_terminating_stops_being_charged_after_twice_its_grace_period() -> None:
    """QuotaV1Pod: a pod whose node is lost stays Terminating; past its deletionTimestamp
    (the delete plus the grace period) plus the grace period again it no longer holds the
    quota its replacement needs. It is still an object: count/pods keeps counting it."""
    q = quota({"requests.cpu": "1", "pods": "2", "count/pods": "5"})
    stuck = qpod("lost", {"cpu": "500m"})
    stuck["metadata"] |= {
        "deletionTimestamp": "2026-12-06T04:00:30Z",
        "deletionGracePeriodSeconds": 30,
    }
    pods = [qpod("a", {"cpu": "500m"}), stuck]
    counted = {"requests.cpu": "1", "pods": "2", "count/pods": "2"}
    until = datetime(2026, 12, 6, 4, 1, 0, tzinfo=UTC)  # 04:00:30 + 30 s
    assert stuck_after(stuck) == until
    assert quota_status(q, {"pods": pods}, until - timedelta(seconds=31))["used"] == counted
    assert quota_status(q, {"pods": pods}, until)["used"] == counted
    assert quota_status(q, {"pods": pods}, until + timedelta(seconds=1))["used"] == {
        "requests.cpu": "500m",
        "pods": "1",
        "count/pods": "2",
    }
    assert quota_status(q, {"pods": pods})["used"] == counted  # no clock: until it is gone


def test_limit_range_fills_missing_requests_and_limits() -> None:
    lr = {
        "kind": "LimitRange",
        "metadata": {"name": "defaults", "namespace": "lab"},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "256Mi"},
                    "defaultRequest": {"cpu": "100m"},
                }
            ]
        },
    }
    pod = qpod("p", limits={"memory": "1Gi"})
    out = apply_limit_range(pod, [lr])
    res = out["spec"]["containers"][0]["resources"]
    assert res == {
        "limits": {"memory": "1Gi", "cpu": "500m"},
        "requests": {"cpu": "100m", "memory": "1Gi"},
    }
    assert pod["spec"]["containers"][0]["resources"] == {"limits": {"memory": "1Gi"}}


# --- namespace ----------------------------------------------------------------------------


def test_terminating_namespace_deletes_its_content_and_reports_what_remains() -> None:
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "lab", "uid": "u", "deletionTimestamp": "2026-11-24T16:00:00Z"},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Terminating"},
    }
    cm = obj("settings", finalizers=["example.com/keep"])
    decision = reconcile_namespace(ns, {"configmaps.": [cm]}, now=NOW)
    assert isinstance(decision.actions[0], Delete)
    status = next(a for a in decision.actions if isinstance(a, UpdateStatus)).obj["status"]
    by_type = {c["type"]: c for c in status["conditions"]}
    assert by_type["NamespaceContentRemaining"]["message"] == (
        "Some resources are remaining: configmaps. has 1 resource instances"
    )
    assert by_type["NamespaceFinalizersRemaining"]["message"] == (
        "Some content in the namespace has finalizers remaining: example.com/keep in 1 resource "
        "instances"
    )
    assert not any(isinstance(a, Update) for a in decision.actions)


def test_empty_terminating_namespace_drops_the_kubernetes_finalizer() -> None:
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "lab", "uid": "u", "deletionTimestamp": "2026-11-24T16:00:00Z"},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Terminating"},
    }
    decision = reconcile_namespace(ns, {}, now=NOW)
    final = decision.actions[-1]
    assert isinstance(final, Update) and "finalizers" not in final.obj["spec"]
    conds = {c["type"]: c["reason"] for c in namespace_conditions({}, [], now=NOW)}
    assert conds["NamespaceContentRemaining"] == "ContentRemoved"


def test_limit_range_annotates_the_pod_with_what_it_set() -> None:
    """Upstream's mergePodResourceRequirements writes `kubernetes.io/limit-ranger`: the
    evidence that a pod's requests came from the namespace's LimitRange."""
    lr = {
        "kind": "LimitRange",
        "metadata": {"name": "defaults", "namespace": "lab"},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "256Mi"},
                    "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                }
            ]
        },
    }
    out = apply_limit_range(qpod("p"), [lr])
    assert out["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; "
        "cpu, memory limit for container app"
    )
    stated = qpod("q", requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "1", "memory": "1Gi"})
    assert "annotations" not in apply_limit_range(stated, [lr])["metadata"]
