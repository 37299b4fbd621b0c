"""The starting manifests are valid Kubernetes 1.37 objects, and say what the course relies on.

Every YAML under manifests/ (but the kind cluster config, which is not a Kubernetes object)
validates with `kubernetes_validate` against the 1.37.0 schema in strict mode, so an unknown or
misspelt field fails here rather than in a learner's `kubectl apply`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
K8S_VERSION = "1.37.0"
KIND_CONFIG = MANIFESTS / "cluster" / "kind.yaml"


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def objects() -> list[Any]:  # pytest.ParameterSet
    found = []
    for path in sorted(MANIFESTS.rglob("*.yaml")):
        if path == KIND_CONFIG:
            continue
        for doc in documents(path):
            name = doc.get("metadata", {}).get("name")
            rel = path.relative_to(MANIFESTS)
            found.append(pytest.param(doc, id=f"{rel}:{doc.get('kind')}/{name}"))
    return found


def by_kind(rel: str, kind: str) -> dict:
    return next(d for d in documents(MANIFESTS / rel) if d["kind"] == kind)


def test_the_expected_manifests_exist():
    for rel in (
        "inference/deployment.yaml",
        "inference/service.yaml",
        "inference/hpa.yaml",
        "inference/pdb.yaml",
        "inference/loadgen-job.yaml",
        "cluster/kind.yaml",
        "addons/metrics-server.yaml",
    ):
        assert (MANIFESTS / rel).is_file(), rel


@pytest.mark.parametrize("obj", objects())
def test_every_object_is_schema_valid_for_kubernetes_1_37_strict(obj: dict):
    kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_strict_validation_would_catch_a_misspelt_field():
    bad = by_kind("inference/deployment.yaml", "Deployment")
    bad["spec"]["replica"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


@pytest.mark.parametrize("obj", [p for p in objects() if "inference/" in p.id])
def test_course_manifests_carry_no_namespace(obj: dict):
    assert "namespace" not in obj["metadata"], "kubectl uses the context's namespace, `lab`"


def test_the_inference_deployment_is_what_the_labs_expect():
    dep = by_kind("inference/deployment.yaml", "Deployment")
    assert dep["metadata"]["name"] == "inference-service"
    assert dep["metadata"]["labels"] == {"app": "inference"}
    assert dep["spec"]["replicas"] == 3
    assert dep["spec"]["selector"]["matchLabels"] == {"app": "inference"}
    pod = dep["spec"]["template"]
    assert pod["metadata"]["labels"]["app"] == "inference"
    (container,) = pod["spec"]["containers"]
    assert container["name"] == "model-server"
    assert container["image"] == "kubelab/inference:2.4.0"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert [p["containerPort"] for p in container["ports"]] == [8080]
    assert {"name": "MODEL_PATH", "value": "models/iris-logreg.json"} in container["env"]
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    }
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert probe not in container, "lab 05 adds the probes"


def test_service_hpa_pdb_and_job_point_at_the_inference_service():
    svc = by_kind("inference/service.yaml", "Service")
    assert svc["metadata"]["name"] == "inference-service"
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["selector"] == {"app": "inference"}
    assert [p["port"] for p in svc["spec"]["ports"]] == [8080]

    hpa = by_kind("inference/hpa.yaml", "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == "inference-service"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70

    pdb = by_kind("inference/pdb.yaml", "PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"] == {"minAvailable": 2, "selector": {"matchLabels": {"app": "inference"}}}

    job = by_kind("inference/loadgen-job.yaml", "Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "kubelab/inference:2.4.0"
    assert container["command"] == [
        "python3", "-m", "inference.loadgen", "http://inference-service:8080",
        "--rps", "25", "--seconds", "120",
    ]  # fmt: skip


def test_metrics_server_runs_with_kubelet_insecure_tls():
    dep = by_kind("addons/metrics-server.yaml", "Deployment")
    (container,) = dep["spec"]["template"]["spec"]["containers"]
    assert "--kubelet-insecure-tls" in container["args"]
    assert container["image"].startswith("registry.k8s.io/metrics-server/metrics-server:v0.8.")
    kinds = {d["kind"] for d in documents(MANIFESTS / "addons" / "metrics-server.yaml")}
    assert {"APIService", "ServiceAccount", "ClusterRole", "Service", "Deployment"} <= kinds
