"""Lab 07's contexts, on the lab cluster: the shortcuts that must score 0, and the reset.

The exercise `environments` grades the contexts `prod` -> production and `staging` ->
staging in the lab's kubeconfig (a `context: {name, namespace}` check). A context with the
wrong namespace, or one on another cluster entry (even for the same server), earns nothing;
`kubelab reset 07-namespaces-quotas` removes both contexts, says so, and leaves the lab's own
context current.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAB = "07-namespaces-quotas"
NAMESPACES = ROOT / "labs" / LAB / "solution" / "namespaces.yaml"
CONTEXT_CHECKS = {"prod-context", "staging-context"}
LabCluster = Any  # the `lab_cluster` fixture's type, from this folder's conftest


def _view(cluster: LabCluster, jsonpath: str) -> str:
    return cluster.run("kubectl", "config", "view", "--minify", "-o", f"jsonpath={jsonpath}").stdout


def _contexts(cluster: LabCluster) -> set[str]:
    return set(cluster.run("kubectl", "config", "get-contexts", "-o", "name").stdout.split())


def _namespaces_done(cluster: LabCluster) -> None:
    cluster.run("kubelab", "reset", LAB, "--yes", timeout=300)
    cluster.run("kubectl", "apply", "-f", str(NAMESPACES))


def _passed(exercise: dict[str, Any]) -> set[str]:
    return {c["name"] for c in exercise["checks"] if c["passed"]}


def test_contexts_with_each_others_namespaces_score_zero(lab_cluster: LabCluster):
    _namespaces_done(lab_cluster)
    cluster, user = (
        _view(lab_cluster, "{.contexts[0].context.cluster}"),
        _view(lab_cluster, "{.contexts[0].context.user}"),
    )
    for name, namespace in (("prod", "staging"), ("staging", "production")):
        lab_cluster.run(
            "kubectl", "config", "set-context", name, "--namespace", namespace,
            "--cluster", cluster, "--user", user,
        )  # fmt: skip
    report = lab_cluster.exercise(LAB, "environments")
    lab_cluster.assert_zero(report, failing=CONTEXT_CHECKS)
    assert {"production-exists", "staging-exists"} <= _passed(report)  # only the contexts
    errors = {c["name"]: c["fieldErrors"] for c in report["checks"]}
    assert errors["prod-context"] == [
        'context.namespace: Invalid value: "staging": Expected value: "production"'
    ]
    lab_cluster.run("kubelab", "reset", LAB, "--yes", timeout=300)


def test_contexts_on_another_cluster_entry_score_zero(lab_cluster: LabCluster):
    """A copy of the lab's cluster entry under another name, same server: kubectl would reach
    the lab through it, but it is not the lab's cluster entry (it has no CA, for one)."""
    _namespaces_done(lab_cluster)
    server = _view(lab_cluster, "{.clusters[0].cluster.server}")
    user = _view(lab_cluster, "{.contexts[0].context.user}")
    lab_cluster.run("kubectl", "config", "set-cluster", "elsewhere", "--server", server)
    try:
        for name, namespace in (("prod", "production"), ("staging", "staging")):
            lab_cluster.run(
                "kubectl", "config", "set-context", name, "--namespace", namespace,
                "--cluster", "elsewhere", "--user", user,
            )  # fmt: skip
        report = lab_cluster.exercise(LAB, "environments")
        lab_cluster.assert_zero(report, failing=CONTEXT_CHECKS)
        errors = {c["name"]: c["fieldErrors"] for c in report["checks"]}
        assert errors["staging-context"][0].startswith(
            'context.cluster: Invalid value: "elsewhere": Expected value: '
        )
    finally:
        lab_cluster.run("kubelab", "reset", LAB, "--yes", timeout=300)
        lab_cluster.run("kubectl", "config", "delete-cluster", "elsewhere")


def test_the_reset_removes_the_contexts_says_so_and_keeps_the_labs_own(lab_cluster: LabCluster):
    lab_cluster.run("kubelab", "solve", LAB, "environments", timeout=300)
    own = lab_cluster.run("kubectl", "config", "current-context").stdout.strip()
    assert {"prod", "staging", own} <= _contexts(lab_cluster)
    assert lab_cluster.exercise(LAB, "environments")["passed"]

    # kubectl config use-context prod: kubelab refuses, so a reset never edits prod
    lab_cluster.run("kubectl", "config", "use-context", "prod")
    refused = lab_cluster.run("kubelab", "reset", LAB, "--yes", check=False)
    assert refused.returncode != 0 and "'prod'" in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
    assert {"prod", "staging"} <= _contexts(lab_cluster)
    lab_cluster.run("kubectl", "config", "use-context", own)

    reset = lab_cluster.run("kubelab", "reset", LAB, "--yes", timeout=300)
    assert "kubectl config unset contexts.prod" in reset.stdout
    assert "kubectl config unset contexts.staging" in reset.stdout
    assert _contexts(lab_cluster) == {own}
    assert lab_cluster.run("kubectl", "config", "current-context").stdout.strip() == own
    assert _view(lab_cluster, "{.contexts[0].context.namespace}") == "lab-07"
    lab_cluster.run("kubectl", "get", "namespace", "lab-07")  # the current context works
    lab_cluster.assert_zero(lab_cluster.exercise(LAB, "environments"), failing=CONTEXT_CHECKS)
    # a second reset, with nothing left to remove, is fine too
    lab_cluster.run("kubelab", "reset", LAB, "--yes", timeout=300)
