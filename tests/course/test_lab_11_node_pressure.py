"""Lab 11's pieces that need no cluster: the kind side of the node-memory-pressure fault
(`docker exec` in the node's container, a shell script that must parse), the lab's files, and
the kubelet's ranking of the lab's own pods (the `who-goes` exercise's premise)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from kubelab._backend_kind import MEMORY_HOG, MEMORY_HOG_PID, node_argv
from kubesim.kubelet import _eviction
from kubesim.kubelet._evictionmanager import FILL_LEAVES

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "labs" / "11-node-pressure"
MI = 1024 * 1024


def test_fill_memory_on_kind_runs_the_hog_detached_in_the_node_container() -> None:
    argv = node_argv("kubelab-worker", "fill-memory")
    assert argv[:5] == ["docker", "exec", "-d", "kubelab-worker", "sh"]
    assert argv[-1] == MEMORY_HOG and MEMORY_HOG_PID in MEMORY_HOG
    assert "61440" in MEMORY_HOG  # all but 60Mi (in KiB, as /proc/meminfo counts)
    free = node_argv("kubelab-worker", "free-memory")
    assert free[:4] == ["docker", "exec", "kubelab-worker", "sh"] and MEMORY_HOG_PID in free[-1]
    assert node_argv("kubelab-worker2", "stop") == ["docker", "stop", "kubelab-worker2"]


@pytest.mark.parametrize("action", ["fill-memory", "free-memory"])
def test_the_kind_scripts_are_valid_shell(action: str) -> None:
    script = node_argv("kubelab-worker", action)[-1]
    done = subprocess.run(["sh", "-n", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_lab_pins_its_workloads_to_the_filled_node() -> None:
    lab = yaml.safe_load((LAB / "lab.yaml").read_text())
    fault = lab["faults"]["node-memory-pressure"]
    assert fault["steps"] == [{"node": {"name": "kubelab-worker", "action": "fill-memory"}}]
    assert fault["undo"] == [{"node": {"name": "kubelab-worker", "action": "free-memory"}}]
    docs = list(yaml.safe_load_all((LAB / "workloads.yaml").read_text()))
    for doc in docs:
        selector = doc["spec"]["template"]["spec"]["nodeSelector"]
        assert selector == {"kubernetes.io/hostname": "kubelab-worker"}
    batch = next(d for d in docs if d["metadata"]["name"] == "batch-report")
    assert "resources" not in batch["spec"]["template"]["spec"]["containers"][0]  # BestEffort


def _deployments(path: Path) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in yaml.safe_load_all(path.read_text())}


def _candidate(deployment: dict, *, priority: int) -> _eviction.Candidate:
    """The Deployment's pod as the kubelet sees it: spec.priority as admission resolved it,
    and each container's working set what its command holds (`head -c NNm /dev/zero`)."""
    spec = deployment["spec"]["template"]["spec"]
    usage = {}
    for container in spec["containers"]:
        held = re.search(r"head -c (\d+)m ", " ".join(container.get("command") or []))
        usage[container["name"]] = int(held[1]) * MI if held else 30 * MI  # a model server
    pod = {
        "metadata": {"name": deployment["metadata"]["name"]},
        "spec": {**spec, "priority": priority},
    }
    return _eviction.Candidate(pod, usage)


@pytest.mark.parametrize(
    ("solved", "first"),
    [
        pytest.param(False, "model-cache", id="equal-priorities-the-cache-further-over-goes"),
        pytest.param(True, "batch-report", id="inference-critical-the-report-goes"),
    ],
)
def test_priority_decides_which_of_the_labs_pods_the_kubelet_evicts(solved: bool, first: str):
    """Both batch-report and model-cache use more than they request, the cache by more; so
    the kubelet's ranking picks the cache unless the who-goes solution gave it the class."""
    pods = _deployments(LAB / "workloads.yaml")
    cache_priority = 0
    if solved:
        pods["model-cache"] = _deployments(LAB / "solution" / "model-cache-priority.yaml")[
            "model-cache"
        ]
        spec = pods["model-cache"]["spec"]["template"]["spec"]
        klass = yaml.safe_load((LAB / "solution" / "priorityclass.yaml").read_text())
        assert spec["priorityClassName"] == klass["metadata"]["name"]
        cache_priority = klass["value"]
    candidates = {
        "inference-service": _candidate(pods["inference-service"], priority=0),
        "batch-report": _candidate(pods["batch-report"], priority=0),
        "model-cache": _candidate(pods["model-cache"], priority=cache_priority),
    }
    over = {n: c.total - _eviction.requests(c.pod) for n, c in candidates.items()}
    assert over["model-cache"] > over["batch-report"] > 0 > over["inference-service"]
    ranked = _eviction.rank(list(candidates.values()))
    assert ranked[0].pod["metadata"]["name"] == first
    # the fault leaves 60Mi; the first eviction frees what that pod held, enough to end the
    # threshold, so it is the only one
    assert not _eviction.threshold_met(FILL_LEAVES + ranked[0].total)
