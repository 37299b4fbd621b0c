"""Preemption (DefaultPreemption) as pure tables: who is eligible, which node, which
victims, the PDB preference, and the actions and words kube-scheduler uses."""

from __future__ import annotations

from typing import Any

import kubesim_builders as builders
import pytest
from kubesim_builders import container

from kubesim.controllers import Bind, Delete, Emit, FailedScheduling, UpdateStatus, schedule
from kubesim.controllers._preemption import Candidate, pick
from kubesim.controllers._scheduler import Preempt, schedule_actions

from .world import T0


def node(name: str, cpu: str = "2") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}},
    }


def pod(name: str, cpu: str, priority: int = 0, node_name: str | None = None, **kw: Any):
    started = kw.pop("started", None)
    status = {"startTime": started} if started else None
    return builders.pod(
        name,
        node=node_name,
        labels=kw.pop("labels", {"app": name}),
        containers=[container(requests={"cpu": cpu})],
        status=status,
        priority=priority,
        **kw,
    )


def pdb(selector: dict[str, str], allowed: int) -> dict[str, Any]:
    return {
        "metadata": {"name": "budget", "namespace": "lab"},
        "spec": {"selector": {"matchLabels": selector}},
        "status": {"disruptionsAllowed": allowed},
    }


TWO = [node("w1"), node("w2")]


def victims_of(result: Any) -> tuple[str, list[str]]:
    assert isinstance(result, Preempt), result
    return result.node_name, [v["metadata"]["name"] for v in result.victims]


@pytest.mark.parametrize(
    "need, running, want",
    [
        pytest.param(
            "2",
            [pod("low", "2", 0, "w1"), pod("mid", "2", 500, "w2")],
            ("w1", ["low"]),
            id="lowest-priority-victim",
        ),
        pytest.param(
            "2",
            [
                pod("a", "1", 0, "w1"),
                pod("b", "1", 0, "w1"),
                pod("c", "2", 0, "w2"),
            ],
            ("w2", ["c"]),
            id="fewest-victims",
        ),
        pytest.param(
            "1500m",
            [
                pod("small", "500m", 10, "w1"),
                pod("big", "1500m", 10, "w1"),
                pod("other", "2", 100, "w2"),
            ],
            ("w1", ["big"]),
            id="reprieve-what-is-not-needed",
        ),
        pytest.param(
            "1",
            [
                pod("old", "1", 0, "w1", started="2026-01-01T00:00:00Z"),
                pod("new", "1", 0, "w1", started="2026-01-02T00:00:00Z"),
                pod("x", "2", 900, "w2"),
            ],
            ("w1", ["new"]),
            id="the-later-started-goes-first",
        ),
    ],
)
def test_preemption_picks_the_cheapest_node_and_victims(need, running, want) -> None:
    assert victims_of(schedule(pod("vip", need, 1000), TWO, running)) == want


def test_a_pdb_is_respected_when_another_node_will_do() -> None:
    running = [pod("guarded", "2", 0, "w1", labels={"app": "db"}), pod("free", "2", 0, "w2")]
    result = schedule(pod("vip", "2", 1000), TWO, running, pdbs=[pdb({"app": "db"}, 0)])
    assert victims_of(result) == ("w2", ["free"])


def test_a_pdb_is_violated_when_nothing_else_helps() -> None:
    running = [pod("guarded", "2", 0, "w1", labels={"app": "db"})]
    result = schedule(pod("vip", "2", 1000), [node("w1")], running, pdbs=[pdb({"app": "db"}, 0)])
    assert victims_of(result) == ("w1", ["guarded"])


def test_equal_or_higher_priority_pods_are_never_victims() -> None:
    running = [pod("peer", "2", 1000, "w1"), pod("boss", "2", 5000, "w2")]
    result = schedule(pod("vip", "2", 1000), TWO, running)
    assert isinstance(result, FailedScheduling)
    assert result.message == (
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
        "2 No preemption victims found for incoming pod."
    )


def test_preemption_policy_never_waits_instead() -> None:
    running = [pod("low", "2", 0, "w1")]
    result = schedule(pod("polite", "2", 1000, preemptionPolicy="Never"), [node("w1")], running)
    assert isinstance(result, FailedScheduling)
    assert result.message == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to "
        "preemptionPolicy=Never."
    )


def test_no_second_preemption_while_victims_terminate() -> None:
    victim = pod("low", "2", 0, "w1")
    victim["metadata"]["deletionTimestamp"] = "2026-12-05T12:00:00Z"
    victim["status"]["conditions"] = [
        {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}
    ]
    vip = pod("vip", "2", 1000)
    vip["status"]["nominatedNodeName"] = "w1"
    result = schedule(vip, [node("w1")], [victim, pod("other", "1", 0, "w1")])
    assert isinstance(result, FailedScheduling)
    assert result.message.endswith(
        "preemption: not eligible due to a terminating pod on the nominated node."
    )


def test_a_nominated_pod_holds_its_room_against_lower_priority() -> None:
    vip = pod("vip", "2", 1000)
    vip["status"]["nominatedNodeName"] = "w1"
    result = schedule(pod("filler", "2", 0), [node("w1")], [], nominated=[vip])
    assert isinstance(result, FailedScheduling)
    assert isinstance(schedule(vip, [node("w1")], [], nominated=[vip]), Bind)


def test_a_node_without_victims_wins_outright() -> None:
    some = Candidate("a", (pod("x", "1"),), 0)
    assert pick([some, Candidate("b", (), 0)]).node_name == "b"


def test_preemption_actions_mark_delete_and_tell() -> None:
    victim = pod("low", "2", 0, "w1")
    decision = schedule_actions(pod("vip", "2", 1000), [node("w1")], [victim], now=T0)
    marked, delete, preempted, nominated, failed = decision.actions
    assert isinstance(marked, UpdateStatus)
    condition = marked.obj["status"]["conditions"][-1]
    assert {k: condition[k] for k in ("type", "status", "reason", "message")} == {
        "type": "DisruptionTarget",
        "status": "True",
        "reason": "PreemptionByScheduler",
        "message": "default-scheduler: preempting to accommodate a higher priority pod",
    }
    assert isinstance(delete, Delete) and (delete.name, delete.uid) == ("low", "uid-low")
    assert delete.grace_seconds is None  # graceful: the pod's own grace period
    assert isinstance(preempted, Emit)
    assert (preempted.event.involved["name"], preempted.event.reason) == ("low", "Preempted")
    assert preempted.event.message == "Preempted by pod uid-vip on node w1"
    assert isinstance(nominated, UpdateStatus)
    assert nominated.obj["status"]["nominatedNodeName"] == "w1"
    assert isinstance(failed, Emit) and failed.event.reason == "FailedScheduling"
    assert failed.event.message == "0/1 nodes are available: 1 Insufficient cpu."
