"""Known shortcuts, each scripted as a student looking for one would, score 0 for their
exercise (issue 17; DESIGN.md, "What makes a check honest"): the checks look for evidence
that the work leaves and that these cheap moves cannot forge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
LabCluster = Any  # the `lab_cluster` fixture's type, from this folder's conftest
PREDICT_JOB = ROOT / "manifests" / "inference" / "predict-during-rollout.yaml"


def _kubectl(cluster: LabCluster, *args: str, timeout: float = 300) -> None:
    cluster.run("kubectl", *args, timeout=timeout)


def _apply_object(cluster: LabCluster, tmp_path: Path, obj: dict) -> None:
    path = tmp_path / f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(obj))
    _kubectl(cluster, "create", "-f", str(path))


def _hand_made_event(namespace: str, *, reason: str, message: str, involved: dict) -> dict:
    """An Event as a student writes one: no reporting component (kubectl create -f)."""
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"forged-{reason.lower()}", "namespace": namespace},
        "involvedObject": {"namespace": namespace, **involved},
        "reason": reason,
        "message": message,
        "type": "Normal",
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2099-01-01T00:00:00Z",
        "count": 1,
    }


def test_kubelab_up_alone_earns_nothing_in_lab_00(lab_cluster: LabCluster):
    """After `kubelab up` and the lab's reset, kubectl is on `default`; selecting some other
    namespace than the lab's own (here one named `lab`) earns nothing either."""
    lab_cluster.run("kubelab", "reset", "00-welcome", "--yes")
    assert lab_cluster.exercise("00-welcome", "namespace", wait=False)["points"] == 0
    lab_cluster.run("kubectl", "create", "namespace", "lab", check=False)
    _kubectl(lab_cluster, "get", "namespace", "lab")
    _kubectl(lab_cluster, "config", "set-context", "--current", "--namespace", "lab")
    lab_cluster.assert_zero(
        lab_cluster.exercise("00-welcome", "namespace", wait=False),
        failing="namespace-exists",
    )


def test_a_true_job_named_dns_check_scores_zero(lab_cluster: LabCluster):
    """`kubectl create job dns-check ... -- true` completes, but its log shows no answer."""
    lab_cluster.run("kubelab", "reset", "02-expose", "--yes")
    lab_cluster.run("kubelab", "solve", "02-expose", "service")
    _kubectl(
        lab_cluster, "create", "job", "dns-check", "--image=kubelab/inference:2.4.0",
        "-n", "lab-02", "--", "true",
    )  # fmt: skip
    _kubectl(
        lab_cluster, "wait", "job/dns-check", "--for=condition=Complete", "--timeout=120s",
        "-n", "lab-02",
    )  # fmt: skip
    lab_cluster.assert_zero(
        lab_cluster.exercise("02-expose", "dns", wait=False), failing="short-name-answered"
    )


def _stall_2_5_0(cluster: LabCluster) -> None:
    _kubectl(
        cluster, "set", "image", "deployment/inference-service",
        "model-server=kubelab/inference:2.5.0", "-n", "lab-05",
    )  # fmt: skip
    _kubectl(
        cluster, "annotate", "deployment/inference-service", "kubernetes.io/change-cause=2.5.0",
        "--overwrite", "-n", "lab-05",
    )  # fmt: skip
    _kubectl(
        cluster, "wait", "deployment/inference-service",
        "--for=jsonpath={.status.updatedReplicas}=1", "--timeout=120s", "-n", "lab-05",
    )  # fmt: skip


def _predict(cluster: LabCluster) -> None:
    _kubectl(cluster, "apply", "-f", str(PREDICT_JOB), "-n", "lab-05")
    _kubectl(
        cluster, "wait", "job/predict-during-rollout", "--for=condition=Complete",
        "--timeout=120s", "-n", "lab-05",
    )  # fmt: skip


def test_the_predict_job_run_before_the_bad_rollout_scores_zero(lab_cluster: LabCluster):
    lab_cluster.run("kubelab", "reset", "05-rolling-updates", "--yes")
    lab_cluster.run("kubelab", "solve", "05-rolling-updates", "probes")
    _predict(lab_cluster)
    _stall_2_5_0(lab_cluster)
    lab_cluster.assert_zero(
        lab_cluster.exercise("05-rolling-updates", "bad-rollout", wait=False),
        failing="service-answered-during-stall",
    )


def test_the_predict_job_run_after_the_rollback_scores_zero(lab_cluster: LabCluster):
    lab_cluster.run("kubelab", "reset", "05-rolling-updates", "--yes")
    lab_cluster.run("kubelab", "solve", "05-rolling-updates", "probes")
    _stall_2_5_0(lab_cluster)
    _kubectl(lab_cluster, "rollout", "undo", "deployment/inference-service", "-n", "lab-05")
    _kubectl(
        lab_cluster, "rollout", "status", "deployment/inference-service", "--timeout=120s",
        "-n", "lab-05",
    )  # fmt: skip
    _predict(lab_cluster)
    lab_cluster.assert_zero(
        lab_cluster.exercise("05-rolling-updates", "bad-rollout", wait=False),
        failing="service-answered-during-stall",
    )


def test_a_hand_made_scaling_event_scores_zero(lab_cluster: LabCluster, tmp_path: Path):
    """A ScalingReplicaSet "to 5" Event the deployment controller never reported."""
    lab_cluster.run("kubelab", "reset", "04-scaling", "--yes")
    event = _hand_made_event(
        "lab-04",
        reason="ScalingReplicaSet",
        message="Scaled up replica set inference-service-5d9f to 5",
        involved={"apiVersion": "apps/v1", "kind": "Deployment", "name": "inference-service"},
    )
    _apply_object(lab_cluster, tmp_path, event)
    lab_cluster.assert_zero(
        lab_cluster.exercise("04-scaling", "scale", wait=False), failing="scaled-to-five"
    )


def test_a_hand_made_rescale_event_and_a_true_job_without_an_hpa_score_zero(
    lab_cluster: LabCluster, tmp_path: Path
):
    lab_cluster.run("kubelab", "reset", "04-scaling", "--yes")
    event = _hand_made_event(
        "lab-04",
        reason="SuccessfulRescale",
        message="New size: 5; reason: cpu resource utilization (percentage of request) "
        "above target",
        involved={
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "name": "inference-service",
        },
    )
    _apply_object(lab_cluster, tmp_path, event)
    _kubectl(
        lab_cluster, "create", "job", "inference-loadgen", "--image=kubelab/inference:2.4.0",
        "-n", "lab-04", "--", "true",
    )  # fmt: skip
    _kubectl(
        lab_cluster, "wait", "job/inference-loadgen", "--for=condition=Complete",
        "--timeout=120s", "-n", "lab-04",
    )  # fmt: skip
    exercise = lab_cluster.exercise("04-scaling", "load", wait=False)
    lab_cluster.assert_zero(exercise, failing="scaled-up-on-cpu")
    assert not next(c for c in exercise["checks"] if c["name"] == "load-was-sent")["passed"]


def test_lab_06_untouched_after_its_reset_scores_zero(lab_cluster: LabCluster):
    """The healthy end state is also the starting state: without the faults, no points."""
    lab_cluster.run("kubelab", "reset", "06-break-fix", "--yes")
    proc = lab_cluster.run(
        "kubelab", "check", "06-break-fix", "--format", "json", "--no-wait", check=False
    )
    lab = json.loads(proc.stdout)["labs"][0]
    assert lab["points"] == 0
    for exercise in lab["exercises"]:
        guards = [c for c in exercise["checks"] if c["guard"]]
        assert guards and not any(c["passed"] for c in guards), exercise["id"]


def test_a_node_brought_back_by_a_later_labs_reset_scores_zero_for_recover(
    lab_cluster: LabCluster,
):
    """Lab 03's node stays down if the learner moves on; lab 04's reset starts it again so
    lab 04 can run. That restart is kubelab's, not the learner's: lab 03's recover scores 0
    (found by running the learner edition's notebooks top to bottom)."""
    lab_cluster.run("kubelab", "reset", "03-self-healing", "--yes", timeout=600)
    lab_cluster.run("kubelab", "solve", "03-self-healing", "node-failure", timeout=600)
    lab_cluster.run("kubelab", "reset", "04-scaling", "--yes", timeout=600)
    lab_cluster.assert_zero(
        lab_cluster.exercise("03-self-healing", "recover", wait=False),
        failing="not-started-by-another-lab",
    )
    # the exercise done as the task says still scores once the lab is started over
    lab_cluster.run("kubelab", "reset", "03-self-healing", "--yes", timeout=600)
    lab_cluster.run("kubelab", "solve", "03-self-healing", "node-failure", timeout=600)
    lab_cluster.run("kubelab", "solve", "03-self-healing", "recover", timeout=900)
    done = lab_cluster.exercise("03-self-healing", "recover", wait=True)
    assert done["passed"], [
        (c["name"], c.get("detail"), c.get("fieldErrors")) for c in done["checks"]
    ]


def test_requests_written_into_the_deployment_score_zero_for_the_limitrange(
    lab_cluster: LabCluster,
):
    """The LimitRange exists and the pods have the very numbers, but they were written into
    the Deployment: no pod carries the LimitRanger's annotation."""
    lab_cluster.run("kubelab", "reset", "07-namespaces-quotas", "--yes")
    lab_cluster.run("kubelab", "solve", "07-namespaces-quotas", "environments")
    lab_cluster.run("kubelab", "solve", "07-namespaces-quotas", "quota")
    _kubectl(
        lab_cluster, "set", "resources", "deployment/inference-service", "-n", "production",
        "--requests=cpu=100m,memory=128Mi", "--limits=cpu=500m,memory=256Mi",
    )  # fmt: skip
    _kubectl(
        lab_cluster, "rollout", "status", "deployment/inference-service", "-n", "production",
        "--timeout=180s",
    )  # fmt: skip
    limitrange = ROOT / "labs" / "07-namespaces-quotas" / "solution" / "limitrange.yaml"
    _kubectl(lab_cluster, "apply", "-f", str(limitrange), "-n", "production")
    lab_cluster.assert_zero(
        lab_cluster.exercise("07-namespaces-quotas", "limitrange", wait=False),
        failing="pods-got-the-defaults",
    )


def _drain_checks_failed(cluster: LabCluster) -> None:
    exercise = cluster.exercise("08-disruptions", "drain", wait=False)
    cluster.assert_zero(exercise, failing="drain-waited-for-the-budget")
    failed = {c["name"] for c in exercise["checks"] if not c["passed"]}
    assert "never-below-two-available" in failed, failed


def test_a_drain_before_the_budget_scores_zero(lab_cluster: LabCluster):
    """Drain first (all three evicted at once), budget afterwards."""
    lab_cluster.run("kubelab", "reset", "08-disruptions", "--yes")
    try:
        _kubectl(
            lab_cluster, "drain", "kubelab-worker", "--ignore-daemonsets",
            "--delete-emptydir-data", "--pod-selector=app=inference", "--timeout=180s",
        )  # fmt: skip
        _kubectl(
            lab_cluster, "rollout", "status", "deployment/inference-service", "-n", "lab-08",
            "--timeout=180s",
        )  # fmt: skip
    finally:
        _kubectl(lab_cluster, "uncordon", "kubelab-worker")
    lab_cluster.run("kubelab", "solve", "08-disruptions", "pdb")
    _drain_checks_failed(lab_cluster)


def test_cordon_and_scaling_to_zero_and_back_scores_zero(lab_cluster: LabCluster):
    """The node ends up empty and the budget existed, but nothing was evicted through it."""
    lab_cluster.run("kubelab", "reset", "08-disruptions", "--yes")
    lab_cluster.run("kubelab", "solve", "08-disruptions", "pdb")
    _kubectl(lab_cluster, "cordon", "kubelab-worker")
    try:
        for replicas in ("0", "3"):
            _kubectl(
                lab_cluster, "scale", "deployment/inference-service", f"--replicas={replicas}",
                "-n", "lab-08",
            )  # fmt: skip
            _kubectl(
                lab_cluster, "rollout", "status", "deployment/inference-service", "-n",
                "lab-08", "--timeout=180s",
            )  # fmt: skip
    finally:
        _kubectl(lab_cluster, "uncordon", "kubelab-worker")
    _drain_checks_failed(lab_cluster)
