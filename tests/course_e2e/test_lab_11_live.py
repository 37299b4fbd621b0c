"""Lab 11 on a live cluster: the node-memory-pressure fault's symptom, seen with the kubectl
commands the notebook teaches, and the shortcuts that must score 0 (DESIGN.md, "What makes a
check honest")."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

LabCluster = Any  # the `lab_cluster` fixture's type, from this folder's conftest
LAB = "11-node-pressure"
NS = "lab-11"


def _kubectl(cluster: LabCluster, *args: str) -> str:
    return cluster.run("kubectl", *args, timeout=300).stdout


def _mebibytes(quantity: str) -> float:
    """`kubectl top`'s MEMORY(bytes) column (`161Mi`, `97Mi`, `1Gi`) in Mi."""
    units = {"Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0}
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi)", quantity)
    assert match, quantity
    return int(match[1]) * units[match[2]]


def _top_memory(
    cluster: LabCluster, settled: Callable[[dict[str, float]], bool], deadline: float = 120
) -> dict[str, float]:
    """Each pod's memory in `kubectl top pods`, once metrics-server has sampled every
    batch-report and model-cache pod (two scrapes, 15 s apart, after a pod starts) and the
    figures are `settled`: a pod's `head -c` fills its memory in real time, a second or more on
    a busy machine, and a scrape in the middle of it shows the pod half full."""
    give_up = time.monotonic() + deadline
    while True:
        done = cluster.run("kubectl", "top", "pods", "-n", NS, "--no-headers", check=False)
        rows = [line.split() for line in done.stdout.splitlines() if line.strip()]
        used = {row[0]: _mebibytes(row[2]) for row in rows}
        names = _kubectl(cluster, "get", "pods", "-n", NS, "-l", "app in (batch-report, model-cache)",
                         "-o", "jsonpath={.items[*].metadata.name}").split()  # fmt: skip
        if done.returncode == 0 and names and set(names) <= set(used) and settled(used):
            return used
        assert time.monotonic() < give_up, (
            f"{names} not sampled and settled in {deadline} s: {used}"
        )
        time.sleep(2)


def _cache_further_over_its_request(used: dict[str, float]) -> bool:
    """The demonstration's premise: both pods use more than they request, and model-cache
    (32Mi requested) is further over than batch-report (nothing requested), so only the
    priority can make the kubelet pick batch-report."""
    report = [m for name, m in used.items() if name.startswith("batch-report-")]
    cache = [m - 32 for name, m in used.items() if name.startswith("model-cache-")]
    return bool(report and cache) and min(cache) > max(report) > 0


@pytest.fixture(scope="module")
def lab_at_its_start(lab_cluster: LabCluster) -> LabCluster:
    """Lab 11 reset once for this file (a reset stops and starts every pod of the lab):
    test_shortcuts_score_zero deletes its forgeries when done, so the fault test, last in
    the file, starts from the reset too."""
    lab_cluster.run("kubelab", "reset", LAB, "--yes", timeout=900)
    return lab_cluster


def _undo_shortcuts(cluster: LabCluster) -> None:
    """Delete what test_shortcuts_score_zero made by hand; batch-report's Deployment has
    replaced the pod it deleted."""
    _kubectl(cluster, "delete", "pods", "looks-guaranteed", "cache-by-hand", "-n", NS,
             "--ignore-not-found", "--wait=true")  # fmt: skip
    _kubectl(cluster, "delete", "event", "forged-evicted", "-n", NS, "--ignore-not-found")
    _kubectl(cluster, "delete", "priorityclass", "inference-critical", "--ignore-not-found")
    _kubectl(cluster, "rollout", "status", "deployment/batch-report", "-n", NS, "--timeout=120s")


def test_shortcuts_score_zero(lab_at_its_start: LabCluster, tmp_path: Path) -> None:
    """A Guaranteed pod made by hand beside the Burstable ones, a model-cache pod with the
    class made by hand beside the Deployment's, and a batch-report pod deleted by hand with
    a hand-made Evicted event, earn nothing."""
    try:
        _forge_and_grade(lab_at_its_start, tmp_path)
    finally:
        _undo_shortcuts(lab_at_its_start)


def _forge_and_grade(lab_cluster: LabCluster, tmp_path: Path) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "looks-guaranteed", "namespace": NS, "labels": {"app": "inference"}},
        "spec": {
            "containers": [
                {
                    "name": "model-server",
                    "image": "kubelab/inference:2.4.0",
                    "env": [{"name": "MODEL_PATH", "value": "models/iris-logreg.json"}],
                    "resources": {"limits": {"cpu": "100m", "memory": "128Mi"}},
                }
            ]
        },
    }
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(pod))
    _kubectl(lab_cluster, "create", "-f", str(path))
    _kubectl(lab_cluster, "wait", "pod/looks-guaranteed", "-n", NS, "--for=condition=Ready",
             "--timeout=120s")  # fmt: skip
    assert (
        _kubectl(
            lab_cluster,
            "get",
            "pod",
            "looks-guaranteed",
            "-n",
            NS,
            "-o",
            "jsonpath={.status.qosClass}",
        )
        == "Guaranteed"
    )
    lab_cluster.assert_zero(lab_cluster.exercise(LAB, "qos"), failing="no-pod-of-another-class")

    _kubectl(lab_cluster, "create", "priorityclass", "inference-critical", "--value=100000")
    cache = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "cache-by-hand", "namespace": NS, "labels": {"app": "model-cache"}},
        "spec": {
            "nodeSelector": {"kubernetes.io/hostname": "kubelab-worker"},
            "priorityClassName": "inference-critical",
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {"name": "cache", "image": "busybox:1.36", "command": ["sleep", "3600"]}
            ],
        },
    }
    path = tmp_path / "cache.yaml"
    path.write_text(yaml.safe_dump(cache))
    _kubectl(lab_cluster, "create", "-f", str(path))
    _kubectl(lab_cluster, "wait", "pod/cache-by-hand", "-n", NS, "--for=condition=Ready",
             "--timeout=120s")  # fmt: skip
    lab_cluster.assert_zero(
        lab_cluster.exercise(LAB, "who-goes"), failing="no-cache-pod-without-it"
    )

    _kubectl(lab_cluster, "delete", "pods", "-l", "app=batch-report", "-n", NS, "--wait=true")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "forged-evicted", "namespace": NS},
        "involvedObject": {"kind": "Pod", "namespace": NS, "name": "batch-report-forged"},
        "reason": "Evicted",
        "message": "The node was low on resource: memory. Threshold quantity: 100Mi, "
        "available: 60Mi. ",
        "type": "Warning",
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2099-01-01T00:00:00Z",
        "count": 1,
    }
    path = tmp_path / "event.yaml"
    path.write_text(yaml.safe_dump(event))
    _kubectl(lab_cluster, "create", "-f", str(path))
    exercise = lab_cluster.exercise(LAB, "pressure")
    lab_cluster.assert_zero(exercise, failing="batch-report-evicted")
    assert "evicted-by-the-kubelet" in {c["name"] for c in exercise["checks"] if not c["passed"]}


def test_the_fault_shows_in_the_notebooks_kubectl_commands(lab_at_its_start: LabCluster) -> None:
    """After `kubelab break node-memory-pressure`: the condition and the taint in `kubectl
    describe node`, EvictionThresholdMet in the node's events, the Evicted pod in `kubectl get
    pods` and its message in `kubectl describe pod`, the lower-priority pod evicted and the
    higher-priority one further over its request still Running; `kubelab fix` ends it."""
    lab_cluster = lab_at_its_start
    lab_cluster.run("kubelab", "solve", LAB, "qos", timeout=300)
    lab_cluster.run("kubelab", "solve", LAB, "who-goes", timeout=300)
    _top_memory(lab_cluster, settled=_cache_further_over_its_request)
    broke = lab_cluster.run("kubelab", "break", "node-memory-pressure")
    assert "kubectl describe pod" in broke.stdout
    _kubectl(lab_cluster, "wait", "node/kubelab-worker", "--for=condition=MemoryPressure",
             "--timeout=60s")  # fmt: skip
    _kubectl(lab_cluster, "wait", "events", "-n", NS, "--field-selector", "reason=Evicted",
             "--for=create", "--timeout=60s")  # fmt: skip
    node = _kubectl(lab_cluster, "describe", "node", "kubelab-worker")
    assert "node.kubernetes.io/memory-pressure:NoSchedule" in node
    pressure = next(line for line in node.splitlines() if line.strip().startswith("MemoryPressure"))
    assert "True" in pressure and "KubeletHasInsufficientMemory" in pressure, pressure
    events = _kubectl(lab_cluster, "get", "events", "-n", "default", "--field-selector",
                      "involvedObject.name=kubelab-worker")  # fmt: skip
    assert "EvictionThresholdMet" in events and "Attempting to reclaim memory" in events
    assert "NodeHasInsufficientMemory" in events
    rows = _kubectl(lab_cluster, "get", "pods", "-n", NS).splitlines()
    reasons = _kubectl(lab_cluster, "get", "pods", "-n", NS, "-o",
                       "jsonpath={range .items[*]}{.metadata.name} {.status.reason}{'\\n'}{end}")  # fmt: skip
    evicted = [line.split()[0] for line in reasons.splitlines() if line.endswith(" Evicted")]
    assert evicted and all(name.startswith("batch-report-") for name in evicted), reasons
    # the STATUS column prefers the killed container's reason, as kubectl does
    assert any(r.startswith(evicted[0]) and " Error " in r for r in rows), rows
    described = _kubectl(lab_cluster, "describe", "pod", evicted[0], "-n", NS)
    assert "The node was low on resource: memory. Threshold quantity: 100Mi" in described
    assert "Evicted" in described
    inference = [r for r in rows if r.startswith("inference-service-")]
    assert len(inference) == 3 and all(" Running " in r for r in inference), rows
    # priority decided who went: batch-report (priority 0) evicted, model-cache (100000),
    # further over its request, still Running, in the notebook's columns and events
    columns = _kubectl(lab_cluster, "get", "pods", "-n", NS, "-o", "custom-columns=NAME:.metadata.name,"
                       "PRIORITY:.spec.priority,STATUS:.status.phase,REASON:.status.reason")  # fmt: skip
    table = {line.split()[0]: line.split()[1:] for line in columns.splitlines()[1:]}
    assert table[evicted[0]] == ["0", "Failed", "Evicted"], columns
    caches = [row for name, row in table.items() if name.startswith("model-cache-")]
    # (the pod the rollout replaced may still be terminating: it is no candidate)
    assert ["100000", "Running", "<none>"] in caches, columns
    assert all(row[2] != "Evicted" for row in caches), columns
    events = _kubectl(lab_cluster, "get", "events", "-n", NS, "--field-selector", "reason=Evicted",
                      "-o", "jsonpath={range .items[*]}{.involvedObject.name}{'\\n'}{end}")  # fmt: skip
    assert set(events.split()) == set(evicted), events

    lab_cluster.run("kubelab", "fix", "node-memory-pressure")
    # be a good neighbour to the next test on this cluster: wait out the transition period
    _kubectl(lab_cluster, "wait", "node/kubelab-worker", "--for=condition=MemoryPressure=False",
             "--timeout=290s")  # fmt: skip
