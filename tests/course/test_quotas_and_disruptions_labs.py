"""Labs 07 (namespaces and quotas) and 08 (disruptions), statically: the objects their
solutions create are the files the notebooks apply, and their spec checks tell the task's
object from the near misses a learner writes (no cluster; the course_e2e tests walk both
labs on a live one)."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import checker  # noqa: E402

LABS = ROOT / "labs"
LAB_07 = LABS / "07-namespaces-quotas"
LAB_08 = LABS / "08-disruptions"


def _lab(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "lab.yaml").read_text(encoding="utf-8"))


def _exercise(folder: Path, exercise_id: str) -> dict[str, Any]:
    return next(e for e in _lab(folder)["exercises"] if e["id"] == exercise_id)


def _check(folder: Path, exercise_id: str, name: str) -> dict[str, Any]:
    return next(c for c in _exercise(folder, exercise_id)["checks"] if c["name"] == name)


def _file(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _inline(folder: Path, exercise_id: str, kind: str) -> dict[str, Any]:
    steps = _exercise(folder, exercise_id)["solution"]
    return next(s["manifest"] for s in steps if s.get("manifest", {}).get("kind") == kind)


def _matches(check: dict[str, Any], obj: dict[str, Any]) -> bool:
    return not checker.parse_expectation(check["expect"]).match(obj, "")


def _in_production(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["metadata"]["namespace"] = "production"
    return out


@pytest.mark.parametrize(
    "exercise_id, kind, path",
    [
        pytest.param("quota", "ResourceQuota", "solution/compute-quota.yaml", id="quota"),
        pytest.param("quota", "Deployment", "inference-no-resources.yaml", id="no-resources"),
        pytest.param("limitrange", "LimitRange", "solution/limitrange.yaml", id="limitrange"),
    ],
)
def test_07_solution_steps_create_the_files_the_notebook_applies(exercise_id, kind, path):
    """The steps carry the namespace inline (an `apply` step names the lab's own); the
    files take it from `-n production`. Both must stay the same object."""
    assert _inline(LAB_07, exercise_id, kind) == _in_production(_file(LAB_07 / path)[0])


def test_07_namespace_solution_is_the_namespaces_file():
    steps = [
        s["manifest"] for s in _exercise(LAB_07, "environments")["solution"] if "manifest" in s
    ]
    assert steps == _file(LAB_07 / "solution" / "namespaces.yaml")


def test_07_the_deployment_states_no_resources_so_the_quota_refuses_it():
    deployment = _file(LAB_07 / "inference-no-resources.yaml")[0]
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        assert "resources" not in container


def _quota(**hard: str) -> dict[str, Any]:
    quota = _file(LAB_07 / "solution" / "compute-quota.yaml")[0]
    quota["spec"]["hard"] = hard
    return quota


@pytest.mark.parametrize(
    "quota, passes",
    [
        pytest.param(_file(LAB_07 / "solution/compute-quota.yaml")[0], True, id="the-task"),
        pytest.param(
            _quota(
                **{
                    "requests.cpu": "1000m",
                    "requests.memory": "1024Mi",
                    "limits.cpu": "2",
                    "limits.memory": "2048Mi",
                }
            ),
            True,
            id="same-values-other-units",
        ),
        pytest.param(
            _quota(**{"requests.cpu": "1", "requests.memory": "1Gi"}), False, id="no-limits"
        ),
        pytest.param(
            _quota(**{"requests.cpu": "10", "requests.memory": "20Gi"}),
            False,
            id="the-guides-unscaled-numbers",
        ),
    ],
)
def test_07_quota_check_takes_the_task_quota_only(quota, passes):
    assert _matches(_check(LAB_07, "quota", "quota-as-specified"), quota) is passes


def test_07_limitrange_check_needs_both_defaults():
    check = _check(LAB_07, "limitrange", "limitrange-as-specified")
    limitrange = _file(LAB_07 / "solution" / "limitrange.yaml")[0]
    assert _matches(check, limitrange)
    only_limits = copy.deepcopy(limitrange)
    del only_limits["spec"]["limits"][0]["defaultRequest"]
    assert not _matches(check, only_limits)


def _pod(annotations: dict[str, str], requests: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "inference-service-abc-12345",
            "namespace": "production",
            "labels": {"app": "inference"},
            "annotations": annotations,
        },
        "spec": {"containers": [{"name": "model-server", "resources": {"requests": requests}}]},
    }


@pytest.mark.parametrize(
    "annotations, passes",
    [
        pytest.param(
            {
                "kubernetes.io/limit-ranger": "LimitRanger plugin set: cpu, memory request for "
                "container model-server; cpu, memory limit for container model-server"
            },
            True,
            id="defaulted-by-the-limitranger",
        ),
        pytest.param({}, False, id="requests-written-into-the-deployment"),
    ],
)
def test_07_defaults_are_graded_by_the_limitranger_annotation(annotations, passes):
    """Writing the requests into the Deployment gives the same numbers, not the lesson."""
    check = _check(LAB_07, "limitrange", "pods-got-the-defaults")
    pod = _pod(annotations, {"cpu": "100m", "memory": "128Mi"})
    assert _matches(check, pod) is passes


@pytest.mark.parametrize(
    "spec, passes",
    [
        pytest.param(None, True, id="the-task"),
        pytest.param({"minAvailable": 1}, False, id="the-skeletons-min-available-1"),
        pytest.param({"maxUnavailable": 1}, False, id="max-unavailable-instead"),
        pytest.param(
            {"selector": {"matchLabels": {"app": "inference-service"}}}, False, id="wrong-selector"
        ),
    ],
)
def test_08_pdb_check_takes_the_task_budget_only(spec, passes):
    pdb = _file(LAB_08 / "solution" / "pdb.yaml")[0]
    if spec:
        pdb["spec"] = {k: v for k, v in pdb["spec"].items() if k != "minAvailable"} | spec
        if "selector" in spec:
            pdb["spec"]["minAvailable"] = 2
    assert _matches(_check(LAB_08, "pdb", "pdb-as-specified"), pdb) is passes


def test_08_deployment_is_available_only_with_two_of_three():
    """The drain's availability check reads the Deployment's Available condition, which
    means "at least replicas - maxUnavailable available": 2 of 3 only with maxUnavailable 1;
    it needs a readiness probe, since a budget counts Ready pods."""
    deployment = _file(LAB_08 / "deployment.yaml")[0]
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 1
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"


def test_08_setup_starts_every_replica_on_the_node_the_drain_empties():
    setup = _lab(LAB_08)["setup"]
    kubectl = [s["kubectl"] for s in setup if "kubectl" in s]
    cordon = kubectl.index("cordon kubelab-worker2")
    uncordon = kubectl.index("uncordon kubelab-worker2")
    applied = next(i for i, s in enumerate(setup) if s.get("apply") == "deployment.yaml")
    waited = next(i for i, s in enumerate(setup) if "wait" in s)
    assert setup.index({"kubectl": "cordon kubelab-worker2"}) < applied < waited
    assert waited < setup.index({"kubectl": "uncordon kubelab-worker2"})
    assert cordon < uncordon
    drain = _exercise(LAB_08, "drain")["solution"][0]["kubectl"]
    assert drain.startswith("drain kubelab-worker ")
