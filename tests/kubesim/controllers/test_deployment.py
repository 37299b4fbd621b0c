"""Deployment controller decisions: rollouts, fence posts, revisions, progress deadline."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from kubesim.controllers import Create, reconcile_deployment, template_hash
from kubesim.controllers._deployment_util import fenceposts
from kubesim.controllers._hash import SAFE_ALPHABET

from .world import T0, World


def deployment(image: str = "a", replicas: int = 3, surge="25%", unavailable="25%", **spec):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "inference", "namespace": "lab", "generation": 1, "uid": "d-uid"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "inference"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
            },
            "template": {
                "metadata": {"labels": {"app": "inference"}},
                "spec": {"containers": [{"name": "model-server", "image": image}]},
            },
            **spec,
        },
    }


def change_image(w: World, image: str) -> None:
    d = w.get("Deployment", "inference")
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    d["metadata"]["generation"] += 1


def settled(w: World, steps: int = 3) -> None:
    for _ in range(steps):
        w.step()


@pytest.mark.parametrize(
    "replicas, surge, unavailable, want",
    [
        pytest.param(3, "25%", "25%", (1, 0), id="3-quarter-rounds-surge-up-unavailable-down"),
        pytest.param(10, "25%", "25%", (3, 2), id="10-quarter"),
        pytest.param(4, 0, 0, (0, 1), id="both-zero-means-one-unavailable"),
        pytest.param(5, 2, "50%", (2, 2), id="absolute-and-percent"),
        pytest.param(1, "100%", 0, (1, 0), id="full-surge"),
    ],
)
def test_fenceposts_round_surge_up_and_unavailable_down(replicas, surge, unavailable, want):
    assert fenceposts(deployment(replicas=replicas, surge=surge, unavailable=unavailable)) == want


def test_first_sync_creates_hashed_replica_set_with_revision_and_owner():
    decision = reconcile_deployment(deployment(), [], [], now=T0)
    creates = [a for a in decision.actions if isinstance(a, Create)]
    assert len(creates) == 1
    rs = creates[0].obj
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"inference-{h}"
    assert set(h) <= set(SAFE_ALPHABET)
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "inference", "pod-template-hash": h}
    assert rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == h
    assert rs["spec"]["replicas"] == 3
    assert rs["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "1",
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",
    }
    assert rs["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "inference",
            "uid": "d-uid",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    events = [(e.event.reason, e.event.message) for e in decision.actions if hasattr(e, "event")]
    assert ("ScalingReplicaSet", f"Scaled up replica set inference-{h} to 3") in events


def test_template_hash_is_stable_and_changes_with_collision_count():
    tpl = deployment()["spec"]["template"]
    assert template_hash(tpl) == template_hash(copy.deepcopy(tpl))
    assert template_hash(tpl) != template_hash(tpl, 1)
    assert template_hash(tpl) != template_hash(deployment("b")["spec"]["template"])


def test_rolling_update_3_replicas_25_percent_goes_one_pod_at_a_time():
    w = World()
    w.add(deployment("a"))
    settled(w)
    old = next(iter(w.sizes()))
    change_image(w, "b")
    seen = []
    for _ in range(8):
        w.step()
        sizes = w.sizes()
        new = next(n for n in sizes if n != old)
        seen.append((sizes[old], sizes[new]))
    # surge 1, unavailable 0: grow the new by one, then shrink the old by one, ...
    assert seen[:6] == [(3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)]
    d = w.get("Deployment", "inference")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    progressing = [c for c in d["status"]["conditions"] if c["type"] == "Progressing"][0]
    assert progressing["reason"] == "NewReplicaSetAvailable"
    assert progressing["message"] == f'ReplicaSet "{new}" has successfully progressed.'
    assert d["status"]["updatedReplicas"] == 3 and d["status"]["availableReplicas"] == 3
    messages = [m for r, m, _ in w.events if r == "ScalingReplicaSet"]
    assert f"Scaled down replica set {old} to 2 from 3" in messages
    assert f"Scaled up replica set {new} to 2 from 1" in messages


@pytest.mark.parametrize(
    "replicas, surge, unavailable",
    [(3, "25%", "25%"), (10, "25%", "25%"), (4, 2, 0), (5, 0, 2), (6, "50%", "50%")],
)
def test_rollout_never_exceeds_max_surge(replicas, surge, unavailable):
    w = World()
    w.add(deployment("a", replicas, surge, unavailable))
    settled(w)
    change_image(w, "b")
    max_surge, max_unavailable = fenceposts(
        deployment(replicas=replicas, surge=surge, unavailable=unavailable)
    )
    for _ in range(3 * replicas + 5):
        w.step()
        assert sum(w.sizes().values()) <= replicas + max_surge
        ready = sum(
            1
            for p in w.of("Pod")
            if any(c["status"] == "True" for c in p["status"].get("conditions", []))
        )
        assert ready >= replicas - max_unavailable
    assert sorted(w.sizes().values()) == [0, replicas]


def test_stalled_rollout_times_out_and_keeps_old_pods():
    w = World()
    w.add(deployment("a", progressDeadlineSeconds=60))
    settled(w)
    old = next(iter(w.sizes()))
    w.pods_get_ready = False
    change_image(w, "broken")
    requeues = []
    for _ in range(5):
        requeues += w.step(seconds=1)
    assert any(r is not None and 55 < r <= 61 for r in requeues)
    w.now += timedelta(seconds=70)
    w.step()
    d = w.get("Deployment", "inference")
    progressing = [c for c in d["status"]["conditions"] if c["type"] == "Progressing"][0]
    new = next(n for n in w.sizes() if n != old)
    assert progressing["status"] == "False"
    assert progressing["reason"] == "ProgressDeadlineExceeded"
    assert progressing["message"] == f'ReplicaSet "{new}" has timed out progressing.'
    assert w.sizes()[old] == 3  # the deployment does not roll back by itself
    assert w.get("ReplicaSet", old)["status"]["readyReplicas"] == 3
    assert reconcile_deployment(d, w.of("ReplicaSet"), w.of("Pod"), now=w.now).requeue_after is None


def test_paused_deployment_scales_but_does_not_roll_out():
    w = World()
    w.add(deployment("a"))
    settled(w)
    d = w.get("Deployment", "inference")
    d["spec"]["paused"] = True
    change_image(w, "b")
    d["spec"]["replicas"] = 5
    settled(w)
    assert list(w.sizes().values()) == [5]
    cond = [
        c
        for c in w.get("Deployment", "inference")["status"]["conditions"]
        if c["type"] == "Progressing"
    ]
    assert cond[0]["reason"] == "DeploymentPaused"


def test_recreate_scales_old_to_zero_before_creating_new():
    w = World()
    w.add(deployment("a", strategy={"type": "Recreate"}))
    settled(w)
    old = next(iter(w.sizes()))
    change_image(w, "b")
    w.step()
    assert w.sizes() == {old: 0}
    settled(w)
    sizes = w.sizes()
    assert sizes[old] == 0 and sorted(sizes.values()) == [0, 3]


def test_old_replica_sets_beyond_history_limit_are_deleted():
    w = World()
    w.add(deployment("a", revisionHistoryLimit=1))
    settled(w)
    for image in ("b", "c"):
        change_image(w, image)
        settled(w, 10)
    assert len(w.sizes()) == 2  # the current one and one old revision


def test_rollback_reuses_the_old_replica_set_and_records_revision_history():
    w = World()
    w.add(deployment("a"))
    settled(w)
    first = next(iter(w.sizes()))
    change_image(w, "b")
    settled(w, 10)
    change_image(w, "a")  # what `kubectl rollout undo` patches
    settled(w, 10)
    rs = w.get("ReplicaSet", first)
    assert rs["spec"]["replicas"] == 3
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
