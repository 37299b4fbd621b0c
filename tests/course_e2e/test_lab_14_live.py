"""Lab 14 (capstone) on a live cluster: each fault's symptom shows with the kubectl commands
the notebook teaches and fails exactly its practice's check; `kubelab break --mystery` breaks
what its seed chooses, says none of it, and `kubelab check` names it once all is fixed; and
deleting the inference Deployment scores 0 (the guard rails need a service to guard).

The generic course tests prove the rest (0 after reset, each check failing before its
exercise and passing after, nbval); these start from the solved lab, restored by applying
`labs/14-capstone/solution/` (the notebook's answer to the mystery)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker import discover_labs
from kubelab import _mystery

ROOT = Path(__file__).resolve().parents[2]
LAB = discover_labs(ROOT / "labs")["14-capstone"]
NS = "lab-14"
LabCluster = Any  # the `lab_cluster` fixture's type, from this folder's conftest

# which practice's checks each fault fails (exercise/check)
FAILS = {
    "capstone-no-limits": {"resources/requests-and-limits", "resources/no-pod-without-limits"},
    "capstone-no-probes": {"probes/probes", "probes/pods-have-probes"},
    "capstone-root": {"non-root/non-root", "non-root/pods-run-as-non-root"},
    "capstone-latest": {"pinned-images/pinned-images", "pinned-images/no-pod-on-latest"},
    "capstone-no-pdb": {"pdb/pdb"},
    "capstone-no-hpa": {"hpa/hpa"},
    "capstone-no-quota": {"quota/quota"},
    "capstone-no-netpol": {"network-policy/network-policy"},
}


def _graded(cluster: LabCluster, *, wait: bool = False) -> dict:
    args = ["kubelab", "check", LAB.id, "--format", "json"]
    if not wait:
        args.append("--no-wait")
    proc = cluster.run(*args, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    lab = json.loads(proc.stdout)["labs"][0]
    lab["stderr"] = proc.stderr
    return lab


def _failing(lab: dict) -> set[str]:
    """The practice checks that fail (not the guards: a rollout under way fails those)."""
    return {
        f"{e['id']}/{c['name']}"
        for e in lab["exercises"]
        for c in e["checks"]
        if not c["passed"] and not c.get("guard")
    }


def _exercises(checks: set[str]) -> set[str]:
    return {check.split("/")[0] for check in checks}


def _kubectl(cluster: LabCluster, *args: str) -> str:
    return cluster.run("kubectl", *args, "-n", NS).stdout


@pytest.fixture
def solved(lab_cluster: LabCluster) -> LabCluster:
    """lab-14 as the solution leaves it: reset and solved the first time, then restored by
    applying the solution folder; graded full marks before the test starts."""
    found = lab_cluster.run("kubectl", "get", "namespace", NS, "-o", "name", check=False)
    if found.returncode != 0 or not found.stdout.strip():
        lab_cluster.run("kubelab", "reset", LAB.id, "--yes")
        lab_cluster.run("kubelab", "solve", LAB.id)
    else:
        lab_cluster.run("kubectl", "apply", "-f", str(LAB.folder / "solution"), "-n", NS)
        lab_cluster.run("kubectl", "rollout", "status", "deployment/inference-service",
                        "--timeout=120s", "-n", NS)  # fmt: skip
    lab = _graded(lab_cluster, wait=True)
    assert lab["points"] == LAB.points, _failing(lab)
    return lab_cluster


def test_each_fault_shows_with_the_notebooks_commands_and_fails_its_practice(solved: LabCluster):
    for name in FAILS:
        out = solved.run("kubelab", "break", name).stdout
        assert LAB.faults[name].description.strip() in out
    # the quota is gone too, so the pods of the broken template are admitted and roll out
    solved.run("kubectl", "rollout", "status", "deployment/inference-service",
               "--timeout=120s", "-n", NS)  # fmt: skip

    template = json.loads(_kubectl(solved, "get", "deployment", "inference-service", "-o", "json"))
    pod = template["spec"]["template"]["spec"]
    server = next(c for c in pod["containers"] if c["name"] == "model-server")
    sidecar = next(c for c in pod["containers"] if c["name"] == "heartbeat")
    assert "limits" not in server.get("resources", {})  # capstone-no-limits
    assert "readinessProbe" not in server and "livenessProbe" not in server  # capstone-no-probes
    assert pod["securityContext"].get("runAsUser") == 0  # capstone-root
    assert "runAsNonRoot" not in pod["securityContext"]
    assert sidecar["image"] == "busybox:latest"  # capstone-latest
    listed = solved.run(
        "kubectl", "get", "pdb,hpa,resourcequota,networkpolicy", "-n", NS, check=False
    )
    assert "No resources found" in listed.stdout + listed.stderr  # the four guard rails

    failing = _failing(_graded(solved))
    assert set().union(*FAILS.values()) <= failing
    assert all(e["points"] == 0 for e in _graded(solved)["exercises"])


def test_a_mystery_breaks_what_its_seed_chooses_and_check_names_it_once_fixed(
    solved: LabCluster,
):
    seed = 20
    chosen = _mystery.choose(_mystery.pool(LAB), seed=seed, count=3)
    out = solved.run("kubelab", "break", "--mystery", "--seed", str(seed), "--minutes", "5").stdout
    assert not [name for name in FAILS if name in out]
    for name in FAILS:
        assert LAB.faults[name].description.strip() not in out

    lab = _graded(solved)
    # by practice: with the quota still there, a template without limits is refused its new
    # pods (the old ones keep serving), so only the template's check fails, not the pods'
    assert _exercises(_failing(lab)) == _exercises(set().union(*(FAILS[n] for n in chosen)))
    assert "Budget 5 min: within it" in lab["stderr"]
    assert "had broken" not in lab["stderr"]

    solved.run("kubectl", "apply", "-f", str(LAB.folder / "solution"), "-n", NS)
    lab = _graded(solved, wait=True)
    assert lab["points"] == LAB.points, _failing(lab)
    assert f"It had broken: {', '.join(chosen)}." in lab["stderr"]


def test_deleting_the_inference_deployment_scores_zero(solved: LabCluster):
    """The shortcut past every workload practice: no workload. The guard rails stay, and
    still score nothing: the PDB counts no pods, the HPA has no target, and the quota and
    NetworkPolicy exercises' guard wants the service running."""
    solved.run("kubectl", "delete", "deployment", "inference-service", "-n", NS, "--wait=true")
    lab = _graded(solved)
    assert lab["points"] == 0, [e["id"] for e in lab["exercises"] if e["points"]]
