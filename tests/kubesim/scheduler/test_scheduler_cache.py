"""The scheduler's cache: per node pods and sums, pending and nominated pods, kept event by
event; after every table's events it must equal what a rebuild from the final pods gives,
and a decision read from it must equal the decision read from the list of pods."""

from __future__ import annotations

import copy
from typing import Any

import kubesim_builders as builders
import pytest
from kubesim_builders import container

from kubesim.controllers import NodePods, Placement, schedule
from kubesim.scheduler.cache import SchedulerCache, pending

Obj = dict[str, Any]
RS = {
    "apiVersion": "apps/v1",
    "kind": "ReplicaSet",
    "name": "web",
    "uid": "rs-1",
    "controller": True,
}
ANTI = {
    "podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {
                "labelSelector": {"matchLabels": {"app": "db"}},
                "topologyKey": "kubernetes.io/hostname",
            }
        ]
    }
}


def pod(name: str, node: str | None = None, cpu: str = "100m", **kw: Any) -> Obj:
    return builders.pod(
        name, node=node, containers=[container(requests={"cpu": cpu, "memory": "64Mi"})], **kw
    )


def changed(obj: Obj, **fields: Any) -> Obj:
    """A copy with `fields` set: `spec__nodeName="w1"` sets spec.nodeName."""
    out = copy.deepcopy(obj)
    for path, v in fields.items():
        *parents, last = path.split("__")
        at = out
        for p in parents:
            at = at.setdefault(p, {})
        at[last] = v
    return out


def deleting(obj: Obj) -> Obj:
    return changed(obj, metadata__deletionTimestamp="2026-11-24T12:00:00Z")


A = pod("a")
A_W1 = changed(A, spec__nodeName="w1", status__phase="Running")
B_W1 = pod("b", node="w1", cpu="300m", owned_by=RS)
C_W2 = pod("c", node="w2", owned_by=RS)
DB_W2 = pod("db", node="w2", labels={"app": "db"}, affinity=ANTI)
GATED = pod("gated", schedulingGates=[{"name": "example.com/wait"}])
OTHER = pod("other", schedulerName="my-scheduler")
NOMINATED = pod("nom", priority=100, status={"nominatedNodeName": "w2"})

# (id, events as (type, pod), the cache's summary afterwards)
CASES = [
    ("pending-added", [("ADDED", A)], {"pending": ["a"]}),
    (
        "bound-added",
        [("ADDED", B_W1)],
        {"nodes": {"w1": (["b"], {"cpu": 300, "memory": 64 << 20}, {"rs-1": 1})}},
    ),
    (
        "pending-then-bound",
        [("ADDED", A), ("MODIFIED", A_W1)],
        {"nodes": {"w1": (["a"], {"cpu": 100, "memory": 64 << 20}, {None: 1})}},
    ),
    (
        "two-pods-sum",
        [("ADDED", A_W1), ("ADDED", B_W1)],
        {"nodes": {"w1": (["a", "b"], {"cpu": 400, "memory": 128 << 20}, {None: 1, "rs-1": 1})}},
    ),
    (
        "requests-resized-not-counted-twice",
        [("ADDED", B_W1), ("MODIFIED", pod("b", node="w1", cpu="1", owned_by=RS))],
        {"nodes": {"w1": (["b"], {"cpu": 1000, "memory": 64 << 20}, {"rs-1": 1})}},
    ),
    (
        "deleted",
        [("ADDED", B_W1), ("ADDED", C_W2), ("DELETED", B_W1)],
        {"nodes": {"w2": (["c"], {"cpu": 100, "memory": 64 << 20}, {"rs-1": 1})}},
    ),
    (
        "one-of-two-deleted",
        [("ADDED", A_W1), ("ADDED", B_W1), ("DELETED", B_W1)],
        {"nodes": {"w1": (["a"], {"cpu": 100, "memory": 64 << 20}, {None: 1})}},
    ),
    (
        "resized-beside-another",
        [("ADDED", A_W1), ("ADDED", B_W1), ("MODIFIED", pod("b", node="w1", cpu="1", owned_by=RS))],
        {"nodes": {"w1": (["a", "b"], {"cpu": 1100, "memory": 128 << 20}, {None: 1, "rs-1": 1})}},
    ),
    (
        "deleted-event-carries-an-older-object",
        [("ADDED", A), ("MODIFIED", A_W1), ("DELETED", A)],
        {},
    ),
    ("being-deleted-frees-its-room", [("ADDED", B_W1), ("MODIFIED", deleting(B_W1))], {}),
    (
        "finished-frees-its-room",
        [("ADDED", B_W1), ("MODIFIED", changed(B_W1, status__phase="Succeeded"))],
        {},
    ),
    (
        "bound-elsewhere-moves",
        [("ADDED", B_W1), ("MODIFIED", changed(B_W1, spec__nodeName="w2"))],
        {"nodes": {"w2": (["b"], {"cpu": 300, "memory": 64 << 20}, {"rs-1": 1})}},
    ),
    (
        "bound-by-another-scheduler-counts",
        [("ADDED", OTHER), ("MODIFIED", changed(OTHER, spec__nodeName="w1"))],
        {"nodes": {"w1": (["other"], {"cpu": 100, "memory": 64 << 20}, {None: 1})}},
    ),
    ("pending-for-another-scheduler-is-not-ours", [("ADDED", OTHER)], {}),
    (
        "node-removed-pods-stay-until-deleted",
        [("ADDED", C_W2)],
        {"nodes": {"w2": (["c"], {"cpu": 100, "memory": 64 << 20}, {"rs-1": 1})}},
    ),
    (
        "relist-replays-without-counting-twice",
        [("ADDED", B_W1), ("ADDED", B_W1), ("MODIFIED", B_W1)],
        {"nodes": {"w1": (["b"], {"cpu": 300, "memory": 64 << 20}, {"rs-1": 1})}},
    ),
    (
        "anti-affinity-pod-tracked-then-gone",
        [("ADDED", DB_W2), ("ADDED", C_W2)],
        {
            "nodes": {"w2": (["c", "db"], {"cpu": 200, "memory": 128 << 20}, {None: 1, "rs-1": 1})},
            "anti": ["db"],
        },
    ),
    ("anti-affinity-pod-deleted", [("ADDED", DB_W2), ("DELETED", DB_W2)], {}),
    ("gated-is-not-pending", [("ADDED", GATED)], {}),
    (
        "gate-removed-makes-pending",
        [("ADDED", GATED), ("MODIFIED", changed(GATED, spec__schedulingGates=[]))],
        {"pending": ["gated"]},
    ),
    ("nominated", [("ADDED", NOMINATED)], {"pending": ["nom"], "nominated": ["nom"]}),
    (
        "nominated-then-bound",
        [("ADDED", NOMINATED), ("MODIFIED", changed(NOMINATED, spec__nodeName="w2"))],
        {"nodes": {"w2": (["nom"], {"cpu": 100, "memory": 64 << 20}, {None: 1})}},
    ),
    (
        "nomination-cleared",
        [("ADDED", NOMINATED), ("MODIFIED", changed(NOMINATED, status__nominatedNodeName=""))],
        {"pending": ["nom"]},
    ),
    ("pending-deleted", [("ADDED", A), ("DELETED", A)], {}),
]


def summary(cache: SchedulerCache) -> Obj:
    out: Obj = {}
    nodes = {
        n: (
            sorted(p["metadata"]["name"] for p in info.pods.values()),
            info.requested,
            dict(info.owners),
        )
        for n, info in cache.nodes.items()
    }
    if nodes:
        out["nodes"] = nodes
    for field, keys in (
        ("pending", cache.pending),
        ("nominated", cache.nominated),
        ("anti", cache.anti_affinity),
    ):
        if keys:
            out[field] = sorted(name for _, name in keys)
    return out


def final_pods(events: list[tuple[str, Obj]]) -> dict[str, Obj]:
    """The informer's pods after the events."""
    pods: dict[str, Obj] = {}
    for kind, p in events:
        if kind == "DELETED":
            pods.pop(p["metadata"]["name"], None)
        else:
            pods[p["metadata"]["name"]] = p
    return pods


def rebuilt(pods: dict[str, Obj]) -> Obj:
    """What the cache must hold, computed from scratch from the final pods."""
    cache = SchedulerCache()
    for p in pods.values():
        cache.pod_changed("ADDED", p)
    reference: Obj = {}
    bound = [p for p in pods.values() if p["spec"].get("nodeName")]
    placement = Placement.of(
        [
            p
            for p in bound
            if p["status"]["phase"] not in ("Succeeded", "Failed")
            and "deletionTimestamp" not in p["metadata"]
        ]
    )
    nodes = {
        n: (
            sorted(p["metadata"]["name"] for p in info.pods.values()),
            info.requested,
            dict(info.owners),
        )
        for n, info in placement.nodes.items()
    }
    if nodes:
        reference["nodes"] = nodes
    for field, selected in (
        ("pending", [p for p in pods.values() if pending(p)]),
        (
            "nominated",
            [p for p in pods.values() if pending(p) and p["status"].get("nominatedNodeName")],
        ),
        ("anti", [p for p in placement.placed() if p["spec"].get("affinity")]),
    ):
        if selected:
            reference[field] = sorted(p["metadata"]["name"] for p in selected)
    assert summary(cache) == reference  # one ADDED per pod is the simplest history
    return reference


@pytest.mark.parametrize("events, want", [pytest.param(e, w, id=i) for i, e, w in CASES])
def test_cache_follows_pod_events(events, want):
    cache = SchedulerCache()
    for kind, p in events:
        cache.pod_changed(kind, p)
    assert summary(cache) == want
    assert summary(cache) == rebuilt(final_pods(events))


def test_an_emptied_node_leaves_no_entry_behind():
    cache = SchedulerCache()
    cache.pod_changed("ADDED", B_W1)
    cache.pod_changed("DELETED", B_W1)
    assert cache.nodes == {}
    info = NodePods()
    info.add("k", B_W1)
    info.remove("k")
    assert info == NodePods()


def node(name: str, *, cpu: str = "4", pods: str = "110", taints: list[Obj] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {"taints": taints or []},
        "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": pods}},
    }


NODES = [
    node("cp", taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
    node("w1", cpu="1"),
    node("w2", pods="3"),
]
LOW = {"priority": 10}
# (id, the pods in the cluster, the pod to place)
WORLDS = [
    ("empty", [], pod("x", owned_by=RS)),
    ("spreads-by-owner", [B_W1, C_W2, pod("c2", node="w2", owned_by=RS)], pod("x", owned_by=RS)),
    ("spreads-by-labels", [A_W1, pod("l", node="w2", labels={"app": "l"})], pod("x")),
    ("cpu-full-on-w1", [pod("big", node="w1", cpu="950m")], pod("x", cpu="100m")),
    ("too-many-pods-on-w2", [pod(f"p{i}", node="w2") for i in range(3)], pod("x", cpu="2")),
    (
        "nothing-fits",
        [pod("big", node="w1", cpu="1"), *(pod(f"p{i}", node="w2") for i in range(3))],
        pod("x"),
    ),
    ("existing-anti-affinity", [DB_W2], pod("x", labels={"app": "db"}, cpu="2")),
    (
        "terminating-and-finished-ignored",
        [
            deleting(pod("big", node="w1", cpu="1")),
            changed(pod("done", node="w2", cpu="4"), status__phase="Succeeded"),
        ],
        pod("x", cpu="500m"),
    ),
    ("node-removed-its-pods-ignored", [pod("orphan", node="gone", cpu="4")], pod("x", cpu="3")),
    (
        "preempts-lower-priority",
        [pod("low", node="w1", cpu="900m", **LOW), *(pod(f"p{i}", node="w2") for i in range(3))],
        pod("x", cpu="500m", priority=100),
    ),
    (
        "nominated-pod-holds-its-room",
        [
            changed(
                NOMINATED,
                status__nominatedNodeName="w1",
                spec__containers=[container(requests={"cpu": "900m"})],
            )
        ],
        pod("x", cpu="500m"),
    ),
]


@pytest.mark.parametrize("pods, incoming", [pytest.param(p, x, id=i) for i, p, x in WORLDS])
def test_a_decision_from_the_cache_equals_one_from_the_list(pods, incoming):
    cache = SchedulerCache()
    for p in [*pods, incoming]:
        cache.pod_changed("ADDED", p)
    nominated = [p for p in pods if pending(p) and p["status"].get("nominatedNodeName")]
    from_list = schedule(incoming, NODES, pods, nominated=nominated)
    from_cache = schedule(
        incoming,
        NODES,
        cache.placement(lambda: [*pods, incoming]),
        nominated=list(cache.nominated.values()),
    )
    assert from_cache == from_list
