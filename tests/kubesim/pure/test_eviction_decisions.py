"""The kubelet eviction manager's decisions (kubesim/kubelet/_eviction.py) and the node
pressure condition and taint they lead to, as tables: upstream's rankMemoryPressure, the
hard threshold memory.available<100Mi, evictionMessage's wording, TaintNodesByCondition."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubesim.cluster import nodes as _nodes
from kubesim.controllers import node_health
from kubesim.kubelet import _eviction
from kubesim.kubelet._eviction import Candidate

Mi = 1024 * 1024


def pod(name: str, *, request: str | None = None, limit: str | None = None, **spec) -> dict:
    resources: dict = {}
    if request:
        resources["requests"] = {"memory": request}
    if limit:
        resources["limits"] = {"memory": limit}
    container = {"name": "app", "image": "busybox", "resources": resources}
    return {
        "metadata": {"name": name, "annotations": {}},
        "spec": {"containers": [container], **spec},
    }


@pytest.mark.parametrize(
    ("n_bytes", "printed"),
    [(100 * Mi, "100Mi"), (60 * Mi, "60Mi"), (61 * Mi + 1024, "62465Ki"), (7 * 1024 * Mi, "7Gi"),
     (1000, "1k"), (104857601, "104857601"), (0, "0")],
)  # fmt: skip
def test_quantities_print_as_resource_quantity_does(n_bytes: int, printed: str) -> None:
    assert _eviction.quantity(n_bytes) == printed


@pytest.mark.parametrize(
    ("available", "met"),
    [(100 * Mi, False), (100 * Mi - 1, True), (60 * Mi, True), (-5 * Mi, True), (2048 * Mi, False)],
)
def test_the_hard_threshold_is_less_than_100Mi(available: int, met: bool) -> None:
    assert _eviction.threshold_met(available) is met


def test_available_is_capacity_minus_the_working_set() -> None:
    assert _eviction.memory_available(8 * 1024 * Mi, 8 * 1024 * Mi - 60 * Mi) == 60 * Mi


@pytest.mark.parametrize(
    ("now", "last_met", "pressure"),
    [(1000.0, None, False), (1000.0, 1000.0, True), (1000.0, 701.0, True), (1000.0, 700.0, False)],
)
def test_pressure_lasts_the_transition_period(now, last_met, pressure) -> None:
    assert _eviction.under_pressure(now, last_met) is pressure


def _names(ranked: list[Candidate]) -> list[str]:
    return [c.pod["metadata"]["name"] for c in ranked]


RANKING = [
    (  # BestEffort over its (zero) request goes before a Guaranteed pod using far more
        [("guaranteed", pod("guaranteed", request="500Mi", limit="500Mi"), 400 * Mi),
         ("besteffort", pod("besteffort"), 20 * Mi)],
        ["besteffort", "guaranteed"],
    ),
    (  # both over their requests: the one further over goes first
        [("burst-a", pod("burst-a", request="50Mi"), 80 * Mi),
         ("burst-b", pod("burst-b", request="10Mi"), 90 * Mi),
         ("under", pod("under", request="200Mi"), 100 * Mi)],
        ["burst-b", "burst-a", "under"],
    ),
    (  # among those over their requests, lower priority first, whatever the usage
        [("high", pod("high", priority=1000), 300 * Mi),
         ("low", pod("low", priority=0), 10 * Mi)],
        ["low", "high"],
    ),
    (  # a pod under its request goes after one over it, even at lower priority
        [("low-under", pod("low-under", request="1Gi", priority=-10), 100 * Mi),
         ("high-over", pod("high-over", priority=1000), 5 * Mi)],
        ["high-over", "low-under"],
    ),
    (  # system-critical priority and mirror pods are never candidates
        [("critical", pod("critical", priority=2_000_001_000), 500 * Mi),
         ("node-critical", pod("node-critical", priority=2_000_000_000), 500 * Mi),
         ("ordinary", pod("ordinary"), 1 * Mi)],
        ["ordinary"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("pods", "order"), RANKING)
def test_ranking_under_memory_pressure(pods, order) -> None:
    candidates = [Candidate(p, {"app": used}) for _name, p, used in pods]
    assert _names(_eviction.rank(candidates)) == order


def test_a_mirror_pod_is_not_evicted() -> None:
    mirror = pod("etcd")
    mirror["metadata"]["annotations"][_eviction.MIRROR_ANNOTATION] = "abc"
    assert _eviction.rank([Candidate(mirror, {"app": 500 * Mi})]) == []


def test_the_eviction_message_is_upstreams() -> None:
    hog = Candidate(pod("hog", request="64Mi"), {"app": 300 * Mi})
    assert _eviction.message(hog, available=60 * Mi) == (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 60Mi. "
        "Container app was using 300Mi, request is 64Mi, has larger consumption of memory. "
    )
    under = Candidate(pod("calm", request="1Gi"), {"app": 30 * Mi})
    assert _eviction.message(under, available=61440 * 1024 + 1024) == (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 61441Ki. "
    )


NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _node(memory_pressure: str, taints: list[dict] | None = None) -> dict:
    stamp = "2026-12-05T11:59:55Z"
    return {
        "metadata": {"name": "kubelab-worker"},
        "spec": {"taints": taints} if taints else {},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": memory_pressure},
                {"type": "Ready", "status": "True", "lastHeartbeatTime": stamp},
            ]
        },
    }


def test_memory_pressure_taints_the_node_no_schedule_and_clears() -> None:
    health = node_health(_node("True"), None, now=NOW)
    assert [(t["key"], t["effect"]) for t in health.add_taints] == [
        ("node.kubernetes.io/memory-pressure", "NoSchedule")
    ]
    taint = {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"}
    assert node_health(_node("True", [taint]), None, now=NOW).add_taints == []
    cleared = node_health(_node("False", [taint]), None, now=NOW)
    assert cleared.remove_taints == [taint] and cleared.add_taints == []
    assert node_health(_node("Unknown"), None, now=NOW).add_taints == []


def test_the_kubelet_posts_the_condition_with_its_reasons() -> None:
    spec = _nodes.node_specs()[1]
    calm = _nodes.node_status(spec, previous=None, now="2026-12-05T12:00:00Z")
    pressed = _nodes.node_status(
        spec, previous=calm, now="2026-12-05T12:00:10Z", memory_pressure=True
    )
    memory = next(c for c in pressed["conditions"] if c["type"] == "MemoryPressure")
    assert (memory["status"], memory["reason"], memory["message"]) == (
        "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available",
    )  # fmt: skip
    assert memory["lastTransitionTime"] == "2026-12-05T12:00:10Z"
    assert _nodes.condition_events(calm, pressed) == ["NodeHasInsufficientMemory"]
    node = {"status": pressed}
    assert _nodes.needs_status_update(node, memory_pressure=True) is False
    assert _nodes.needs_status_update(node, memory_pressure=False) is True
    back = _nodes.node_status(spec, previous=pressed, now="2026-12-05T12:06:00Z")
    memory = next(c for c in back["conditions"] if c["type"] == "MemoryPressure")
    assert (memory["status"], memory["reason"]) == ("False", "KubeletHasSufficientMemory")
    assert _nodes.condition_events(pressed, back) == ["NodeHasSufficientMemory"]


@pytest.mark.parametrize(
    ("qos", "spec", "pressure", "refused"),
    [
        ("BestEffort", {}, False, False),
        ("BestEffort", {}, True, True),
        ("Burstable", {}, True, False),
        ("Guaranteed", {}, True, False),
        ("BestEffort", {"priority": 2_000_000_000}, True, False),
        ("BestEffort", {"tolerations": [{"key": "node.kubernetes.io/memory-pressure",
                                         "operator": "Exists", "effect": "NoSchedule"}]},
         True, False),
        ("BestEffort", {"tolerations": [{"operator": "Exists"}]}, True, False),
        ("BestEffort", {"tolerations": [{"key": "node.kubernetes.io/memory-pressure",
                                         "operator": "Exists", "effect": "NoExecute"}]},
         True, True),
    ],
)  # fmt: skip
def test_admission_under_memory_pressure_refuses_best_effort(qos, spec, pressure, refused):
    got = _eviction.admission(pod("new", **spec), qos=qos, memory_pressure=pressure)
    assert got == ("The node had condition: [MemoryPressure]. " if refused else None)
