"""Lab 13 on a live cluster: the control-plane-down fault's symptoms as the notebook shows
them (kubectl's reads refused, `/readyz` refused, the Service answering the watcher, a Job's
failed pod replaced only after the outage), and the shortcut that must score 0 (a pod that
only prints the lines the log check looks for)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "labs" / "13-control-plane"
LabCluster = Any  # the `lab_cluster` fixture's type, from this folder's conftest


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_control_plane_down_is_visible_with_the_notebooks_commands(lab_cluster: LabCluster):
    lab_cluster.run("kubelab", "reset", "13-control-plane", "--yes")
    lab_cluster.run("kubelab", "solve", "13-control-plane", "watcher")
    lab_cluster.run("kubectl", "apply", "-f", str(LAB / "short-lived-job.yaml"))
    # the Job's own count of ready pods: a `wait pod -l` run before the Job controller has
    # made the pod finds nothing to wait for and fails at once
    lab_cluster.run(
        "kubectl", "wait", "job/short-lived", "--for=jsonpath={.status.ready}=1", "--timeout=60s"
    )
    lab_cluster.run("kubelab", "break", "control-plane-down")
    try:
        pods = lab_cluster.run("kubectl", "get", "pods", check=False, timeout=60)
        readyz = lab_cluster.run("kubectl", "get", "--raw", "/readyz", check=False, timeout=60)
        time.sleep(8)  # the watcher's 5 lines; with the API down there is nothing to poll
    finally:
        lab_cluster.run("kubelab", "fix", "control-plane-down")
    # when the control plane was back, on the cluster's clock (kubesim's runs 4x in tests)
    marker = lab_cluster.run(
        "kubectl", "create", "configmap", "back-marker", "-n", "lab-13", "-o", "json"
    )
    back = _when(json.loads(marker.stdout)["metadata"]["creationTimestamp"])

    # a read is refused like a write: the cluster is not "read-only"
    assert pods.returncode != 0 and "was refused" in pods.stderr, pods.stderr
    assert readyz.returncode != 0 and "was refused" in readyz.stderr, readyz.stderr
    # the Service kept answering the pod inside the cluster
    log = lab_cluster.run("kubectl", "logs", "outage-watch", "-n", "lab-13").stdout
    assert log.count("api=refused service=200") >= 5, log
    # the Job's pod failed during the outage; its replacement came only after it
    lab_cluster.run(
        "kubectl", "wait", "job/short-lived", "-n", "lab-13",
        "--for=jsonpath={.status.failed}=1", "--timeout=60s",
    )  # fmt: skip
    items = json.loads(
        lab_cluster.run(
            "kubectl", "get", "pods", "-l", "app=short-lived", "-n", "lab-13", "-o", "json"
        ).stdout
    )["items"]
    items.sort(key=lambda p: p["metadata"]["creationTimestamp"])
    assert len(items) == 2, [p["metadata"]["name"] for p in items]
    failed, replacement = items
    finished = _when(failed["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"])
    created = _when(replacement["metadata"]["creationTimestamp"])
    # the pod failed as the outage began; its replacement waited until the control plane
    # was back: far longer than the Job's 10 s back-off, and close to the return
    assert (created - finished).total_seconds() > 20, (finished, created)
    assert abs((back - created).total_seconds()) < 60, (back, created)
    lab_cluster.run("kubectl", "delete", "job", "short-lived", "-n", "lab-13")


def test_a_pod_that_only_prints_the_outage_lines_scores_zero(lab_cluster: LabCluster):
    """The log check reads lines; a pod that prints them without the lab's program, and
    without any outage, must earn nothing: the watcher check asks for the lab's program."""
    lab_cluster.run("kubelab", "reset", "13-control-plane", "--yes")
    script = "; ".join(["echo 'api=up service=200'"] + ["echo 'api=refused service=200'"] * 6)
    lab_cluster.run(
        "kubectl", "run", "outage-watch", "-n", "lab-13", "--image=busybox:1.36",
        "--labels=app=outage-watch", "--", "sh", "-c", script + "; sleep 3600",
    )  # fmt: skip
    lab_cluster.run(
        "kubectl", "wait", "pod/outage-watch", "-n", "lab-13", "--for=condition=Ready",
        "--timeout=60s",
    )  # fmt: skip
    for exercise_id in ("watcher", "outage"):
        exercise = lab_cluster.exercise("13-control-plane", exercise_id)
        assert exercise["points"] == 0 and not exercise["passed"], exercise
        failed = {c["name"] for c in exercise["checks"] if not c["passed"]}
        assert "watcher-runs-the-lab-program" in failed, failed


def test_the_lab_pod_running_an_edited_program_scores_zero(lab_cluster: LabCluster):
    """The Pod as written in the solution, but its ConfigMap rewritten to print the lines:
    the guard on the program's content fails, so neither exercise earns its points."""
    lab_cluster.run("kubelab", "reset", "13-control-plane", "--yes")
    forged = "print('api=up service=200')\nfor _ in range(6): print('api=refused service=200')\n"
    lab_cluster.run(
        "kubectl", "patch", "configmap", "outage-watch", "-n", "lab-13", "--type", "merge",
        "-p", json.dumps({"data": {"outage_watch.py": forged + "import time\ntime.sleep(3600)\n"}}),
    )  # fmt: skip
    lab_cluster.run(
        "kubectl", "apply", "-n", "lab-13", "-f", str(LAB / "solution" / "outage-watch.yaml")
    )
    lab_cluster.run(
        "kubectl", "wait", "pod/outage-watch", "-n", "lab-13", "--for=condition=Ready",
        "--timeout=60s",
    )  # fmt: skip
    for exercise_id in ("watcher", "outage"):
        exercise = lab_cluster.exercise("13-control-plane", exercise_id)
        assert exercise["points"] == 0 and not exercise["passed"], exercise
        failed = {c["name"] for c in exercise["checks"] if not c["passed"]}
        assert "watcher-program-is-the-labs" in failed, failed


def _wait_for_log(lab_cluster: LabCluster, word: str, *, within: float = 60.0) -> str:
    """The watcher's log once it holds `word` (it logs a change within a second)."""
    deadline = time.monotonic() + within
    while True:
        log = lab_cluster.run("kubectl", "logs", "outage-watch", "-n", "lab-13").stdout
        if word in log or time.monotonic() > deadline:
            return log
        time.sleep(0.5)  # polling a log: there is no watch for a log line


def test_a_restore_without_a_deletion_and_a_recreated_configmap_score_zero(
    lab_cluster: LabCluster, tmp_path: Path
):
    """The snapshot exercise's shortcuts, with the real `kubelab snapshot` commands: a save
    and restore with nothing deleted in between (the watcher never saw its ConfigMap gone),
    then the ConfigMap deleted and applied again instead of restored (a new object, a new
    uid: the watcher logs `recreated`, never `restored`)."""
    lab_cluster.run("kubelab", "reset", "13-control-plane", "--yes")
    lab_cluster.run("kubelab", "solve", "13-control-plane", "watcher")
    snapshot = tmp_path / "lab-13.db"
    saved = lab_cluster.run("kubelab", "snapshot", "save", str(snapshot))
    assert "The simulator has no etcd" in saved.stdout, saved.stdout
    restored = lab_cluster.run("kubelab", "snapshot", "restore", str(snapshot))
    assert "kept running" in restored.stdout, restored.stdout
    lab_cluster.run(
        "kubectl", "wait", "pod/outage-watch", "-n", "lab-13", "--for=condition=Ready",
        "--timeout=60s",
    )  # fmt: skip
    log = _wait_for_log(lab_cluster, "api=up", within=10)
    assert "configmap=present" in log and "configmap=gone" not in log, log
    never_deleted = lab_cluster.exercise("13-control-plane", "snapshot")
    assert never_deleted["points"] == 0 and not never_deleted["passed"], never_deleted

    lab_cluster.run("kubectl", "delete", "configmap", "outage-watch", "-n", "lab-13")
    assert "configmap=gone" in _wait_for_log(lab_cluster, "configmap=gone")
    lab_cluster.run("kubectl", "apply", "-n", "lab-13", "-f", str(LAB / "outage-watch-script.yaml"))
    log = _wait_for_log(lab_cluster, "configmap=recreated")
    assert "configmap=recreated" in log and "configmap=restored" not in log, log
    recreated = lab_cluster.exercise("13-control-plane", "snapshot")
    assert recreated["points"] == 0 and not recreated["passed"], recreated
    failed = {c["name"] for c in recreated["checks"] if not c["passed"]}
    assert failed == {"same-configmap-came-back"}, failed


def test_a_snapshot_of_a_file_that_is_not_one_is_refused_in_a_paragraph(
    lab_cluster: LabCluster, tmp_path: Path
):
    bogus = tmp_path / "notes.db"
    bogus.write_text("not a snapshot\n")
    said = lab_cluster.run("kubelab", "snapshot", "restore", str(bogus), check=False)
    text = said.stdout + said.stderr
    assert said.returncode != 0 and "is not a kubesim snapshot" in text, text
    assert "nothing was restored" in text and "Traceback" not in text, text
    missing = lab_cluster.run(
        "kubelab", "snapshot", "restore", str(tmp_path / "gone.db"), check=False
    )
    assert missing.returncode != 0 and "There is no snapshot at" in missing.stdout + missing.stderr
