"""DaemonSet decisions: node eligibility, automatic tolerations, pod creation pinned to a
node, ControllerRevisions, rolling-update order and status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import kubesim_builders as builders
import pytest
from kubesim_builders import owner

from kubesim.controllers import (
    Create,
    Delete,
    Emit,
    UpdateStatus,
    daemon_tolerations,
    node_should_run,
    reconcile_daemonset,
)
from kubesim.controllers._daemonset import ds_hash, rolling_update, target_node

from .world import T0

Obj = dict[str, Any]
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def node(name: str, *, taints: list[Obj] | None = None, **lbls: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/os": "linux", **lbls}},
        "spec": {"taints": taints} if taints else {},
    }


NODES = [
    node("kubelab-control-plane", taints=[CONTROL_PLANE_TAINT]),
    node("kubelab-worker"),
    node("kubelab-worker2"),
]


def ds(*, tolerations: list[Obj] | None = None, strategy: Obj | None = None, **tpl: Any) -> Obj:
    spec: Obj = {"containers": [{"name": "agent", "image": "agent:1"}], **tpl}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "kube-system", "uid": "ds-uid", "generation": 1},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec},
            "updateStrategy": strategy
            or {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
            "revisionHistoryLimit": 10,
        },
    }


def pod(name: str, node_name: str, *, hash_: str, ready: bool = True) -> Obj:
    return builders.pod(
        name,
        namespace="kube-system",
        labels={"app": "agent", "controller-revision-hash": hash_},
        created=T0 - timedelta(hours=1),
        owned_by=owner("DaemonSet", "agent", "ds-uid"),
        node=node_name,
        ready=True if ready else None,
        ready_at=T0 - timedelta(minutes=30),
    )


def of(actions: list[Any], kind: type) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


# --- eligibility --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tolerations, node_obj, want",
    [
        pytest.param(None, NODES[1], (True, True), id="plain-worker"),
        pytest.param(None, NODES[0], (False, True), id="control-plane-noschedule-untolerated"),
        pytest.param([{"operator": "Exists"}], NODES[0], (True, True), id="tolerate-everything"),
        pytest.param(
            [
                {
                    "key": "node-role.kubernetes.io/control-plane",
                    "operator": "Exists",
                    "effect": "NoSchedule",
                }
            ],
            NODES[0],
            (True, True),
            id="control-plane-tolerated",
        ),
        pytest.param(
            None,
            node("w3", taints=[{"key": "gpu", "value": "true", "effect": "NoExecute"}]),
            (False, False),
            id="noexecute-untolerated-evicts",
        ),
        pytest.param(
            None,
            node("w4", taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]),
            (True, True),
            id="not-ready-tolerated-automatically",
        ),
        pytest.param(
            None,
            node(
                "w5", taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
            ),
            (True, True),
            id="cordoned-node-still-runs-daemons",
        ),
    ],
)
def test_node_should_run_follows_taints_and_tolerations(
    tolerations: list[Obj] | None, node_obj: Obj, want: tuple[bool, bool]
) -> None:
    assert node_should_run(ds(tolerations=tolerations), node_obj) == want


@pytest.mark.parametrize(
    "selector, want",
    [
        pytest.param({"kubernetes.io/os": "linux"}, (True, True), id="selector-matches"),
        pytest.param({"disk": "ssd"}, (False, False), id="selector-misses"),
    ],
)
def test_node_selector_limits_where_daemons_run(selector: dict[str, str], want: Any) -> None:
    assert node_should_run(ds(nodeSelector=selector), NODES[1]) == want


def test_daemon_pods_get_the_automatic_tolerations_and_network_one_on_host_network() -> None:
    keys = [(t["key"], t["effect"]) for t in daemon_tolerations({"hostNetwork": True})]
    assert keys == [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
        ("node.kubernetes.io/network-unavailable", "NoSchedule"),
    ]
    assert all(
        t["operator"] == "Exists" and "tolerationSeconds" not in t for t in daemon_tolerations({})
    )
    assert len(daemon_tolerations({})) == 6


# --- creation -----------------------------------------------------------------------------


def test_new_daemonset_creates_one_pinned_pod_per_eligible_node_and_a_revision() -> None:
    d = ds()
    decision = reconcile_daemonset(d, NODES, [], [], now=T0)
    creates = of(decision.actions, Create)
    revisions = [c.obj for c in creates if c.obj["kind"] == "ControllerRevision"]
    pods = [c for c in creates if c.obj["kind"] == "Pod"]
    hash_ = ds_hash(d)
    assert [r["metadata"]["name"] for r in revisions] == [f"agent-{hash_}"]
    assert revisions[0]["revision"] == 1
    assert revisions[0]["data"]["spec"]["template"]["$patch"] == "replace"
    assert sorted(target_node(c.obj) for c in pods) == ["kubelab-worker", "kubelab-worker2"]
    md = pods[0].obj["metadata"]
    assert md["generateName"] == "agent-"
    assert md["labels"] == {
        "app": "agent",
        "pod-template-generation": "1",
        "controller-revision-hash": hash_,
    }
    assert "nodeName" not in pods[0].obj["spec"]  # the scheduler binds it
    assert pods[0].events[0].message == "Created pod: {name}"
    st = of(decision.actions, UpdateStatus)[0].obj["status"]
    assert (st["desiredNumberScheduled"], st["currentNumberScheduled"]) == (2, 0)
    assert st["numberUnavailable"] == 2


def test_pod_on_a_node_it_no_longer_fits_is_deleted_and_counted_misscheduled() -> None:
    d = ds()
    hash_ = ds_hash(d)
    pods = [
        pod("agent-cp", "kubelab-control-plane", hash_=hash_),
        pod("agent-w1", "kubelab-worker", hash_=hash_),
        pod("agent-w2", "kubelab-worker2", hash_=hash_),
    ]
    gpu = node("kubelab-control-plane", taints=[{"key": "gpu", "effect": "NoExecute"}])
    decision = reconcile_daemonset(d, [gpu, *NODES[1:]], pods, [], now=T0)
    deletes = of(decision.actions, Delete)
    assert [x.name for x in deletes] == ["agent-cp"]
    assert deletes[0].events[0].message == "Deleted pod: agent-cp"
    st = of(decision.actions, UpdateStatus)[0].obj["status"]
    assert (st["numberMisscheduled"], st["desiredNumberScheduled"], st["numberReady"]) == (1, 2, 2)


def test_failed_daemon_pod_is_killed_with_a_warning() -> None:
    d = ds()
    failed = pod("agent-w1", "kubelab-worker", hash_=ds_hash(d))
    failed["status"]["phase"] = "Failed"
    decision = reconcile_daemonset(d, NODES[1:2], [failed], [], now=T0)
    (warning,) = of(decision.actions, Emit)
    assert (warning.event.type, warning.event.reason, warning.event.message) == (
        "Warning",
        "FailedDaemonPod",
        "Found failed daemon pod kube-system/agent-w1 on node kubelab-worker, will try to kill it",
    )
    assert [x.name for x in of(decision.actions, Delete)] == ["agent-w1"]


# --- rolling update -----------------------------------------------------------------------

THREE = [node("n1"), node("n2"), node("n3")]


def by_node(pods: list[Obj]) -> dict[str, list[Obj]]:
    out: dict[str, list[Obj]] = {}
    for p in pods:
        out.setdefault(p["spec"]["nodeName"], []).append(p)
    return out


@pytest.mark.parametrize(
    "pods, max_unavailable, want",
    [
        pytest.param(
            [pod("a", "n1", hash_="old"), pod("b", "n2", hash_="old"), pod("c", "n3", hash_="old")],
            1,
            ["a"],
            id="one-node-at-a-time-in-name-order",
        ),
        pytest.param(
            [
                pod("a", "n1", hash_="new", ready=False),
                pod("b", "n2", hash_="old"),
                pod("c", "n3", hash_="old"),
            ],
            1,
            [],
            id="waits-while-an-updated-pod-is-unavailable",
        ),
        pytest.param(
            [pod("a", "n1", hash_="new"), pod("b", "n2", hash_="old"), pod("c", "n3", hash_="old")],
            1,
            ["b"],
            id="next-node-once-the-updated-pod-is-available",
        ),
        pytest.param(
            [
                pod("a", "n1", hash_="old"),
                pod("b", "n2", hash_="old", ready=False),
                pod("c", "n3", hash_="old"),
            ],
            1,
            ["b"],
            id="unavailable-old-pods-go-first-and-use-the-budget",
        ),
        pytest.param(
            [pod("a", "n1", hash_="old"), pod("b", "n2", hash_="old"), pod("c", "n3", hash_="old")],
            2,
            ["a", "b"],
            id="max-unavailable-two",
        ),
        pytest.param(
            [pod("a", "n1", hash_="new"), pod("b", "n2", hash_="new"), pod("c", "n3", hash_="new")],
            1,
            [],
            id="nothing-left-to-update",
        ),
    ],
)
def test_rolling_update_replaces_old_pods_within_max_unavailable(
    pods: list[Obj], max_unavailable: int, want: list[str]
) -> None:
    d = ds(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": max_unavailable}})
    d["metadata"]["generation"] = 2
    deletes = rolling_update(d, THREE, by_node(pods), "new", now=T0)
    assert [x.name for x in deletes] == want


def test_on_delete_strategy_never_replaces_old_pods() -> None:
    d = ds(strategy={"type": "OnDelete"})
    pods = [pod(f"p{i}", n["metadata"]["name"], hash_="old") for i, n in enumerate(THREE)]
    decision = reconcile_daemonset(d, THREE, pods, [], now=T0)
    assert not of(decision.actions, Delete)
    st = of(decision.actions, UpdateStatus)[0].obj["status"]
    assert st["currentNumberScheduled"] == 3 and "updatedNumberScheduled" not in st
