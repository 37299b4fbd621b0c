"""The scheduler's VolumeBinding filter: a ReadWriteOnce claim is per node, not per pod.

local-path's volumes carry node affinity, so every pod of a claim lands on the claim's node;
that is what ReadWriteOnce means for three replicas on two workers.
"""

from __future__ import annotations

from kubesim.controllers import Bind, FailedScheduling, Storage, schedule

from .test_scheduler import KIND_NODES, pod

CLAIM_VOLUME = [{"name": "model", "persistentVolumeClaim": {"claimName": "model-storage"}}]


def claim(*, volume: str = "", selected: str = "") -> dict:
    notes = {"volume.kubernetes.io/selected-node": selected} if selected else {}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "model-storage", "namespace": "lab", "annotations": notes},
        "spec": {"accessModes": ["ReadWriteOnce"], "volumeName": volume or None},
    }


def local_volume(node: str) -> dict:
    term = {
        "matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]
    }
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pvc-1"},
        "spec": {"nodeAffinity": {"required": {"nodeSelectorTerms": [term]}}},
    }


def storage(*claims: dict, volumes: tuple[dict, ...] = ()) -> Storage:
    return Storage(
        claims={("lab", c["metadata"]["name"]): c for c in claims},
        volumes={v["metadata"]["name"]: v for v in volumes},
    )


def test_a_bound_local_claim_takes_its_pods_to_the_volume_node_only() -> None:
    bound = storage(claim(volume="pvc-1"), volumes=(local_volume("kubelab-worker2"),))
    # kubelab-worker2 already runs two pods: without the volume the pod would go elsewhere
    busy = [pod(f"other-{i}", node_name="kubelab-worker2") for i in range(2)]
    result = schedule(pod(volumes=CLAIM_VOLUME), KIND_NODES, busy, storage=bound)
    assert isinstance(result, Bind) and result.node_name == "kubelab-worker2"
    assert isinstance(schedule(pod(volumes=CLAIM_VOLUME), KIND_NODES, busy), Bind)


def test_no_node_but_the_volume_node_explains_the_conflict_as_kube_scheduler_does() -> None:
    bound = storage(claim(volume="pvc-1"), volumes=(local_volume("kubelab-worker2"),))
    result = schedule(pod(volumes=CLAIM_VOLUME), KIND_NODES[:2], [], storage=bound)
    assert isinstance(result, FailedScheduling)
    assert result.message == (
        "0/2 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 1 node(s) had volume node affinity "
        "conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for "
        "scheduling."
    )


def test_an_unbound_claim_follows_its_selected_node() -> None:
    selected = storage(claim(selected="kubelab-worker"))
    busy = [pod("other", node_name="kubelab-worker")]
    result = schedule(pod(volumes=CLAIM_VOLUME), KIND_NODES, busy, storage=selected)
    assert isinstance(result, Bind) and result.node_name == "kubelab-worker"


def test_replicas_placed_before_the_claim_binds_share_the_first_ones_node() -> None:
    waiting = storage(claim())
    first = pod("replica-1", node_name="kubelab-worker", volumes=CLAIM_VOLUME)
    result = schedule(pod("replica-2", volumes=CLAIM_VOLUME), KIND_NODES, [first], storage=waiting)
    assert isinstance(result, Bind) and result.node_name == "kubelab-worker"
