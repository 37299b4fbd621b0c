"""The pod garbage collector: orphans after the 40 s quarantine (Failed, DisruptionTarget
DeletionByPodGC, grace 0), terminating pods on an out-of-service node or never scheduled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import kubesim_builders as builders

from kubesim.controllers import Delete, UpdateStatus, collect_pods, missing_nodes
from kubesim.core.objects import fmt_time

from .world import T0

Obj = dict[str, Any]


def node(name: str, *, ready: bool = True, taints: list[Obj] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name},
        "spec": {"taints": taints or []},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "Unknown"}]},
    }


def deleted(p: Obj, grace: int = 30) -> Obj:
    p["metadata"]["deletionTimestamp"] = fmt_time(T0)
    p["metadata"]["deletionGracePeriodSeconds"] = grace
    return p


WORKER = node("kubelab-worker")
OUT_OF_SERVICE = {"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown"}


def test_a_missing_node_is_quarantined_from_when_it_was_first_seen_missing() -> None:
    pods = [builders.pod("a", node="kubelab-worker2"), builders.pod("b", node="kubelab-worker")]
    first = missing_nodes(pods, [WORKER], known={}, now=T0)
    assert first == {"kubelab-worker2": T0}
    later = missing_nodes(pods, [WORKER], known=first, now=T0 + timedelta(seconds=30))
    assert later == {"kubelab-worker2": T0}, "the quarantine keeps its start"
    back = missing_nodes(pods, [WORKER, node("kubelab-worker2")], known=later, now=T0)
    assert back == {}, "a node that exists again is forgotten"


def test_an_orphan_waits_out_the_quarantine_then_fails_and_is_force_deleted() -> None:
    orphan = builders.pod("a", node="kubelab-worker2")
    missing = {"kubelab-worker2": T0}
    waiting = collect_pods([orphan], [WORKER], missing=missing, now=T0 + timedelta(seconds=10))
    assert waiting.actions == [] and waiting.requeue_after == 30

    due = collect_pods([orphan], [WORKER], missing=missing, now=T0 + timedelta(seconds=40))
    marked, delete = due.actions
    assert isinstance(marked, UpdateStatus) and marked.obj["status"]["phase"] == "Failed"
    (target,) = [c for c in marked.obj["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert (target["reason"], target["message"]) == (
        "DeletionByPodGC",
        "PodGC: node no longer exists",
    )
    assert isinstance(delete, Delete) and (delete.name, delete.grace_seconds) == ("a", 0)


def test_a_finished_orphan_is_only_deleted() -> None:
    done = builders.pod("a", node="kubelab-worker2", phase="Succeeded")
    decision = collect_pods(
        [done], [], missing={"kubelab-worker2": T0}, now=T0 + timedelta(minutes=1)
    )
    assert [type(a) for a in decision.actions] == [Delete]


def test_terminating_pods_on_an_out_of_service_node_that_is_not_ready_are_force_deleted() -> None:
    down = node("kubelab-worker2", ready=False, taints=[OUT_OF_SERVICE])
    stuck = deleted(builders.pod("a", node="kubelab-worker2"))
    marked, delete = collect_pods([stuck], [down], missing={}, now=T0).actions
    assert isinstance(marked, UpdateStatus) and marked.obj["status"]["phase"] == "Failed"
    assert "conditions" not in marked.obj["status"]  # markFailedAndDeletePod: no condition
    assert isinstance(delete, Delete) and delete.grace_seconds == 0


def test_what_the_collector_leaves_alone() -> None:
    ready_tainted = node("kubelab-worker2", taints=[OUT_OF_SERVICE])
    untainted_down = node("kubelab-worker2", ready=False)
    stuck = deleted(builders.pod("a", node="kubelab-worker2"))
    running = builders.pod("b", node="kubelab-worker2")
    for nodes in ([ready_tainted], [untainted_down]):
        assert collect_pods([stuck, running], nodes, missing={}, now=T0).actions == []
    finished = deleted(builders.pod("c", node="kubelab-worker9", phase="Failed"), grace=0)
    later = T0 + timedelta(minutes=1)
    assert collect_pods([finished], [], missing={"kubelab-worker9": T0}, now=later).actions == []


def test_a_force_deleted_orphan_a_finalizer_holds_is_still_marked_failed() -> None:
    """`kubectl delete pod --force` on a lost node's pod that a Job's finalizer holds: the
    collector still ends it Failed, so the Job can count it; the delete is already done."""
    forced = deleted(builders.pod("c", node="kubelab-worker9"), grace=0)
    later = T0 + timedelta(minutes=1)
    (marked,) = collect_pods([forced], [], missing={"kubelab-worker9": T0}, now=later).actions
    assert isinstance(marked, UpdateStatus) and marked.obj["status"]["phase"] == "Failed"


def test_a_terminating_pod_never_scheduled_is_force_deleted() -> None:
    unscheduled = deleted(builders.pod("a"))
    marked, delete = collect_pods([unscheduled], [WORKER], missing={}, now=T0).actions
    assert marked.obj["status"]["phase"] == "Failed" and delete.grace_seconds == 0
