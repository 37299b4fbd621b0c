"""Lab 11's pieces that need no cluster: the kind side of the node-memory-pressure fault
(`docker exec` in the node's container, a shell script that must parse) and the lab's files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from kubelab._backend_kind import MEMORY_HOG, MEMORY_HOG_PID, node_argv

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "labs" / "11-node-pressure"


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
