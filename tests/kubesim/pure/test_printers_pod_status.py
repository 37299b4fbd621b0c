"""Pod STATUS, READY and RESTARTS follow `printPod`'s reasoning, case by case.

Cases mirror the ones printers_test.go pins, plus the ones the course's faults produce
(image pull failures, crash loops, OOM kills, deletions, lost nodes, init containers).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kubesim.apiserver.printers.pod import pod_row, pod_status

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
TEN_SECONDS_AGO = "2026-11-24T11:59:50Z"


def running(ready: bool = True, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {"ready": ready, "restartCount": restarts, "state": {"running": {}}, **extra}


def waiting(reason: str = "", restarts: int = 0, **extra: Any) -> dict[str, Any]:
    state = {"waiting": {"reason": reason} if reason else {}}
    return {"ready": False, "restartCount": restarts, "state": state, **extra}


def terminated(
    reason: str = "", code: int = 0, signal: int = 0, restarts: int = 0, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"exitCode": code}
    if reason:
        body["reason"] = reason
    if signal:
        body["signal"] = signal
    return {"ready": False, "restartCount": restarts, "state": {"terminated": body}, **extra}


def restarted_at(when: str) -> dict[str, Any]:
    return {"lastState": {"terminated": {"exitCode": 1, "finishedAt": when}}}


def pod(
    *,
    containers: int = 1,
    init: list[dict[str, Any]] | None = None,
    phase: str = "Running",
    statuses: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    reason: str = "",
    deleting: bool = False,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": "p", "creationTimestamp": "2026-11-24T11:00:00Z"},
        "spec": {
            "containers": [{"name": f"c{i}"} for i in range(containers)],
            "initContainers": init or [],
        },
        "status": {
            "phase": phase,
            "containerStatuses": statuses or [],
            "initContainerStatuses": init_statuses or [],
            "conditions": conditions or [],
        },
    }
    if reason:
        obj["status"]["reason"] = reason
    if deleting:
        obj["metadata"]["deletionTimestamp"] = "2026-11-24T11:59:50Z"
    return obj


READY = [{"type": "Ready", "status": "True"}]
INITIALIZED = [{"type": "Initialized", "status": "True"}]
SIDECAR = {"name": "proxy", "restartPolicy": "Always"}


@pytest.mark.parametrize(
    "obj, status, ready",
    [
        pytest.param(
            pod(
                containers=2, phase="podPhase", statuses=[running(restarts=3), {"restartCount": 3}]
            ),
            "podPhase",
            "1/2",
            id="phase-when-nothing-to-say",
        ),
        pytest.param(
            pod(containers=2, phase="Running", reason="Evicted", statuses=[running()]),
            "Evicted",
            "1/2",
            id="status-reason-over-phase",
        ),
        pytest.param(
            pod(phase="Pending", statuses=[waiting("ContainerCreating")]),
            "ContainerCreating",
            "0/1",
            id="container-creating",
        ),
        pytest.param(
            pod(phase="Pending", statuses=[waiting("ErrImagePull")]),
            "ErrImagePull",
            "0/1",
            id="err-image-pull",
        ),
        pytest.param(
            pod(phase="Pending", statuses=[waiting("ImagePullBackOff")]),
            "ImagePullBackOff",
            "0/1",
            id="image-pull-back-off",
        ),
        pytest.param(
            pod(statuses=[waiting("CrashLoopBackOff", restarts=5)]),
            "CrashLoopBackOff",
            "0/1",
            id="crash-loop",
        ),
        pytest.param(
            pod(statuses=[terminated("OOMKilled", code=137)]),
            "OOMKilled",
            "0/1",
            id="oom-killed",
        ),
        pytest.param(
            pod(phase="Failed", statuses=[terminated("Error", code=1)]),
            "Error",
            "0/1",
            id="error",
        ),
        pytest.param(
            pod(phase="Succeeded", statuses=[terminated("Completed")]),
            "Completed",
            "0/1",
            id="completed",
        ),
        pytest.param(
            pod(statuses=[terminated(code=137)]),
            "ExitCode:137",
            "0/1",
            id="exit-code-without-reason",
        ),
        pytest.param(
            pod(statuses=[terminated(code=0, signal=9)]),
            "Signal:9",
            "0/1",
            id="signal-without-reason",
        ),
        pytest.param(
            pod(containers=2, statuses=[waiting("Waiting1"), terminated("Terminated2")]),
            "Waiting1",
            "0/2",
            id="first-container-wins-as-go-walks-backwards",
        ),
        pytest.param(
            pod(containers=2, statuses=[terminated("Completed"), running()]),
            "NotReady",
            "1/2",
            id="completed-plus-running-without-ready-condition",
        ),
        pytest.param(
            pod(containers=2, statuses=[terminated("Completed"), running()], conditions=READY),
            "Running",
            "1/2",
            id="completed-plus-running-with-ready-condition",
        ),
        pytest.param(
            pod(
                containers=2,
                phase="Pending",
                conditions=[
                    {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
                ],
            ),
            "SchedulingGated",
            "0/2",
            id="scheduling-gated",
        ),
        pytest.param(
            pod(statuses=[running()], deleting=True),
            "Terminating",
            "1/1",
            id="terminating",
        ),
        pytest.param(
            pod(phase="Succeeded", statuses=[terminated("Completed")], deleting=True),
            "Completed",
            "0/1",
            id="deleting-finished-pod-keeps-its-reason",
        ),
        pytest.param(
            pod(statuses=[running()], reason="NodeLost", deleting=True),
            "Unknown",
            "1/1",
            id="node-lost",
        ),
        pytest.param(
            pod(init=[{"name": "i0"}], phase="Pending", init_statuses=[running(ready=False)]),
            "Init:0/1",
            "0/1",
            id="init-running",
        ),
        pytest.param(
            pod(
                init=[{"name": "i0"}, {"name": "i1"}],
                phase="Pending",
                init_statuses=[terminated(code=0), waiting()],
            ),
            "Init:1/2",
            "0/1",
            id="init-second-of-two",
        ),
        pytest.param(
            pod(
                init=[{"name": "i0"}], phase="Pending", init_statuses=[waiting("CrashLoopBackOff")]
            ),
            "Init:CrashLoopBackOff",
            "0/1",
            id="init-crash-loop",
        ),
        pytest.param(
            pod(
                init=[{"name": "i0"}], phase="Pending", init_statuses=[terminated("Error", code=1)]
            ),
            "Init:Error",
            "0/1",
            id="init-error",
        ),
        pytest.param(
            pod(init=[{"name": "i0"}], phase="Pending", init_statuses=[terminated(code=2)]),
            "Init:ExitCode:2",
            "0/1",
            id="init-exit-code",
        ),
        pytest.param(
            pod(
                init=[{"name": "i0"}], phase="Pending", init_statuses=[terminated(code=1, signal=9)]
            ),
            "Init:Signal:9",
            "0/1",
            id="init-signal",
        ),
        pytest.param(
            pod(
                init=[{"name": "i0"}],
                phase="Pending",
                init_statuses=[terminated(code=0)],
                statuses=[waiting("PodInitializing")],
            ),
            "PodInitializing",
            "0/1",
            id="pod-initializing",
        ),
        pytest.param(
            pod(
                init=[{**SIDECAR}],
                init_statuses=[running(name="proxy", started=True)],
                statuses=[running()],
                conditions=INITIALIZED + READY,
            ),
            "Running",
            "2/2",
            id="sidecar-counts-as-a-container",
        ),
        pytest.param(
            pod(
                init=[{**SIDECAR}, {"name": "migrate"}],
                phase="Pending",
                init_statuses=[
                    running(ready=False, name="proxy", started=True),
                    running(ready=False, name="migrate"),
                ],
            ),
            "Init:1/2",
            "0/2",
            id="sidecar-started-then-regular-init-running",
        ),
    ],
)
def test_pod_status_reason(obj: dict[str, Any], status: str, ready: str) -> None:
    reason, ready_count, total, _restarts, _last = pod_status(obj)
    assert reason == status
    assert f"{ready_count}/{total}" == ready


@pytest.mark.parametrize(
    "obj, want",
    [
        pytest.param(pod(statuses=[running(restarts=0)]), "0", id="never-restarted"),
        pytest.param(
            pod(statuses=[running(restarts=4, **restarted_at(TEN_SECONDS_AGO))]),
            "4 (10s ago)",
            id="restart-with-age",
        ),
        pytest.param(
            pod(statuses=[running(restarts=3)]),
            "3",
            id="restart-count-without-last-state",
        ),
        pytest.param(
            pod(
                containers=2,
                statuses=[
                    running(restarts=6, **restarted_at("2026-11-19T12:00:00Z")),
                    running(restarts=3, **restarted_at("2026-11-04T12:00:00Z")),
                ],
            ),
            "9 (5d ago)",
            id="sum-with-latest-restart",
        ),
        pytest.param(
            pod(
                init=[{"name": "i0"}, {"name": "i1"}],
                phase="Pending",
                init_statuses=[
                    terminated(code=0, restarts=2, **restarted_at("2026-11-24T11:58:00Z")),
                    running(ready=False, restarts=3, **restarted_at(TEN_SECONDS_AGO)),
                ],
                statuses=[waiting()],
            ),
            "5 (10s ago)",
            id="initializing-counts-init-restarts",
        ),
        pytest.param(
            pod(
                init=[{"name": "i0"}],
                init_statuses=[terminated(code=0, restarts=2, **restarted_at(TEN_SECONDS_AGO))],
                statuses=[running(ready=False, restarts=4, **restarted_at("2026-11-24T11:59:40Z"))],
            ),
            "4 (20s ago)",
            id="initialized-drops-finished-init-restarts",
        ),
    ],
)
def test_restarts_cell(obj: dict[str, Any], want: str) -> None:
    cells, _conditions = pod_row(obj, now=NOW)
    assert cells[3] == want


@pytest.mark.parametrize(
    "phase, reason",
    [
        pytest.param("Succeeded", "Succeeded", id="succeeded"),
        pytest.param("Failed", "Failed", id="failed"),
    ],
)
def test_finished_pods_carry_a_completed_row_condition(phase: str, reason: str) -> None:
    _cells, conditions = pod_row(pod(phase=phase), now=NOW)
    assert [(c["type"], c["status"], c["reason"]) for c in conditions] == [
        ("Completed", "True", reason)
    ]


def test_running_pods_carry_no_row_condition() -> None:
    _cells, conditions = pod_row(pod(statuses=[running()]), now=NOW)
    assert conditions == []
