"""Rows for the workload kinds: Deployment, ReplicaSet, ReplicationController, DaemonSet,
StatefulSet, Job, CronJob, ControllerRevision, HorizontalPodAutoscaler, PodDisruptionBudget.

Each function ports the printers.go handler of the same kind and returns every cell,
wide ones included (the server always prints wide; kubectl hides priority-1 columns).
Counts are Go int64s and stay ints here; fields the API server defaults (`replicas: 1`,
`suspend: false`, `minReplicas: 1`) are read with those defaults so a sparse object
prints as the defaulted one would.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubesim.apiserver.printers.format import (
    NONE,
    UNSET,
    bool_ptr,
    containers_cells,
    dig,
    format_label_selector,
    format_labels,
    int_or_string,
    items,
    mapping,
    selector_string,
)
from kubesim.core.durations import between, parse_time, since
from kubesim.core.quantity_print import canonical

Row = list[Any]


def _name(obj: dict[str, Any]) -> str:
    return str(dig(obj, "metadata", "name", default=""))


def _age(obj: dict[str, Any], now: datetime) -> str:
    return since(dig(obj, "metadata", "creationTimestamp"), now=now)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _template_containers(obj: dict[str, Any], *path: str) -> tuple[str, str]:
    return containers_cells(items(obj, *path, "spec", "containers"))


def scale(obj: dict[str, Any], now: datetime) -> Row:
    """NAME DESIRED AVAILABLE AGE: a scale subresource (printScale)."""
    return [
        _name(obj),
        _int(dig(obj, "spec", "replicas")),
        _int(dig(obj, "status", "replicas")),
        _age(obj, now),
    ]


def deployment(obj: dict[str, Any], now: datetime) -> Row:
    """NAME READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR."""
    desired = _int(dig(obj, "spec", "replicas", default=1))
    names, images = _template_containers(obj, "spec", "template")
    text = selector_string(dig(obj, "spec", "selector"))
    return [
        _name(obj),
        f"{_int(dig(obj, 'status', 'readyReplicas'))}/{desired}",
        _int(dig(obj, "status", "updatedReplicas")),
        _int(dig(obj, "status", "availableReplicas")),
        _age(obj, now),
        names,
        images,
        "<invalid>" if text is None else text,
    ]


def replica_set(obj: dict[str, Any], now: datetime) -> Row:
    """NAME DESIRED CURRENT READY AGE | CONTAINERS IMAGES SELECTOR."""
    return _replicas_row(obj, now, format_label_selector(dig(obj, "spec", "selector")))


def replication_controller(obj: dict[str, Any], now: datetime) -> Row:
    """As ReplicaSet, but the selector is a plain label map."""
    return _replicas_row(obj, now, format_labels(mapping(obj, "spec", "selector")))


def _replicas_row(obj: dict[str, Any], now: datetime, selector: str) -> Row:
    names, images = _template_containers(obj, "spec", "template")
    return [
        _name(obj),
        _int(dig(obj, "spec", "replicas", default=1)),
        _int(dig(obj, "status", "replicas")),
        _int(dig(obj, "status", "readyReplicas")),
        _age(obj, now),
        names,
        images,
        selector,
    ]


def daemon_set(obj: dict[str, Any], now: datetime) -> Row:
    """NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE | ..."""
    names, images = _template_containers(obj, "spec", "template")
    return [
        _name(obj),
        _int(dig(obj, "status", "desiredNumberScheduled")),
        _int(dig(obj, "status", "currentNumberScheduled")),
        _int(dig(obj, "status", "numberReady")),
        _int(dig(obj, "status", "updatedNumberScheduled")),
        _int(dig(obj, "status", "numberAvailable")),
        format_labels(mapping(obj, "spec", "template", "spec", "nodeSelector")),
        _age(obj, now),
        names,
        images,
        format_label_selector(dig(obj, "spec", "selector")),
    ]


def stateful_set(obj: dict[str, Any], now: datetime) -> Row:
    """NAME READY AGE | CONTAINERS IMAGES."""
    names, images = _template_containers(obj, "spec", "template")
    desired = _int(dig(obj, "spec", "replicas", default=1))
    return [
        _name(obj),
        f"{_int(dig(obj, 'status', 'readyReplicas'))}/{desired}",
        _age(obj, now),
        names,
        images,
    ]


def _job_condition(obj: dict[str, Any], kind: str) -> bool:
    for condition in items(obj, "status", "conditions"):
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition.get("status") == "True"
    return False


def _job_status(obj: dict[str, Any]) -> str:
    if _job_condition(obj, "Complete"):
        return "Complete"
    if _job_condition(obj, "Failed"):
        return "Failed"
    if dig(obj, "metadata", "deletionTimestamp") is not None:
        return "Terminating"
    if _job_condition(obj, "Suspended"):
        return "Suspended"
    if _job_condition(obj, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def job(obj: dict[str, Any], now: datetime) -> Row:
    """NAME STATUS COMPLETIONS DURATION AGE | CONTAINERS IMAGES SELECTOR."""
    succeeded = _int(dig(obj, "status", "succeeded"))
    completions = dig(obj, "spec", "completions")
    parallelism = dig(obj, "spec", "parallelism")
    if completions is None and parallelism is None:
        completions = 1  # API defaulting: neither set means one pod, one completion
    if completions is not None:
        done = f"{succeeded}/{_int(completions)}"
    elif _int(parallelism) > 1:
        done = f"{succeeded}/1 of {_int(parallelism)}"
    else:
        done = f"{succeeded}/1"
    start = dig(obj, "status", "startTime")
    finish = dig(obj, "status", "completionTime")
    if parse_time(start) is None:
        duration = ""
    elif parse_time(finish) is None:
        duration = since(start, now=now)
    else:
        duration = between(start, finish)
    names, images = _template_containers(obj, "spec", "template")
    return [
        _name(obj),
        _job_status(obj),
        done,
        duration,
        _age(obj, now),
        names,
        images,
        format_label_selector(dig(obj, "spec", "selector")),
    ]


def cron_job(obj: dict[str, Any], now: datetime) -> Row:
    """NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE | ..."""
    last = dig(obj, "status", "lastScheduleTime")
    template = ("spec", "jobTemplate", "spec", "template")
    names, images = _template_containers(obj, *template)
    return [
        _name(obj),
        str(dig(obj, "spec", "schedule", default="")),
        str(dig(obj, "spec", "timeZone", default=NONE)),
        bool_ptr(dig(obj, "spec", "suspend", default=False)),
        len(items(obj, "status", "active")),
        NONE if last is None else since(last, now=now),
        _age(obj, now),
        names,
        images,
        format_label_selector(dig(obj, "spec", "jobTemplate", "spec", "selector")),
    ]


def controller_revision(obj: dict[str, Any], now: datetime) -> Row:
    """NAME CONTROLLER REVISION AGE; the controller as `statefulset.apps/web`."""
    controller = NONE
    for ref in items(obj, "metadata", "ownerReferences"):
        if isinstance(ref, dict) and ref.get("controller"):
            api_version = str(ref.get("apiVersion", ""))
            group = api_version.split("/", 1)[0] if "/" in api_version else ""
            kind = str(ref.get("kind", ""))
            group_kind = f"{kind}.{group}" if group else kind
            name = str(ref.get("name", ""))
            controller = f"{group_kind.lower()}/{name}" if group_kind else name
            break
    return [_name(obj), controller, _int(obj.get("revision")), _age(obj, now)]


def pod_disruption_budget(obj: dict[str, Any], now: datetime) -> Row:
    """NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE."""
    min_available = dig(obj, "spec", "minAvailable")
    max_unavailable = dig(obj, "spec", "maxUnavailable")
    return [
        _name(obj),
        "N/A" if min_available is None else int_or_string(min_available),
        "N/A" if max_unavailable is None else int_or_string(max_unavailable),
        _int(dig(obj, "status", "disruptionsAllowed")),
        _age(obj, now),
    ]


def _v1_hpa_metrics(obj: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """autoscaling/v1 fields as the internal (v2-shaped) object the printer reads.

    The v1 conversion turns `targetCPUUtilizationPercentage` into one cpu Resource metric
    (80% when unset, the HPA's default policy) and the current percentage into its status.
    """
    target = dig(obj, "spec", "targetCPUUtilizationPercentage", default=80)
    specs = [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": target},
            },
        }
    ]
    current = dig(obj, "status", "currentCPUUtilizationPercentage")
    statuses = []
    if current is not None:
        statuses = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "current": {"averageUtilization": current}},
            }
        ]
    return specs, statuses


def _q(value: Any) -> str:
    """`(*Quantity).String()`: Go prints a nil pointer as `<nil>`."""
    return "<nil>" if value is None else canonical(value)


def _metric_text(spec: dict[str, Any], status: dict[str, Any] | None) -> str:
    """One entry of TARGETS; `status` is the currentMetrics entry at the same index."""
    kind = spec.get("type")
    key = {
        "External": "external",
        "Object": "object",
        "Pods": "pods",
        "Resource": "resource",
        "ContainerResource": "containerResource",
    }.get(str(kind))
    if key is None:
        return "<unknown type>"
    target = mapping(spec, key, "target")
    block = dig(status, key) if status else None
    current = mapping(block, "current") if isinstance(block, dict) else None
    if key in ("external", "object"):
        if target.get("averageValue") is not None:
            now = "<unknown>"
            if current is not None and current.get("averageValue") is not None:
                now = canonical(current["averageValue"])
            return f"{now}/{canonical(target['averageValue'])} (avg)"
        now = "<unknown>" if current is None else _q(current.get("value"))
        return f"{now}/{_q(target.get('value'))}"
    if key == "pods":
        now = "<unknown>" if current is None else _q(current.get("averageValue"))
        return f"{now}/{_q(target.get('averageValue'))}"
    name = str(dig(spec, key, "name", default=""))
    if target.get("averageValue") is not None:
        now = "<unknown>" if current is None else _q(current.get("averageValue"))
        return f"{name}: {now}/{canonical(target['averageValue'])}"
    now = "<unknown>"
    if current is not None and current.get("averageUtilization") is not None:
        now = f"{current['averageUtilization']}%"
    wanted = target.get("averageUtilization")
    return f"{name}: {now}/{'<auto>' if wanted is None else f'{wanted}%'}"


def hpa_targets(specs: list[Any], statuses: list[Any]) -> str:
    """`formatHPAMetrics`: `cpu: 45%/70%`, at most two, then `+ N more...`."""
    if not specs:
        return NONE
    texts = []
    for index, spec in enumerate(specs):
        status = statuses[index] if index < len(statuses) else None
        status = status if isinstance(status, dict) else None
        texts.append(_metric_text(spec if isinstance(spec, dict) else {}, status))
    if len(texts) > 2:
        return f"{', '.join(texts[:2])} + {len(texts) - 2} more..."
    return ", ".join(texts)


def horizontal_pod_autoscaler(obj: dict[str, Any], now: datetime, *, version: str) -> Row:
    """NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE."""
    if version == "v1":
        specs, statuses = _v1_hpa_metrics(obj)
    else:
        specs = items(obj, "spec", "metrics")
        statuses = items(obj, "status", "currentMetrics")
    ref = mapping(obj, "spec", "scaleTargetRef")
    min_replicas = dig(obj, "spec", "minReplicas", default=1)
    return [
        _name(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        hpa_targets(specs, statuses),
        UNSET if min_replicas is None else str(min_replicas),
        _int(dig(obj, "spec", "maxReplicas")),
        _int(dig(obj, "status", "currentReplicas")),
        _age(obj, now),
    ]
