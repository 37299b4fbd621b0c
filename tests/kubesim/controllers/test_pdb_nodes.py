"""PDB status, eviction refusal, node lifecycle and taint eviction."""

from __future__ import annotations

from datetime import timedelta

import kubesim_builders as builders
import pytest

from kubesim.controllers import (
    Delete,
    Emit,
    UpdateStatus,
    eviction_decision,
    eviction_verdict,
    node_health,
    pdb_status,
    pods_to_evict,
    spent_status,
)
from kubesim.core.objects import fmt_time

from .world import T0


def pod(name, ready=True, node="kubelab-worker", tolerations=None):
    return builders.pod(name, node=node, ready=ready, tolerations=tolerations or [])


def pdb(**spec):
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "inference-pdb", "namespace": "lab", "generation": 1},
        "spec": {"selector": {"matchLabels": {"app": "inference"}}, **spec},
    }


@pytest.mark.parametrize(
    "spec, ready, want",
    [
        pytest.param({"minAvailable": 2}, 3, (3, 2, 1, "SufficientPods"), id="min-available-int"),
        pytest.param({"minAvailable": 2}, 2, (2, 2, 0, "InsufficientPods"), id="at-the-limit"),
        pytest.param({"maxUnavailable": 1}, 3, (3, 2, 1, "SufficientPods"), id="max-unavailable"),
        pytest.param(
            {"minAvailable": "50%"}, 3, (3, 2, 1, "SufficientPods"), id="percent-rounds-up"
        ),
    ],
)
def test_pdb_status_counts_healthy_pods(spec, ready, want):
    pods = [pod(f"p{i}", ready=i < ready) for i in range(3)]
    st = pdb_status(pdb(**spec), pods, now=T0)
    cond = st["conditions"][0]
    assert (
        st["currentHealthy"],
        st["desiredHealthy"],
        st["disruptionsAllowed"],
        cond["reason"],
    ) == want
    assert st["expectedPods"] == 3


def test_eviction_refused_when_no_disruptions_allowed():
    budget = pdb(minAvailable=2)
    budget["status"] = pdb_status(budget, [pod("a"), pod("b")], now=T0)
    assert (
        eviction_decision(pod("a"), [budget], [])
        == "Cannot evict pod as it would violate the pod's disruption budget."
    )
    budget["status"]["disruptionsAllowed"] = 1
    assert eviction_decision(pod("a"), [budget], []) is None


def node(renew, taints=()):
    return (
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "kubelab-worker"},
            "spec": {"taints": list(taints)},
            "status": {
                "conditions": [
                    {"type": "Ready", "status": "True", "lastHeartbeatTime": fmt_time(renew)}
                ]
            },
        },
        {"spec": {"renewTime": fmt_time(renew)}},
    )


def test_silent_node_goes_unknown_and_gets_unreachable_taints():
    # the node-monitor grace period is 50 s since Kubernetes 1.32
    assert node_health(*node(T0 - timedelta(seconds=45)), now=T0).add_taints == []
    n, lease = node(T0 - timedelta(seconds=51))
    health = node_health(n, lease, now=T0)
    ready = health.conditions[0]
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    assert [(t["key"], t["effect"]) for t in health.add_taints] == [
        ("node.kubernetes.io/unreachable", "NoSchedule"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    ]
    assert node_health(*node(T0 - timedelta(seconds=10)), now=T0).add_taints == []


def test_a_cordoned_node_gets_the_unschedulable_taint_and_loses_it_on_uncordon():
    n, lease = node(T0 - timedelta(seconds=10))
    n["spec"] = {"unschedulable": True}
    added = node_health(n, lease, now=T0).add_taints
    assert [(t["key"], t["effect"]) for t in added] == [
        ("node.kubernetes.io/unschedulable", "NoSchedule")
    ]
    n["spec"] = {"unschedulable": True, "taints": added}
    assert node_health(n, lease, now=T0).add_taints == []
    n["spec"] = {"taints": added}
    assert node_health(n, lease, now=T0).remove_taints == added


def test_taint_eviction_waits_for_toleration_seconds():
    taint = {
        "key": "node.kubernetes.io/unreachable",
        "effect": "NoExecute",
        "timeAdded": fmt_time(T0),
    }
    n, _ = node(T0, [taint])
    default = [
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        }
    ]
    waiting = pods_to_evict(n, [pod("x", tolerations=default)], now=T0 + timedelta(seconds=100))
    assert waiting.actions == [] and waiting.requeue_after == 200
    due = pods_to_evict(n, [pod("x", tolerations=default)], now=T0 + timedelta(seconds=300))
    marked, delete, emit = due.actions
    # the pod says why it goes (DisruptionTarget) before it is deleted
    assert isinstance(marked, UpdateStatus)
    assert [c for c in marked.obj["status"]["conditions"] if c["type"] == "DisruptionTarget"] == [
        {
            "type": "DisruptionTarget",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": fmt_time(T0 + timedelta(seconds=300)),
            "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint",
        }
    ]
    assert isinstance(delete, Delete) and delete.name == "x"
    assert isinstance(emit, Emit)
    assert (emit.event.reason, emit.event.message) == (
        "TaintManagerEviction",
        "Marking for deletion Pod lab/x",
    )
    assert len(pods_to_evict(n, [pod("y")], now=T0).actions) == 3  # no toleration: at once


def _budget(healthy: int, *, policy: str | None = None, generation: int = 1) -> dict:
    """inference-pdb (minAvailable 2) whose controller counted `healthy` ready pods."""
    spec = {"minAvailable": 2, **({"unhealthyPodEvictionPolicy": policy} if policy else {})}
    budget = pdb(**spec)
    budget["status"] = pdb_status(budget, [pod(f"p{i}") for i in range(healthy)], now=T0)
    budget["metadata"]["generation"] = generation
    return budget


def _pending(name):
    p = pod(name, ready=False)
    p["status"]["phase"] = "Pending"
    return p


@pytest.mark.parametrize(
    "victim, budget, want",
    [
        pytest.param(pod("a"), _budget(3), (None, True), id="ready-pod-spends-a-disruption"),
        pytest.param(
            pod("a"), _budget(2), ("would violate", False), id="ready-pod-no-disruption-left"
        ),
        pytest.param(
            pod("a", ready=False), _budget(2), (None, False), id="unready-pod-budget-healthy"
        ),
        pytest.param(
            pod("a", ready=False),
            _budget(1),
            ("would violate", False),
            id="unready-pod-budget-short",
        ),
        pytest.param(
            pod("a", ready=False),
            _budget(1, policy="IfHealthyBudget"),
            ("would violate", False),
            id="if-healthy-budget-is-the-default",
        ),
        pytest.param(
            pod("a", ready=False),
            _budget(1, policy="AlwaysAllow"),
            (None, False),
            id="always-allow-unready",
        ),
        pytest.param(
            pod("a"),
            _budget(1, policy="AlwaysAllow"),
            ("would violate", False),
            id="always-allow-still-guards-ready-pods",
        ),
        pytest.param(_pending("a"), _budget(2), (None, False), id="pending-pod-ignores-budget"),
        pytest.param(
            pod("a"), _budget(3, generation=2), ("would violate", False), id="status-not-caught-up"
        ),
    ],
)
def test_eviction_verdict_follows_the_eviction_rest(victim, budget, want):
    """registry/core/pod/storage/eviction.go: canIgnorePDB, unhealthyPodEvictionPolicy,
    the observedGeneration guard, then checkAndDecrement."""
    verdict = eviction_verdict(victim, [budget])
    refusal, spend = want
    if refusal is None:
        assert verdict.refusal is None
    else:
        assert verdict.refusal is not None and refusal in verdict.refusal
        assert verdict.code == 429 and verdict.cause
    assert verdict.spend is spend


def test_a_budget_still_being_processed_says_so():
    verdict = eviction_verdict(pod("a"), [_budget(3, generation=2)])
    assert (
        verdict.cause
        == "The disruption budget inference-pdb is still being processed by the server."
    )


def test_an_empty_selector_guards_nothing():
    budget = _budget(2)
    budget["spec"]["selector"] = {}
    assert eviction_verdict(pod("a"), [budget]).refusal is None


def test_spending_the_last_disruption_turns_disruption_allowed_false():
    status = spent_status(_budget(3), "a", now=T0 + timedelta(seconds=5))
    assert status["disruptionsAllowed"] == 0
    cond = status["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("False", "InsufficientPods")
    assert cond["lastTransitionTime"] == fmt_time(T0 + timedelta(seconds=5))
    assert status["disruptedPods"] == {"a": fmt_time(T0 + timedelta(seconds=5))}
