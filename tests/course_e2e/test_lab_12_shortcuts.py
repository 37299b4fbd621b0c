"""Lab 12's known shortcuts score 0 for their exercise (DESIGN.md, "What makes a check
honest"): a broad grant instead of least privilege is caught by the API server's own
answers to the pod, and a Deployment fixed before the namespace enforced anything never
met Pod Security admission."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "labs" / "12-security"
LabCluster = Any  # the `lab_cluster` fixture's type, from this folder's conftest


def test_binding_view_instead_of_a_one_configmap_role_scores_zero(lab_cluster: LabCluster):
    """The `view` ClusterRole reads every ConfigMap: the rbac-check Job's token gets 200 for
    feature-flags, so the Job fails and its log has no 403 for it."""
    lab_cluster.run("kubelab", "reset", "12-security", "--yes")
    lab_cluster.run("kubectl", "create", "serviceaccount", "inference", "-n", "lab-12")
    lab_cluster.run(
        "kubectl", "create", "rolebinding", "inference-config-reader", "--clusterrole=view",
        "--serviceaccount=lab-12:inference", "-n", "lab-12",
    )  # fmt: skip
    lab_cluster.run("kubectl", "apply", "-n", "lab-12", "-f", str(LAB / "rbac-check-job.yaml"))
    lab_cluster.run(
        "kubectl", "wait", "job/rbac-check", "-n", "lab-12", "--for=condition=Failed",
        "--timeout=120s", timeout=180,
    )  # fmt: skip
    log = lab_cluster.run("kubectl", "logs", "job/rbac-check", "-n", "lab-12").stdout
    assert "GET configmaps/feature-flags -> 200 ok" in log, log
    lab_cluster.assert_zero(
        lab_cluster.exercise("12-security", "least-privilege"),
        failing={
            "role-reads-one-configmap",
            "token-refused-another-configmap",
            "asked-as-the-service-account",
        },
    )


def test_fixing_the_deployment_before_labelling_the_namespace_scores_zero(
    lab_cluster: LabCluster,
):
    """The Deployment rolled out compliant, then the label: nothing was ever refused, so
    nothing shows that the namespace enforces the policy."""
    lab_cluster.run("kubelab", "reset", "12-security", "--yes")
    lab_cluster.run("kubectl", "create", "serviceaccount", "inference", "-n", "lab-12")
    lab_cluster.run(
        "kubectl", "apply", "-n", "lab-12", "-f", str(LAB / "solution/deployment-restricted.yaml")
    )
    lab_cluster.run(
        "kubectl", "rollout", "status", "deployment/inference-service", "-n", "lab-12",
        "--timeout=180s", timeout=240,
    )  # fmt: skip
    lab_cluster.run(
        "kubectl", "label", "namespace", "lab-12", "pod-security.kubernetes.io/enforce=restricted"
    )
    lab_cluster.assert_zero(
        lab_cluster.exercise("12-security", "pod-security"),
        failing={"refused-by-pod-security", "restricted-pods-ready-after-the-refusal"},
    )
