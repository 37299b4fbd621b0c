"""HorizontalPodAutoscaler: v2 and v1 defaults, and the v1 <-> v2 conversion.

Both versions are served from one storage (v2), as on a real cluster. Reading through v1
keeps only what v1 can say (`targetCPUUtilizationPercentage`); the rest travels in the
round-trip annotations the real conversion writes (pkg/apis/autoscaling/v1/conversion.go):
  autoscaling.alpha.kubernetes.io/metrics          other metrics, v1 (v2beta1-shaped) JSON
  autoscaling.alpha.kubernetes.io/current-metrics  status.currentMetrics, same shape
  autoscaling.alpha.kubernetes.io/behavior         spec.behavior, Go field names (the
                                                   server marshals its internal type)
  autoscaling.alpha.kubernetes.io/conditions       status.conditions
so a read-modify-write through v1 loses nothing.
"""

from __future__ import annotations

import json
from typing import Any

from kubesim.core.objects import deepcopy

Obj = dict[str, Any]

METRICS = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics"
BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior"
CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
_ROUND_TRIP = (METRICS, CURRENT_METRICS, BEHAVIOR, CONDITIONS)
DEFAULT_CPU_UTILIZATION = 80

_SCALE_UP = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN = {
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _cpu_metric(utilization: int) -> Obj:
    return {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": utilization},
        },
    }


def _rules(given: Any, default: Obj) -> Obj:
    rules = deepcopy(default)
    if isinstance(given, dict):
        for key in ("selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"):
            if given.get(key) is not None:
                rules[key] = given[key]
    return rules


def default_hpa_v2(obj: Obj) -> None:
    """SetDefaults_HorizontalPodAutoscaler (v2): behavior only when the user gave one."""
    spec = obj.setdefault("spec", {})
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [_cpu_metric(DEFAULT_CPU_UTILIZATION)]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _rules(behavior.get("scaleUp"), _SCALE_UP)
        behavior["scaleDown"] = _rules(behavior.get("scaleDown"), _SCALE_DOWN)


def default_hpa_v1(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1


# --- metric shapes: v2 <-> v1 annotation (v2beta1-like) ---------------------------------


def _target_to_v1(target: Obj, *, value_key: str, average_key: str) -> Obj:
    out: Obj = {}
    if target.get("averageUtilization") is not None:
        out["targetAverageUtilization"] = target["averageUtilization"]
    if target.get("averageValue") is not None:
        out[average_key] = target["averageValue"]
    if target.get("value") is not None:
        out[value_key] = target["value"]
    return out


def _metric_to_v1(metric: Obj) -> Obj:
    kind = metric.get("type")
    if kind == "Resource":
        src = metric.get("resource") or {}
        body = {"name": src.get("name")}
        body.update(
            _target_to_v1(src.get("target") or {}, value_key="", average_key="targetAverageValue")
        )
        body.pop("", None)
        return {"type": kind, "resource": body}
    if kind == "ContainerResource":
        src = metric.get("containerResource") or {}
        body = {"name": src.get("name"), "container": src.get("container")}
        body.update(
            _target_to_v1(src.get("target") or {}, value_key="", average_key="targetAverageValue")
        )
        body.pop("", None)
        return {"type": kind, "containerResource": body}
    if kind == "Pods":
        src = metric.get("pods") or {}
        ident = src.get("metric") or {}
        body = {"metricName": ident.get("name")}
        if ident.get("selector") is not None:
            body["selector"] = ident["selector"]
        body["targetAverageValue"] = (src.get("target") or {}).get("averageValue")
        return {"type": kind, "pods": body}
    if kind == "Object":
        src = metric.get("object") or {}
        ident = src.get("metric") or {}
        target = src.get("target") or {}
        body = {"target": src.get("describedObject"), "metricName": ident.get("name")}
        body["targetValue"] = target.get("value")
        if ident.get("selector") is not None:
            body["selector"] = ident["selector"]
        if target.get("averageValue") is not None:
            body["averageValue"] = target["averageValue"]
        return {"type": kind, "object": body}
    if kind == "External":
        src = metric.get("external") or {}
        ident = src.get("metric") or {}
        body = {"metricName": ident.get("name")}
        if ident.get("selector") is not None:
            body["metricSelector"] = ident["selector"]
        body.update(
            _target_to_v1(
                src.get("target") or {}, value_key="targetValue", average_key="targetAverageValue"
            )
        )
        return {"type": kind, "external": body}
    return deepcopy(metric)


def _target_from_v1(src: Obj, *, value_key: str, average_key: str) -> Obj:
    if src.get("targetAverageUtilization") is not None:
        return {"type": "Utilization", "averageUtilization": src["targetAverageUtilization"]}
    if src.get(average_key) is not None:
        return {"type": "AverageValue", "averageValue": src[average_key]}
    return {"type": "Value", "value": src.get(value_key)}


def _metric_from_v1(metric: Obj) -> Obj:
    kind = metric.get("type")
    if kind == "Resource":
        src = metric.get("resource") or {}
        target = _target_from_v1(src, value_key="", average_key="targetAverageValue")
        return {"type": kind, "resource": {"name": src.get("name"), "target": target}}
    if kind == "ContainerResource":
        src = metric.get("containerResource") or {}
        target = _target_from_v1(src, value_key="", average_key="targetAverageValue")
        body = {"name": src.get("name"), "container": src.get("container"), "target": target}
        return {"type": kind, "containerResource": body}
    if kind == "Pods":
        src = metric.get("pods") or {}
        ident = {"name": src.get("metricName")}
        if src.get("selector") is not None:
            ident["selector"] = src["selector"]
        target = {"type": "AverageValue", "averageValue": src.get("targetAverageValue")}
        return {"type": kind, "pods": {"metric": ident, "target": target}}
    if kind == "Object":
        src = metric.get("object") or {}
        ident = {"name": src.get("metricName")}
        if src.get("selector") is not None:
            ident["selector"] = src["selector"]
        if src.get("averageValue") is not None:
            target = {"type": "AverageValue", "averageValue": src["averageValue"]}
        else:
            target = {"type": "Value", "value": src.get("targetValue")}
        body = {"describedObject": src.get("target"), "metric": ident, "target": target}
        return {"type": kind, "object": body}
    if kind == "External":
        src = metric.get("external") or {}
        ident = {"name": src.get("metricName")}
        if src.get("metricSelector") is not None:
            ident["selector"] = src["metricSelector"]
        target = _target_from_v1(src, value_key="targetValue", average_key="targetAverageValue")
        return {"type": kind, "external": {"metric": ident, "target": target}}
    return deepcopy(metric)


def _status_to_v1(metric: Obj) -> Obj:
    kind = metric.get("type")
    key = {"Resource": "resource", "ContainerResource": "containerResource"}.get(kind or "")
    if key:
        src = metric.get(key) or {}
        current = src.get("current") or {}
        body = {"name": src.get("name")}
        if key == "containerResource":
            body["container"] = src.get("container")
        if current.get("averageUtilization") is not None:
            body["currentAverageUtilization"] = current["averageUtilization"]
        body["currentAverageValue"] = current.get("averageValue") or "0"
        return {"type": kind, key: body}
    return deepcopy(metric)


def _status_from_v1(metric: Obj) -> Obj:
    kind = metric.get("type")
    key = {"Resource": "resource", "ContainerResource": "containerResource"}.get(kind or "")
    if key:
        src = metric.get(key) or {}
        current: Obj = {"averageValue": src.get("currentAverageValue", "0")}
        if src.get("currentAverageUtilization") is not None:
            current["averageUtilization"] = src["currentAverageUtilization"]
        body = {"name": src.get("name"), "current": current}
        if key == "containerResource":
            body["container"] = src.get("container")
        return {"type": kind, key: body}
    return deepcopy(metric)


# --- behavior: the annotation holds Go field names --------------------------------------

_GO_NAMES = {
    "scaleUp": "ScaleUp",
    "scaleDown": "ScaleDown",
    "stabilizationWindowSeconds": "StabilizationWindowSeconds",
    "selectPolicy": "SelectPolicy",
    "policies": "Policies",
    "tolerance": "Tolerance",
    "type": "Type",
    "value": "Value",
    "periodSeconds": "PeriodSeconds",
}
_JSON_NAMES = {v: k for k, v in _GO_NAMES.items()}


def _rename(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {names.get(k, k): _rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    return value


def _behavior_to_go(behavior: Obj) -> Obj:
    go: Obj = {}
    for direction in ("scaleUp", "scaleDown"):
        rules = behavior.get(direction)
        if rules is None:
            go[_GO_NAMES[direction]] = None
            continue
        go[_GO_NAMES[direction]] = {
            "StabilizationWindowSeconds": rules.get("stabilizationWindowSeconds"),
            "SelectPolicy": rules.get("selectPolicy"),
            "Policies": _rename(rules.get("policies"), _GO_NAMES),
        }
        if rules.get("tolerance") is not None:
            go[_GO_NAMES[direction]]["Tolerance"] = rules["tolerance"]
    return go


def _behavior_from_go(go: Obj) -> Obj:
    plain = _rename(go, _JSON_NAMES)
    return {
        d: {k: v for k, v in rules.items() if v is not None}
        for d, rules in plain.items()
        if isinstance(rules, dict)
    }


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# --- conversion -------------------------------------------------------------------------


def convert(obj: Obj, to_version: str) -> Obj:
    """An HPA in `autoscaling/<to_version>` ("v1" or "v2"), from either version."""
    have = (obj.get("apiVersion") or "autoscaling/v2").split("/")[-1]
    if have == to_version:
        return deepcopy(obj)
    if to_version == "v1":
        return _v2_to_v1(obj)
    if to_version == "v2":
        return _v1_to_v2(obj)
    raise ValueError(f"autoscaling/{to_version} is not a served HorizontalPodAutoscaler version")


def _v2_to_v1(obj: Obj) -> Obj:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    meta = deepcopy(obj.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _ROUND_TRIP}
    out_spec: Obj = {"scaleTargetRef": deepcopy(spec.get("scaleTargetRef"))}
    if spec.get("minReplicas") is not None:
        out_spec["minReplicas"] = spec["minReplicas"]
    out_spec["maxReplicas"] = spec.get("maxReplicas")
    others = []
    for metric in spec.get("metrics") or []:
        resource = metric.get("resource") or {}
        target = resource.get("target") or {}
        is_cpu = metric.get("type") == "Resource" and resource.get("name") == "cpu"
        if is_cpu and target.get("averageUtilization") is not None:
            out_spec.setdefault("targetCPUUtilizationPercentage", target["averageUtilization"])
            continue
        others.append(_metric_to_v1(metric))
    if others:
        annotations[METRICS] = _dump(others)
    current = status.get("currentMetrics") or []
    if current:
        annotations[CURRENT_METRICS] = _dump([_status_to_v1(m) for m in current])
    if spec.get("behavior") is not None:
        annotations[BEHAVIOR] = _dump(_behavior_to_go(spec["behavior"]))
    if status.get("conditions"):
        annotations[CONDITIONS] = _dump(status["conditions"])
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out_status: Obj = {}
    for key in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"):
        if key in status:
            out_status[key] = status[key]
        elif key in ("currentReplicas", "desiredReplicas"):
            out_status[key] = 0  # v1's are not omitempty: a new HPA reads 0 and 0
    for metric in current:
        resource = metric.get("resource") or {}
        utilization = (resource.get("current") or {}).get("averageUtilization")
        if (
            metric.get("type") == "Resource"
            and resource.get("name") == "cpu"
            and utilization is not None
        ):
            out_status["currentCPUUtilizationPercentage"] = utilization
    out: Obj = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": meta}
    out["spec"] = out_spec
    if "status" in obj:
        out["status"] = out_status
    return out


def _v1_to_v2(obj: Obj) -> Obj:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    meta = deepcopy(obj.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    out_spec: Obj = {"scaleTargetRef": deepcopy(spec.get("scaleTargetRef"))}
    if spec.get("minReplicas") is not None:
        out_spec["minReplicas"] = spec["minReplicas"]
    out_spec["maxReplicas"] = spec.get("maxReplicas")
    metrics = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics.append(_cpu_metric(spec["targetCPUUtilizationPercentage"]))
    if METRICS in annotations:
        metrics.extend(_metric_from_v1(m) for m in json.loads(annotations[METRICS]))
    if not metrics:
        metrics.append(_cpu_metric(DEFAULT_CPU_UTILIZATION))
    out_spec["metrics"] = metrics
    if BEHAVIOR in annotations:
        out_spec["behavior"] = _behavior_from_go(json.loads(annotations[BEHAVIOR]))
    out_status: Obj = {}
    for key in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"):
        if key in status:
            out_status[key] = status[key]
    if CURRENT_METRICS in annotations:
        out_status["currentMetrics"] = [
            _status_from_v1(m) for m in json.loads(annotations[CURRENT_METRICS])
        ]
    elif status.get("currentCPUUtilizationPercentage") is not None:
        out_status["currentMetrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]},
                },
            }
        ]
    if CONDITIONS in annotations:
        out_status["conditions"] = json.loads(annotations[CONDITIONS])
    for key in _ROUND_TRIP:
        annotations.pop(key, None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out: Obj = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta}
    out["spec"] = out_spec
    if "status" in obj or out_status:
        out["status"] = out_status
    return out
