"""ReplicaSet decisions: pod creation from the template, deletion ranking, status."""

from __future__ import annotations

from datetime import timedelta

import kubesim_builders as builders
import pytest
from kubesim_builders import owner

from kubesim.controllers import (
    Create,
    Delete,
    UpdateStatus,
    pods_to_delete,
    reconcile_replicaset,
    reconcile_replicationcontroller,
    replica_failure_status,
)
from kubesim.core.objects import fmt_time

from .world import T0

RS = {
    "apiVersion": "apps/v1",
    "kind": "ReplicaSet",
    "metadata": {
        "name": "inference-7d9c8b6f5",
        "namespace": "lab",
        "uid": "rs-uid",
        "generation": 2,
    },
    "spec": {
        "replicas": 2,
        "minReadySeconds": 10,
        "selector": {"matchLabels": {"app": "inference", "pod-template-hash": "7d9c8b6f5"}},
        "template": {
            "metadata": {"labels": {"app": "inference", "pod-template-hash": "7d9c8b6f5"}},
            "spec": {"containers": [{"name": "model-server", "image": "inference:1"}]},
        },
    },
}


def pod(
    name, *, node="w1", phase="Running", ready_since=None, owned=True, restarts=0, created=None
):
    return builders.pod(
        name,
        labels={"app": "inference", "pod-template-hash": "7d9c8b6f5"},
        created=created or T0 - timedelta(hours=1),
        owned_by=owner("ReplicaSet", RS["metadata"]["name"], "rs-uid") if owned else None,
        node=node,
        phase=phase,
        ready=True if ready_since is not None else None,
        ready_at=ready_since,
        status={"containerStatuses": [{"name": "model-server", "restartCount": restarts}]},
    )


def test_missing_pods_are_created_from_the_template_with_generate_name_and_owner():
    decision = reconcile_replicaset(RS, [], now=T0)
    creates = [a for a in decision.actions if isinstance(a, Create)]
    assert len(creates) == 2
    md = creates[0].obj["metadata"]
    assert md["generateName"] == "inference-7d9c8b6f5-"
    assert md["labels"]["pod-template-hash"] == "7d9c8b6f5"
    assert md["ownerReferences"][0]["uid"] == "rs-uid" and md["ownerReferences"][0]["controller"]
    event = creates[0].events[0]
    assert (event.reason, event.message.format(name="inference-7d9c8b6f5-x2kq9")) == (
        "SuccessfulCreate",
        "Created pod: inference-7d9c8b6f5-x2kq9",
    )


def test_orphan_matching_pod_is_adopted_and_counted():
    decision = reconcile_replicaset(
        RS, [pod("a", ready_since=T0 - timedelta(minutes=5), owned=False)], now=T0
    )
    kinds = [type(a).__name__ for a in decision.actions]
    assert kinds.count("Update") == 1 and kinds.count("Create") == 1


@pytest.mark.parametrize(
    "victim, survivor",
    [
        pytest.param(
            pod("x", node=None, phase="Pending"), pod("y", ready_since=T0), id="unscheduled-first"
        ),
        pytest.param(
            pod("x", phase="Pending"), pod("y", phase="Running"), id="pending-before-running"
        ),
        pytest.param(pod("x"), pod("y", ready_since=T0), id="not-ready-before-ready"),
        pytest.param(
            pod("x", ready_since=T0 - timedelta(seconds=5)),
            pod("y", ready_since=T0 - timedelta(hours=5)),
            id="recently-ready-first",
        ),
        pytest.param(pod("x", restarts=5), pod("y", restarts=0), id="more-restarts-first"),
        pytest.param(
            pod("x", created=T0 - timedelta(seconds=3)),
            pod("y", created=T0 - timedelta(days=3)),
            id="newer-first",
        ),
    ],
)
def test_surplus_pods_are_deleted_in_the_real_ranking(victim, survivor):
    assert pods_to_delete([survivor, victim], [survivor, victim], 1, now=T0) == [victim]


def test_scale_down_deletes_surplus_with_successful_delete_event():
    pods = [
        pod("a", ready_since=T0 - timedelta(hours=1)),
        pod("b", ready_since=T0 - timedelta(hours=1)),
        pod("c"),
    ]
    decision = reconcile_replicaset(RS, pods, now=T0)
    deletes = [a for a in decision.actions if isinstance(a, Delete)]
    assert [d.name for d in deletes] == ["c"]
    assert deletes[0].events[0].message == "Deleted pod: c"


def test_status_counts_available_only_after_min_ready_seconds_and_requeues():
    pods = [
        pod("a", ready_since=T0 - timedelta(seconds=60)),
        pod("b", ready_since=T0 - timedelta(seconds=4)),
    ]
    decision = reconcile_replicaset(RS, pods, now=T0)
    status = next(a for a in decision.actions if isinstance(a, UpdateStatus)).obj["status"]
    assert status == {
        "replicas": 2,
        "fullyLabeledReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 1,
        "observedGeneration": 2,
    }
    assert decision.requeue_after == 7.0  # 6 s left of minReadySeconds, plus a second


def test_terminating_pods_do_not_count_and_are_replaced():
    gone = pod("a", ready_since=T0 - timedelta(hours=1))
    gone["metadata"]["deletionTimestamp"] = fmt_time(T0)
    decision = reconcile_replicaset(
        RS, [gone, pod("b", ready_since=T0 - timedelta(hours=1))], now=T0
    )
    assert sum(isinstance(a, Create) for a in decision.actions) == 1


def test_a_replication_controller_is_the_replicaset_controller_over_its_map_selector():
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "web", "namespace": "lab", "uid": "rc-uid", "generation": 1},
        "spec": {
            "replicas": 2,
            "selector": {"app": "web"},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }
    stranger = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "other", "namespace": "lab", "labels": {"app": "other"}},
    }

    decision = reconcile_replicationcontroller(rc, [stranger], now=T0)

    creates = [a for a in decision.actions if isinstance(a, Create)]
    assert len(creates) == 2 and all(c.slow_start for c in creates)
    owner = creates[0].obj["metadata"]["ownerReferences"][0]
    assert (owner["apiVersion"], owner["kind"], owner["uid"]) == (
        "v1",
        "ReplicationController",
        "rc-uid",
    )
    assert creates[0].events[0].involved["kind"] == "ReplicationController"
    (status,) = [a for a in decision.actions if isinstance(a, UpdateStatus)]
    assert status.obj["spec"]["selector"] == {"app": "web"}, "written back as stored"
    assert status.obj["status"]["replicas"] == 0


REFUSED = 'pods "inference-7d9c8b6f5-x" is forbidden: exceeded quota: compute-quota'


def _with_failure() -> dict:
    rs = {**RS, "status": {"replicas": 1}}
    rs["status"] = replica_failure_status(rs, REFUSED, now=T0)
    return rs


def test_a_refused_create_becomes_the_replica_failure_condition():
    """calculateStatus: ReplicaFailure True, FailedCreate, the create's error, set once."""
    rs = _with_failure()
    assert rs["status"]["conditions"] == [
        {
            "type": "ReplicaFailure",
            "status": "True",
            "lastTransitionTime": fmt_time(T0),
            "reason": "FailedCreate",
            "message": REFUSED,
        }
    ]
    assert replica_failure_status(rs, "another refusal", now=T0 + timedelta(seconds=5)) is None


def test_replica_failure_stays_while_pods_are_missing_and_goes_once_all_exist():
    rs = _with_failure()
    short = reconcile_replicaset(rs, [pod("a", ready_since=T0)], now=T0)
    for action in short.actions:
        if isinstance(action, UpdateStatus):
            assert action.obj["status"]["conditions"][0]["type"] == "ReplicaFailure"
    whole = reconcile_replicaset(rs, [pod("a", ready_since=T0), pod("b", ready_since=T0)], now=T0)
    (update,) = [a for a in whole.actions if isinstance(a, UpdateStatus)]
    assert "conditions" not in update.obj["status"]
