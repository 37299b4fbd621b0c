"""Scheduler decisions: filters, the FailedScheduling wording, spreading."""

from __future__ import annotations

import kubesim_builders as builders
import pytest
from kubesim_builders import container

from kubesim.controllers import (
    Bind,
    Emit,
    FailedScheduling,
    UpdateStatus,
    schedule,
    schedule_actions,
)
from kubesim.controllers._scheduler import pod_requests, tolerates

from .world import T0


def node(name, cpu="4", memory="8Gi", taints=(), labels=None, unschedulable=False):
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"taints": list(taints), **({"unschedulable": True} if unschedulable else {})},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"}},
    }


CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def pod(name="pod-x", cpu="100m", memory="128Mi", node_name=None, labels=None, **spec):
    return builders.pod(
        name,
        labels=labels,
        node=node_name,
        containers=[container(requests={"cpu": cpu, "memory": memory})],
        **spec,
    )


KIND_NODES = [
    node("kubelab-control-plane", taints=[CONTROL_PLANE]),
    node("kubelab-worker"),
    node("kubelab-worker2"),
]


def test_taint_and_insufficient_memory_message_matches_kube_scheduler():
    result = schedule(pod(memory="16Gi"), KIND_NODES, [])
    assert isinstance(result, FailedScheduling)
    assert result.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. preemption: 0/3 nodes "
        "are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found "
        "for incoming pod."
    )


def test_failed_scheduling_sets_pod_scheduled_false_and_warns():
    decision = schedule_actions(pod(memory="16Gi"), KIND_NODES, [], now=T0)
    status = next(a for a in decision.actions if isinstance(a, UpdateStatus)).obj["status"]
    cond = [c for c in status["conditions"] if c["type"] == "PodScheduled"][0]
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
    event = next(a for a in decision.actions if isinstance(a, Emit)).event
    assert (event.type, event.reason) == ("Warning", "FailedScheduling")
    assert event.message == cond["message"]


def test_binding_emits_scheduled_event_with_real_wording():
    decision = schedule_actions(pod(), KIND_NODES[:2], [], now=T0)
    assert decision.actions[0] == Bind(pod(), "kubelab-worker")
    assert decision.actions[1].event.message == "Successfully assigned lab/pod-x to kubelab-worker"


def test_replicas_spread_over_workers():
    first = pod("a", node_name="kubelab-worker")
    result = schedule(pod("b"), KIND_NODES, [first])
    assert isinstance(result, Bind) and result.node_name == "kubelab-worker2"


def test_requests_add_up_against_allocatable():
    running = [pod(f"p{i}", cpu="1", node_name="kubelab-worker") for i in range(4)]
    result = schedule(pod(cpu="500m"), KIND_NODES[:2], running)
    assert isinstance(result, FailedScheduling)
    assert "1 Insufficient cpu" in result.message


def test_cordoned_node_is_unschedulable():
    result = schedule(pod(), [node("n1", unschedulable=True)], [])
    assert isinstance(result, FailedScheduling)
    assert result.message.startswith("0/1 nodes are available: 1 node(s) were unschedulable.")


def test_not_ready_node_taint_blocks_like_any_taint():
    not_ready = node("n1", taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}])
    result = schedule(pod(), [not_ready], [])
    assert isinstance(result, FailedScheduling)
    assert "{node.kubernetes.io/not-ready: }" in result.message


@pytest.mark.parametrize(
    "toleration, taint, ok",
    [
        pytest.param(
            {"key": "k", "operator": "Equal", "value": "v"},
            {"key": "k", "value": "v", "effect": "NoSchedule"},
            True,
            id="equal",
        ),
        pytest.param(
            {"key": "k", "value": "x"},
            {"key": "k", "value": "v", "effect": "NoSchedule"},
            False,
            id="equal-other-value",
        ),
        pytest.param(
            {"key": "k", "operator": "Exists"},
            {"key": "k", "value": "v", "effect": "NoExecute"},
            True,
            id="exists-any-effect",
        ),
        pytest.param(
            {"operator": "Exists"},
            {"key": "any", "effect": "NoSchedule"},
            True,
            id="exists-no-key-matches-all",
        ),
        pytest.param(
            {"key": "k", "operator": "Exists", "effect": "NoExecute"},
            {"key": "k", "effect": "NoSchedule"},
            False,
            id="effect-mismatch",
        ),
    ],
)
def test_tolerations_match_taints(toleration, taint, ok):
    assert tolerates(toleration, taint) is ok


@pytest.mark.parametrize(
    "expr, fits",
    [
        ({"key": "gpu", "operator": "In", "values": ["a100"]}, True),
        ({"key": "gpu", "operator": "NotIn", "values": ["a100"]}, False),
        ({"key": "gpu", "operator": "Exists"}, True),
        ({"key": "gpu", "operator": "DoesNotExist"}, False),
        ({"key": "cores", "operator": "Gt", "values": ["8"]}, True),
        ({"key": "cores", "operator": "Lt", "values": ["8"]}, False),
    ],
    ids=["in", "notin", "exists", "doesnotexist", "gt", "lt"],
)
def test_required_node_affinity_operators(expr, fits):
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [expr]}]
            }
        }
    }
    result = schedule(
        pod(affinity=affinity), [node("n1", labels={"gpu": "a100", "cores": "16"})], []
    )
    assert isinstance(result, Bind) is fits
    if not fits:
        assert "1 node(s) didn't match Pod's node affinity/selector." in result.message


def test_preferred_node_affinity_picks_the_labelled_node():
    """Assign Pods to Nodes using Node Affinity: `disktype In [ssd]` preferred (weight 1)
    lands on the worker labelled disktype=ssd, though the name order favours the other."""
    nodes = [
        node("kubelab-control-plane", taints=[CONTROL_PLANE]),
        node("kubelab-worker"),
        node("kubelab-worker2", labels={"disktype": "ssd"}),
    ]
    preferred = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 1,
                    "preference": {
                        "matchExpressions": [
                            {"key": "disktype", "operator": "In", "values": ["ssd"]}
                        ]
                    },
                }
            ]
        }
    }
    assert schedule(pod(affinity=preferred), nodes, []).node_name == "kubelab-worker2"
    assert schedule(pod(), nodes, []).node_name == "kubelab-worker"  # no preference: by name


def test_a_prefer_no_schedule_taint_is_avoided_when_another_node_fits():
    soft = {"key": "maintenance", "value": "soon", "effect": "PreferNoSchedule"}
    nodes = [node("kubelab-worker", taints=[soft]), node("kubelab-worker2")]
    assert schedule(pod(), nodes, []).node_name == "kubelab-worker2"
    tolerated = [{"key": "maintenance", "operator": "Exists", "effect": "PreferNoSchedule"}]
    assert schedule(pod(tolerations=tolerated), nodes, []).node_name == "kubelab-worker"
    # the only node left is still used: PreferNoSchedule is a preference, not a filter
    assert schedule(pod(), nodes[:1], []).node_name == "kubelab-worker"


def test_required_anti_affinity_keeps_replicas_apart():
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "inference"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    placed = [
        pod("a", node_name="kubelab-worker", affinity=anti),
        pod("b", node_name="kubelab-worker2", affinity=anti),
    ]
    result = schedule(pod("c", affinity=anti), KIND_NODES, placed)
    assert isinstance(result, FailedScheduling)
    assert "2 node(s) didn't match pod anti-affinity rules" in result.message


def test_init_containers_count_by_the_max_rule():
    p = pod(cpu="100m")
    p["spec"]["initContainers"] = [{"name": "warmup", "resources": {"requests": {"cpu": "2"}}}]
    assert pod_requests(p)["cpu"] == 2000
