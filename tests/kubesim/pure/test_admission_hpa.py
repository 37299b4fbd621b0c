"""autoscaling/v1 <-> v2: one storage, two views, nothing lost on the way through v1."""

from __future__ import annotations

import json

from kubesim.apiserver.admission import convert, default
from kubesim.apiserver.defaulting.hpa import BEHAVIOR, CONDITIONS, CURRENT_METRICS, METRICS

V2 = ("autoscaling", "v2", "HorizontalPodAutoscaler")


def _v2(**spec: object) -> dict:
    base = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "maxReplicas": 10,
    }
    base.update(spec)
    return default(
        V2,
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": base,
        },
    )


def test_cpu_utilization_reads_back_as_target_cpu_in_v1() -> None:
    v1 = convert(_v2(), "v1")
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 10,
        "targetCPUUtilizationPercentage": 80,
    }
    assert "annotations" not in v1["metadata"]


def test_v1_create_becomes_a_cpu_metric_in_v2() -> None:
    v1 = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "maxReplicas": 4,
            "targetCPUUtilizationPercentage": 50,
        },
    }
    v2 = convert(default(("autoscaling", "v1", "HorizontalPodAutoscaler"), v1), "v2")
    assert v2["spec"]["minReplicas"] == 1
    assert v2["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 50},
            },
        }
    ]


def test_v2_only_fields_travel_in_annotations_and_come_back() -> None:
    memory = {
        "type": "Resource",
        "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}},
    }
    hpa = _v2(
        metrics=[
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 60},
                },
            },
            memory,
        ],
        behavior={"scaleDown": {"stabilizationWindowSeconds": 30}},
    )
    hpa["status"] = {
        "currentReplicas": 2,
        "desiredReplicas": 2,
        "currentMetrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": 12, "averageValue": "6m"},
                },
            }
        ],
        "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"}],
    }
    v1 = convert(hpa, "v1")
    notes = v1["metadata"]["annotations"]
    assert json.loads(notes[METRICS]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}
    ]
    assert json.loads(notes[BEHAVIOR])["ScaleDown"]["StabilizationWindowSeconds"] == 30
    assert json.loads(notes[CONDITIONS])[0]["reason"] == "ReadyForNewScale"
    assert json.loads(notes[CURRENT_METRICS])[0]["resource"]["currentAverageUtilization"] == 12
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 60
    assert v1["status"]["currentCPUUtilizationPercentage"] == 12
    back = convert(v1, "v2")
    assert back["spec"]["metrics"] == hpa["spec"]["metrics"]
    assert back["spec"]["behavior"] == hpa["spec"]["behavior"]
    assert back["status"]["conditions"] == hpa["status"]["conditions"]
    assert back["status"]["currentMetrics"] == hpa["status"]["currentMetrics"]
    assert "annotations" not in back["metadata"]


def test_same_version_conversion_is_a_copy() -> None:
    hpa = _v2()
    out = convert(hpa, "v2")
    assert out == hpa and out is not hpa
