"""The Pod row: READY, STATUS, RESTARTS, AGE and the wide columns, as `printPod` decides them.

STATUS is the interesting one, and learners read it to diagnose every fault the course
injects, so it follows printers.go step by step: the phase (or `status.reason`), then
`SchedulingGated`, then the first init container that has not finished (`Init:0/2`,
`Init:CrashLoopBackOff`, `Init:Error`, `Init:ExitCode:1`), then, once initialised, the
last app container with a waiting or terminated reason (`ContainerCreating`,
`CrashLoopBackOff`, `ImagePullBackOff`, `OOMKilled`, `Completed`, `Error`), `NotReady`
for a pod with a finished and a running container and no Ready condition, and finally
`Terminating` (or `Unknown` for a pod on a lost node) when it is being deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubesim.apiserver.printers.format import NONE, dig, items
from kubesim.core.durations import parse_time, since

_NODE_LOST = "NodeLost"
_TERMINAL = ("Succeeded", "Failed")

SUCCEEDED_CONDITIONS = [
    {
        "type": "Completed",
        "status": "True",
        "reason": "Succeeded",
        "message": "The pod has completed successfully.",
    }
]
FAILED_CONDITIONS = [
    {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}
]


def _is_restartable(container: dict[str, Any] | None) -> bool:
    """`podutil.IsRestartableInitContainer`: a sidecar (`restartPolicy: Always`)."""
    return bool(container) and dig(container, "restartPolicy") == "Always"


def _condition_true(pod: dict[str, Any], kind: str) -> bool:
    for condition in items(pod, "status", "conditions"):
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition.get("status") == "True"
    return False


def _has_ready_condition(pod: dict[str, Any]) -> bool:
    return any(
        isinstance(c, dict) and c.get("type") == "Ready" and c.get("status") == "True"
        for c in items(pod, "status", "conditions")
    )


def _finished_at(status: dict[str, Any]) -> datetime | None:
    return parse_time(dig(status, "lastState", "terminated", "finishedAt"))


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if candidate is None:
        return current
    if current is None or current < candidate:
        return candidate
    return current


def _terminated_reason(terminated: dict[str, Any], prefix: str) -> str:
    if terminated.get("reason"):
        return prefix + str(terminated["reason"])
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def pod_status(pod: dict[str, Any]) -> tuple[str, int, int, int, datetime | None]:
    """(STATUS reason, ready containers, total containers, restarts, last restart time)."""
    phase = str(dig(pod, "status", "phase", default=""))
    reason = str(dig(pod, "status", "reason", default="")) or phase
    for condition in items(pod, "status", "conditions"):
        if (
            isinstance(condition, dict)
            and condition.get("type") == "PodScheduled"
            and condition.get("reason") == "SchedulingGated"
        ):
            reason = "SchedulingGated"

    init_specs = [c for c in items(pod, "spec", "initContainers") if isinstance(c, dict)]
    by_name = {str(c.get("name")): c for c in init_specs}
    total = len(items(pod, "spec", "containers")) + sum(1 for c in init_specs if _is_restartable(c))
    ready = restarts = sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None

    initializing = False
    for index, status in enumerate(items(pod, "status", "initContainerStatuses")):
        if not isinstance(status, dict):
            continue
        count = int(status.get("restartCount") or 0)
        restarts += count
        last_restart = _later(last_restart, _finished_at(status))
        sidecar = _is_restartable(by_name.get(str(status.get("name"))))
        if sidecar:
            sidecar_restarts += count
            last_sidecar_restart = _later(last_sidecar_restart, _finished_at(status))
        terminated = dig(status, "state", "terminated")
        waiting_reason = dig(status, "state", "waiting", "reason", default="")
        if isinstance(terminated, dict) and int(terminated.get("exitCode") or 0) == 0:
            continue
        if sidecar and status.get("started"):
            if status.get("ready"):
                ready += 1
            continue
        if isinstance(terminated, dict):
            reason = _terminated_reason(terminated, "Init:")
        elif waiting_reason and waiting_reason != "PodInitializing":
            reason = f"Init:{waiting_reason}"
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(pod, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for status in reversed(items(pod, "status", "containerStatuses")):
            if not isinstance(status, dict):
                continue
            restarts += int(status.get("restartCount") or 0)
            last_restart = _later(last_restart, _finished_at(status))
            waiting = dig(status, "state", "waiting")
            terminated = dig(status, "state", "terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(terminated, dict):
                reason = _terminated_reason(terminated, "")
            elif status.get("ready") and isinstance(dig(status, "state", "running"), dict):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_ready_condition(pod) else "NotReady"

    deleting = dig(pod, "metadata", "deletionTimestamp") is not None
    if deleting and dig(pod, "status", "reason") == _NODE_LOST:
        reason = "Unknown"
    elif deleting and phase not in _TERMINAL:
        reason = "Terminating"
    return reason, ready, total, restarts, last_restart


def restarts_cell(restarts: int, last_restart: datetime | None, *, now: datetime) -> str:
    """`4` or, once a container has restarted, `4 (12s ago)`."""
    if restarts and last_restart is not None:
        return f"{restarts} ({since(last_restart.isoformat(), now=now)} ago)"
    return str(restarts)


def _readiness_gates(pod: dict[str, Any]) -> str:
    gates = [g for g in items(pod, "spec", "readinessGates") if isinstance(g, dict)]
    if not gates:
        return NONE
    conditions = [c for c in items(pod, "status", "conditions") if isinstance(c, dict)]
    true = 0
    for gate in gates:
        for condition in conditions:
            if condition.get("type") == gate.get("conditionType"):
                true += condition.get("status") == "True"
                break
    return f"{true}/{len(gates)}"


def pod_row(pod: dict[str, Any], *, now: datetime) -> tuple[list[Any], list[dict[str, Any]]]:
    """Cells (wide included, as the server always sends them) and row conditions."""
    reason, ready, total, restarts, last_restart = pod_status(pod)
    ips = [p for p in items(pod, "status", "podIPs") if isinstance(p, dict)]
    pod_ip = str(ips[0].get("ip", "")) if ips else str(dig(pod, "status", "podIP", default=""))
    cells: list[Any] = [
        dig(pod, "metadata", "name", default=""),
        f"{ready}/{total}",
        reason,
        restarts_cell(restarts, last_restart, now=now),
        since(dig(pod, "metadata", "creationTimestamp"), now=now),
        pod_ip or NONE,
        dig(pod, "spec", "nodeName", default="") or NONE,
        dig(pod, "status", "nominatedNodeName", default="") or NONE,
        _readiness_gates(pod),
    ]
    phase = dig(pod, "status", "phase")
    conditions = (
        SUCCEEDED_CONDITIONS
        if phase == "Succeeded"
        else FAILED_CONDITIONS
        if phase == "Failed"
        else []
    )
    return cells, [dict(c) for c in conditions]
