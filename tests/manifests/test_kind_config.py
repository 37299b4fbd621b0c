"""manifests/cluster/kind.yaml: the shape of the lab cluster, and the one node-image pin."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kubelab._backend_base import LabPaths
from kubelab._backend_kind import NODE_IMAGE, create_argv
from kubelab._kubeconfig import CLUSTER_NAME
from kubesim.core.quantity import parse
from kubesim.kubelet._eviction import HARD_THRESHOLD

KIND_CONFIG = Path(__file__).resolve().parents[2] / "manifests" / "cluster" / "kind.yaml"


def config() -> dict:
    return yaml.safe_load(KIND_CONFIG.read_text())


def patches() -> list[dict]:
    return [yaml.safe_load(text) for text in config()["kubeadmConfigPatches"]]


def test_kind_config_is_one_control_plane_and_two_workers():
    cfg = config()
    assert cfg["kind"] == "Cluster"
    assert cfg["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert cfg["name"] == CLUSTER_NAME
    assert [n["role"] for n in cfg["nodes"]] == ["control-plane", "worker", "worker"]


def test_every_node_pins_the_same_image_digest_the_code_passes_to_kind():
    assert re.fullmatch(r"kindest/node:v1\.37\.\d+@sha256:[0-9a-f]{64}", NODE_IMAGE)
    assert {n["image"] for n in config()["nodes"]} == {NODE_IMAGE}
    argv = create_argv(LabPaths(home=Path("/lab")))
    assert argv[argv.index("--image") + 1] == NODE_IMAGE


def test_no_host_port_is_mapped_since_the_course_has_no_node_port():
    assert not [n for n in config()["nodes"] if "extraPortMappings" in n]
    assert "30080" not in KIND_CONFIG.read_text()


def test_events_outlive_a_course_day_for_the_end_of_course_grade():
    """Lab 03 and 04 grade by events; the default 1 h TTL would drop them before `kubelab
    grade` runs at the end of the day."""
    [patch] = [p for p in patches() if p["kind"] == "ClusterConfiguration"]
    assert patch["apiVersion"] == "kubeadm.k8s.io/v1beta4"  # 1.37's, with list extraArgs
    assert patch["kind"] == "ClusterConfiguration"
    assert {"name": "event-ttl", "value": "24h"} in patch["apiServer"]["extraArgs"]


def test_the_kubelet_keeps_the_memory_threshold_lab_11_evicts_at():
    """kind sets evictionHard to its three disk signals at 0%, and a kubelet given any
    evictionHard signal zeroes the others (Node-pressure Eviction, "the values of other
    parameters will not be inherited"): without this patch a kind node never evicts for
    memory and lab 11's fault meets the kernel's OOM killer instead. The simulator's kubelet
    evicts at the same threshold."""
    [kubelet] = [p for p in patches() if p["kind"] == "KubeletConfiguration"]
    assert kubelet["apiVersion"] == "kubelet.config.k8s.io/v1beta1"
    hard = kubelet["evictionHard"]
    assert hard == {
        "memory.available": "100Mi",
        "nodefs.available": "0%",
        "nodefs.inodesFree": "0%",
        "imagefs.available": "0%",
    }
    assert parse(hard["memory.available"]).value == HARD_THRESHOLD
