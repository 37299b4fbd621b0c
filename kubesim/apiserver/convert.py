"""Conversions between versions and views that share one stored object.

kube-apiserver stores one Event and serves it as core/v1 and events.k8s.io/v1, and one
HorizontalPodAutoscaler served as autoscaling/v2 and autoscaling/v1. kubesim stores the
core/v1 Event and the autoscaling/v2 HPA and converts at the edge. Pure functions.
"""

from __future__ import annotations

from typing import Any

from kubesim.core.objects import deepcopy

Obj = dict[str, Any]

_CORE_TO_EVENTS = {
    "involvedObject": "regarding",
    "message": "note",
    "reportingComponent": "reportingController",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
}
_EVENTS_TO_CORE = {v: k for k, v in _CORE_TO_EVENTS.items()}


def event_to_events_v1(obj: Obj) -> Obj:
    out = {
        _CORE_TO_EVENTS.get(k, k): deepcopy(v)
        for k, v in obj.items()
        if k not in ("kind", "apiVersion")
    }
    series = out.get("series")
    if series and "lastObservedTime" in series:
        out["series"] = {
            "count": series.get("count", 0),
            "lastObservedTime": series["lastObservedTime"],
        }
    return {"kind": "Event", "apiVersion": "events.k8s.io/v1", **out}


def event_from_events_v1(obj: Obj) -> Obj:
    out = {
        _EVENTS_TO_CORE.get(k, k): deepcopy(v)
        for k, v in obj.items()
        if k not in ("kind", "apiVersion")
    }
    return {"kind": "Event", "apiVersion": "v1", **out}


def hpa_v2_to_v1(obj: Obj) -> Obj:
    out = deepcopy(obj)
    out["apiVersion"] = "autoscaling/v1"
    spec = out.get("spec", {})
    metrics = spec.pop("metrics", None) or []
    spec.pop("behavior", None)
    for metric in metrics:
        if metric.get("type") == "Resource" and metric["resource"].get("name") == "cpu":
            target = metric["resource"].get("target", {})
            if "averageUtilization" in target:
                spec["targetCPUUtilizationPercentage"] = target["averageUtilization"]
    status = out.get("status")
    if isinstance(status, dict):
        for metric in status.pop("currentMetrics", None) or []:
            if metric.get("type") == "Resource" and metric["resource"].get("name") == "cpu":
                current = metric["resource"].get("current", {})
                if "averageUtilization" in current:
                    status["currentCPUUtilizationPercentage"] = current["averageUtilization"]
        status.pop("conditions", None)
        # v1's replica counts are not omitempty: a new HPA reads 0 and 0, as on a real server
        status.setdefault("currentReplicas", 0)
        status.setdefault("desiredReplicas", 0)
    return out


def hpa_v1_to_v2(obj: Obj) -> Obj:
    out = deepcopy(obj)
    out["apiVersion"] = "autoscaling/v2"
    spec = out.setdefault("spec", {})
    cpu = spec.pop("targetCPUUtilizationPercentage", None)
    if cpu is not None:
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": cpu},
                },
            }
        ]
    status = out.get("status")
    if isinstance(status, dict):
        current = status.pop("currentCPUUtilizationPercentage", None)
        if current is not None:
            status["currentMetrics"] = [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "current": {"averageUtilization": current}},
                }
            ]
    return out


def to_view(group: str, version: str, kind: str, stored: Obj) -> Obj:
    """The stored object as the requested group/version sees it (shared by reference if same)."""
    if kind == "Event" and group == "events.k8s.io":
        return event_to_events_v1(stored)
    if kind == "HorizontalPodAutoscaler" and version == "v1":
        return hpa_v2_to_v1(stored)
    return stored


def from_view(group: str, version: str, kind: str, obj: Obj) -> Obj:
    """A written object converted to its storage version."""
    if kind == "Event" and group == "events.k8s.io":
        return event_from_events_v1(obj)
    if kind == "HorizontalPodAutoscaler" and version == "v1":
        return hpa_v1_to_v2(obj)
    return obj


def needs_conversion(group: str, version: str, kind: str) -> bool:
    return (kind == "Event" and group == "events.k8s.io") or (
        kind == "HorizontalPodAutoscaler" and version == "v1"
    )
