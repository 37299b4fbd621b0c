"""PodTopologySpread as kube-scheduler applies it, including its surprises."""

from __future__ import annotations

from kubesim.controllers import Bind, FailedScheduling, schedule

from .test_scheduler import CONTROL_PLANE, node, pod

APP = {"app": "inference"}


def spread(key="kubernetes.io/hostname", max_skew=1, when="DoNotSchedule", **extra):
    return {
        "maxSkew": max_skew,
        "topologyKey": key,
        "whenUnsatisfiable": when,
        "labelSelector": {"matchLabels": APP},
        **extra,
    }


def kind_nodes():
    return [node("kubelab-control-plane", taints=[CONTROL_PLANE]), node("w1"), node("w2")]


def incoming(*constraints, labels=APP):
    return pod("new", labels=labels, topologySpreadConstraints=list(constraints))


def test_the_tainted_control_plane_counts_as_an_empty_domain_by_default():
    """nodeTaintsPolicy defaults to Ignore: kind's control plane holds 0 matching pods, so
    maxSkew 1 allows one replica per worker and the third waits, as on a real cluster."""
    placed = [pod("a", node_name="w1", labels=APP), pod("b", node_name="w2", labels=APP)]
    result = schedule(incoming(spread()), kind_nodes(), placed)
    assert isinstance(result, FailedScheduling)
    assert result.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match pod topology "
        "spread constraints. preemption: 0/3 nodes are available: 1 Preemption is not "
        "helpful for scheduling, 2 No preemption victims found for incoming pod."
    )


def test_node_taints_policy_honor_leaves_the_control_plane_out():
    placed = [pod("a", node_name="w1", labels=APP), pod("b", node_name="w2", labels=APP)]
    result = schedule(incoming(spread(nodeTaintsPolicy="Honor")), kind_nodes(), placed)
    assert isinstance(result, Bind) and result.node_name in ("w1", "w2")


def test_the_emptier_worker_is_the_only_one_allowed():
    placed = [pod("a", node_name="w1", labels=APP), pod("b", node_name="w1", labels=APP)]
    result = schedule(incoming(spread(nodeTaintsPolicy="Honor")), kind_nodes(), placed)
    assert isinstance(result, Bind) and result.node_name == "w2"


def test_a_node_without_the_key_is_unresolvable():
    nodes = [node("w1", labels={"zone": "a"}), node("w2")]
    result = schedule(incoming(spread(key="zone")), nodes, [])
    assert isinstance(result, Bind) and result.node_name == "w1"
    placed = [pod("a", node_name="w1", labels=APP)]
    blocked = schedule(incoming(spread(key="zone", max_skew=1)), nodes[1:], placed)
    assert isinstance(blocked, FailedScheduling)
    assert "1 node(s) didn't match pod topology spread constraints (missing required label)" in (
        blocked.message
    )
    assert "1 Preemption is not helpful for scheduling" in blocked.message


def test_zones_from_the_documentation_example():
    """The docs' four nodes in two zones: zoneA holds 2 matching pods, zoneB 1; with maxSkew
    1 the incoming pod may only go to zoneB."""
    nodes = [
        node("node1", labels={"zone": "zoneA"}),
        node("node2", labels={"zone": "zoneA"}),
        node("node3", labels={"zone": "zoneB"}),
        node("node4", labels={"zone": "zoneB"}),
    ]
    placed = [
        pod("p1", node_name="node1", labels=APP),
        pod("p2", node_name="node2", labels=APP),
        pod("p3", node_name="node3", labels=APP),
    ]
    result = schedule(incoming(spread(key="zone")), nodes, placed)
    assert isinstance(result, Bind) and result.node_name in ("node3", "node4")


def test_min_domains_keeps_the_minimum_at_zero_until_enough_domains_exist():
    nodes = [node("w1"), node("w2")]
    placed = [pod("a", node_name="w1", labels=APP), pod("b", node_name="w2", labels=APP)]
    assert isinstance(schedule(incoming(spread()), nodes, placed), Bind)
    result = schedule(incoming(spread(minDomains=3)), nodes, placed)
    assert isinstance(result, FailedScheduling)


def test_a_pod_its_own_selector_does_not_match_adds_no_skew():
    """w1 holds one matching pod, cordoned w2 none (a cordon is no filter for the count).
    A pod matching the selector would make w1's skew 2; one that does not keeps it at 1."""
    placed = [pod("a", node_name="w1", labels=APP)]
    nodes = [node("w1"), node("w2", unschedulable=True)]
    assert isinstance(schedule(incoming(spread()), nodes, placed), FailedScheduling)
    other = incoming(spread(), labels={"app": "loadgen"})
    result = schedule(other, nodes, placed)
    assert isinstance(result, Bind) and result.node_name == "w1"


def test_terminating_and_other_namespace_pods_do_not_count():
    gone = pod("gone", node_name="w1", labels=APP)
    gone["metadata"]["deletionTimestamp"] = "2026-11-24T12:00:00Z"
    elsewhere = pod("elsewhere", node_name="w1", labels=APP)
    elsewhere["metadata"]["namespace"] = "other"
    placed = [pod("a", node_name="w2", labels=APP), gone, elsewhere]
    result = schedule(incoming(spread()), [node("w1"), node("w2")], placed)
    assert isinstance(result, Bind) and result.node_name == "w1"


def test_match_label_keys_narrows_the_count_to_the_same_revision():
    old = [
        pod(f"old-{i}", node_name="w1", labels={**APP, "pod-template-hash": "old"})
        for i in range(3)
    ]
    constraint = spread(matchLabelKeys=["pod-template-hash"])
    new = incoming(constraint, labels={**APP, "pod-template-hash": "new"})
    assert isinstance(schedule(new, [node("w1"), node("w2")], old), Bind)
    without = incoming(spread(), labels={**APP, "pod-template-hash": "new"})
    result = schedule(without, [node("w1"), node("w2")], old)
    assert isinstance(result, Bind) and result.node_name == "w2"


def test_schedule_anyway_prefers_the_emptier_domain_but_never_refuses():
    placed = [pod("a", node_name="w1", labels=APP), pod("b", node_name="w1", labels=APP)]
    soft = incoming(spread(when="ScheduleAnyway"))
    result = schedule(soft, [node("w1"), node("w2")], placed)
    assert isinstance(result, Bind) and result.node_name == "w2"
    only_w1 = schedule(soft, [node("w1"), node("w2", unschedulable=True)], placed)
    assert isinstance(only_w1, Bind) and only_w1.node_name == "w1"
