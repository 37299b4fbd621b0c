"""The node lifecycle controller's pass as a pure decision (`node_lifecycle`): one write per
pass, conditions first, then taints, as the controller manager applies it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kubesim.controllers import Emit, Update, UpdateStatus, node_lifecycle
from kubesim.core.objects import fmt_time

NOW = datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC)


def _node(*, beat_ago: float | None, ready: str = "True", taints: list | None = None) -> dict:
    conditions: list[dict[str, Any]] = []
    if beat_ago is not None:
        conditions.append(
            {
                "type": "Ready",
                "status": ready,
                "lastHeartbeatTime": fmt_time(NOW - timedelta(seconds=beat_ago)),
            }
        )
    node: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "kubelab-worker",
            "uid": "n-1",
            "resourceVersion": "7",
            "creationTimestamp": fmt_time(NOW - timedelta(seconds=30)),
        },
        "spec": {},
        "status": {"conditions": conditions},
    }
    if taints:
        node["spec"]["taints"] = taints
    return node


def _pod(node_name: str = "kubelab-worker") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "lab", "uid": "p-1"},
        "spec": {"nodeName": node_name},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


def test_a_young_node_that_never_reported_gets_no_verdict() -> None:
    assert node_lifecycle(_node(beat_ago=None), None, [], now=NOW).actions == []


def test_a_lapsed_lease_first_turns_the_node_unknown_and_its_pods_not_ready() -> None:
    actions = node_lifecycle(_node(beat_ago=120), None, [_pod(), _pod("other")], now=NOW).actions
    kinds = [type(a).__name__ for a in actions]
    assert kinds == ["UpdateStatus", "Emit", "UpdateStatus", "Emit"]  # no taint in this pass
    node, pod = actions[0], actions[2]
    assert isinstance(node, UpdateStatus) and isinstance(pod, UpdateStatus)
    ready = node.obj["status"]["conditions"][0]
    assert (ready["status"], ready["reason"]) == ("Unknown", "NodeStatusUnknown")
    assert pod.obj["metadata"]["name"] == "web"
    assert pod.obj["status"]["conditions"][0]["status"] == "False"
    events = [a.event for a in actions if isinstance(a, Emit)]
    assert [(e.type, e.reason) for e in events] == [
        ("Normal", "NodeNotReady"),
        ("Warning", "NodeNotReady"),
    ]
    assert events[0].message == "Node kubelab-worker status is now: NodeNotReady"


def test_the_next_pass_taints_the_unknown_node_unreachable() -> None:
    first = node_lifecycle(_node(beat_ago=120), None, [], now=NOW).actions[0]
    assert isinstance(first, UpdateStatus)
    actions = node_lifecycle(first.obj, None, [], now=NOW).actions
    assert len(actions) == 1 and isinstance(actions[0], Update)
    taints = {(t["key"], t["effect"]) for t in actions[0].obj["spec"]["taints"]}
    assert taints == {
        ("node.kubernetes.io/unreachable", "NoSchedule"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    }


def test_a_node_back_to_ready_loses_its_unreachable_taints() -> None:
    tainted = _node(
        beat_ago=1,
        taints=[
            {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
        ],
    )
    actions = node_lifecycle(tainted, None, [], now=NOW).actions
    assert len(actions) == 1 and isinstance(actions[0], Update)
    assert "taints" not in actions[0].obj["spec"]


def test_a_healthy_untainted_node_needs_nothing() -> None:
    assert node_lifecycle(_node(beat_ago=1), None, [_pod()], now=NOW).actions == []


def test_a_lease_old_only_because_the_controller_was_away_gets_a_whole_grace_period() -> None:
    """Upstream judges a lease by when the controller saw it change (probeTimestamp), and a
    controller that has just started sees every node for the first time now: after a
    control-plane outage or a restored snapshot, the old renewTime is not a dead node."""
    node = _node(beat_ago=120)
    just_started = node_lifecycle(node, None, [_pod()], now=NOW, probed=NOW)
    assert just_started.actions == []
    still_silent = node_lifecycle(node, None, [_pod()], now=NOW, probed=NOW - timedelta(seconds=51))
    assert [type(a).__name__ for a in still_silent.actions][:1] == ["UpdateStatus"]
