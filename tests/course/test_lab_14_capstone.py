"""Lab 14 (capstone), statically: each practice's check passes the audited objects of
`labs/14-capstone/solution/` and fails the lab's starting Deployment and the near misses a
learner writes or a shortcut leaves (no cluster; tests/course_e2e walks the lab live)."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import checker  # noqa: E402

LAB = ROOT / "labs" / "14-capstone"
SPEC = yaml.safe_load((LAB / "lab.yaml").read_text(encoding="utf-8"))
WORKLOAD = ["requests-and-limits", "probes", "non-root", "pinned-images"]
PODS = ["no-pod-without-limits", "pods-have-probes", "pods-run-as-non-root", "no-pod-on-latest"]


def _check(name: str) -> dict[str, Any]:
    return next(c for e in SPEC["exercises"] for c in e["checks"] if c["name"] == name)


def _passes(name: str, obj: dict[str, Any]) -> bool:
    check = _check(name)
    if "absent" in check:  # passes when the object does not match
        return bool(checker.parse_expectation(check["absent"]).match(obj, ""))
    return not checker.parse_expectation(check["expect"]).match(obj, "")


def _load(path: str) -> dict[str, Any]:
    obj = yaml.safe_load((LAB / path).read_text(encoding="utf-8"))
    obj["metadata"].update(namespace="lab-14", generation=2)
    return obj


def _rolled_out(deployment: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(deployment)
    n = out["spec"]["replicas"]
    out["status"] = {
        "observedGeneration": 2,
        "replicas": n,
        "updatedReplicas": n,
        "readyReplicas": n,
        "availableReplicas": n,
        "conditions": [{"type": "Available", "status": "True"}],
    }
    return out


GOOD = _rolled_out(_load("solution/deployment.yaml"))
START = _rolled_out(_load("deployment.yaml"))


def _pod(deployment: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "inference-service-x",
            "namespace": "lab-14",
            "labels": {"app": "inference"},
        },
        "spec": copy.deepcopy(deployment["spec"]["template"]["spec"]),
    }


def _container(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    spec = deployment["spec"]["template"]["spec"]
    return next(c for c in spec["containers"] if c["name"] == name)


def _edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    out = copy.deepcopy(GOOD)
    change(out)
    return out


def test_the_audited_deployment_and_its_pods_pass_every_workload_practice():
    assert [name for name in WORKLOAD if not _passes(name, GOOD)] == []
    assert [name for name in PODS if not _passes(name, _pod(GOOD))] == []
    assert _passes("service-available", GOOD)


def test_the_starting_deployment_and_its_pods_fail_every_workload_practice():
    assert [name for name in WORKLOAD if _passes(name, START)] == []
    assert [name for name in PODS if _passes(name, _pod(START))] == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: _scaled_to_zero(d), id="scaled-to-0"),
        pytest.param(lambda d: _stale(d), id="generation-not-observed"),
        pytest.param(lambda d: d["status"].update(updatedReplicas=1), id="rollout-under-way"),
    ],
)
def test_the_guard_wants_the_service_rolled_out_and_serving(change):
    """Every exercise has this guard: a template right on paper, with no pods running it
    (scaled to 0, or a rollout not done), earns nothing."""
    assert not _passes("service-available", _edit(change))


def _scaled_to_zero(d: dict[str, Any]) -> None:
    d["spec"]["replicas"] = 0
    d["status"] = {"observedGeneration": 2}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit of one container's field: 'container.key.key' = value (None deletes)."""

    def change(d: dict[str, Any]) -> None:
        name, *keys = path.split(".")
        node = _container(d, name)
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value

    return change


def _pod_security(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        d["spec"]["template"]["spec"]["securityContext"] = fields

    return change


def _stale(d: dict[str, Any]) -> None:
    d["status"]["observedGeneration"] = 1


@pytest.mark.parametrize(
    "check, change",
    [
        pytest.param("requests-and-limits", _set("heartbeat.resources", None), id="sidecar-bare"),
        pytest.param(
            "requests-and-limits", _set("model-server.resources.limits", None), id="no-limits"
        ),
        pytest.param("probes", _set("model-server.readinessProbe", None), id="no-readiness"),
        pytest.param(
            "probes",
            _set("model-server.readinessProbe", {"exec": {"command": ["true"]}}),
            id="exec-true-probe",
        ),
        pytest.param(
            "probes",
            _set("model-server.readinessProbe.httpGet.path", "/health"),
            id="readiness-on-health",
        ),
        pytest.param(
            "probes", _set("model-server.livenessProbe.httpGet.port", 9090), id="wrong-port"
        ),
        pytest.param(
            "non-root",
            _pod_security(runAsNonRoot=True, runAsUser=0),
            id="non-root-but-user-0",
        ),
        pytest.param("non-root", _pod_security(runAsUser=10001), id="no-runAsNonRoot"),
        pytest.param(
            "non-root", _set("heartbeat.securityContext.runAsUser", 0), id="container-user-0"
        ),
        pytest.param(
            "non-root",
            _set("heartbeat.securityContext.allowPrivilegeEscalation", None),
            id="escalation-left",
        ),
        pytest.param("pinned-images", _set("heartbeat.image", "busybox"), id="untagged"),
        pytest.param("pinned-images", _set("heartbeat.image", "busybox:latest"), id="latest"),
    ],
)
def test_a_near_miss_fails_its_workload_practice(check, change):
    assert not _passes(check, _edit(change))


@pytest.mark.parametrize(
    "check, image",
    [
        pytest.param("no-pod-on-latest", "busybox", id="untagged"),
        pytest.param("no-pod-on-latest", "docker.io/library/busybox:latest", id="latest"),
    ],
)
def test_any_pod_on_latest_fails_not_only_the_deployments(check, image):
    pod = _pod(GOOD)
    pod["spec"]["containers"][1]["image"] = image
    assert not _passes(check, pod)


def _guard_rail(path: str, status: dict[str, Any]) -> dict[str, Any]:
    obj = _load(path)
    obj["metadata"]["generation"] = 1
    obj["status"] = status
    return obj


PDB = _guard_rail(
    "solution/pdb.yaml",
    {"observedGeneration": 1, "expectedPods": 2, "currentHealthy": 2, "disruptionsAllowed": 1},
)
HPA = _guard_rail(
    "solution/hpa.yaml",
    {
        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {}}}],
        "conditions": [{"type": "ScalingActive", "status": "True"}],
    },
)
QUOTA = _guard_rail(
    "solution/quota.yaml",
    {"hard": {}, "used": {"requests.cpu": "220m", "limits.memory": "576Mi"}},
)
NETPOL = _load("solution/networkpolicy.yaml")


def _with(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    *keys, last = path.split(".")
    node = out
    for key in keys:
        node = node[key]
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return out


@pytest.mark.parametrize("check, obj", [("pdb", PDB), ("hpa", HPA), ("quota", QUOTA),
                                        ("network-policy", NETPOL)])  # fmt: skip
def test_the_solution_guard_rails_pass(check, obj):
    assert _passes(check, obj)


@pytest.mark.parametrize(
    "check, obj",
    [
        pytest.param("pdb", _with(PDB, "status.disruptionsAllowed", 0), id="pdb-allows-none"),
        pytest.param("pdb", _with(PDB, "status.expectedPods", 0), id="pdb-no-workload"),
        pytest.param(
            "pdb", _with(PDB, "spec.selector", {"matchLabels": {"app": "web"}}), id="pdb-other"
        ),
        pytest.param("hpa", _with(HPA, "spec.minReplicas", 1), id="hpa-min-1"),
        pytest.param(
            "hpa",
            _with(HPA, "status.conditions", [{"type": "ScalingActive", "status": "False"}]),
            id="hpa-no-metrics",
        ),
        pytest.param("hpa", _with(HPA, "spec.scaleTargetRef.name", "other"), id="hpa-other-target"),
        pytest.param("quota", _with(QUOTA, "spec.hard", {"pods": "10"}), id="quota-pods-only"),
        pytest.param("quota", _with(QUOTA, "status", None), id="quota-not-counted"),
        pytest.param("network-policy", _with(NETPOL, "spec.ingress", [{}]), id="netpol-allows-all"),
        pytest.param(
            "network-policy",
            _with(NETPOL, "spec.ingress", [{"ports": [{"port": 8080}]}]),
            id="netpol-port-from-anyone",
        ),
        pytest.param("network-policy", _with(NETPOL, "spec.ingress", None), id="netpol-deny-all"),
        pytest.param(
            "network-policy", _with(NETPOL, "spec.policyTypes", ["Egress"]), id="netpol-egress"
        ),
    ],
)
def test_a_near_miss_fails_its_guard_rail(check, obj):
    assert not _passes(check, obj)


def test_every_mystery_fault_is_a_fault_of_the_lab_and_the_pool_is_all_of_them():
    faults = SPEC["faults"]
    assert len(faults) == 8
    assert all(f.get("mystery") is True for f in faults.values())
