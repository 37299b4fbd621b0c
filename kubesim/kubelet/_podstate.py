"""What the kubelet knows about a pod's containers, and the status it derives from that.

Pure functions: the kubelet loop records what processes did into `ContainerRecord`s; these
functions turn records into the `status` Kubernetes shows (container states, phase, the pod
conditions), following the kubelet's own rules (pkg/kubelet/kubelet_pods.go `getPhase`,
status/generate.go for conditions). Back-off follows the kubelet's: 10 s doubling to 5 min,
reset after a container has run for 10 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
BACKOFF_RESET_AFTER = 600.0
TERMINAL_PHASES = ("Succeeded", "Failed")
MIRROR = "kubernetes.io/config.mirror"  # a static pod's copy: never given a terminal phase
# status_manager TerminatePod: a container with no end state when its pod is terminated
UNKNOWN_AT_TERMINATION = {
    "exitCode": 137,
    "reason": "ContainerStatusUnknown",
    "message": "The container could not be located when the pod was terminated",
    "startedAt": None,
    "finishedAt": None,
}


@dataclass
class ContainerRecord:
    """The kubelet's memory of one container: its current and last state, counters, back-off."""

    name: str
    image: str
    image_id: str = ""
    container_id: str = ""
    restart_count: int = 0
    state: dict[str, Any] = field(
        default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}}
    )
    last_state: dict[str, Any] = field(default_factory=dict)
    ready: bool = False
    started: bool = False
    backoff: float = 0.0  # the delay the next restart waits; 0 until the first exit
    ever_ran: bool = False
    sidecar: bool = False  # an init container with restartPolicy Always

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "state": self.state,
            "lastState": self.last_state,
            "ready": self.ready,
            "restartCount": self.restart_count,
            "image": self.image,
            "imageID": self.image_id,
            "started": self.started,
        }
        if self.container_id:
            out["containerID"] = self.container_id
        return out


def pod_initialized(records: list[ContainerRecord], init_records: list[ContainerRecord]) -> bool:
    """status_manager's hasPodInitialized: no init containers, a regular container that ever
    left waiting, or the last init container done (a sidecar: started)."""
    if not init_records:
        return True
    if any(r.last_state.get("terminated") or "waiting" not in r.state for r in records):
        return True
    last = init_records[-1]
    return last.started if last.sidecar else init_done(last)


def initialized_prefix(init_records: list[ContainerRecord]) -> int:
    """initializedContainers: how many leading init containers show evidence of a start (at
    least the first); the waiting ones after them are left waiting when the pod ends."""
    for i in range(len(init_records) - 1, -1, -1):
        rec = init_records[i]
        if "waiting" not in rec.state or rec.last_state.get("terminated"):
            return i + 1
    return min(1, len(init_records))


def stopped_state(
    state: dict[str, Any],
    last_state: dict[str, Any],
    *,
    exit_code: int | None,
    reason: str | None,
    now: str,
    container_id: str = "",
) -> dict[str, Any]:
    """A container's state once its deleted pod has stopped: how its process ended (the
    kill sequence's exit), the exit it was backing off from (a deleted pod restarts
    nothing: ShouldContainerBeRestarted), or, with neither, TerminatePod's
    ContainerStatusUnknown, so no container of a terminated pod reads as still running."""
    if "terminated" in state:
        return state
    if "running" in state and exit_code is not None:
        ended: dict[str, Any] = {
            "exitCode": exit_code,
            "reason": reason or ("Completed" if exit_code == 0 else "Error"),
            "startedAt": state["running"].get("startedAt"),
            "finishedAt": now,
        }
        if container_id:
            ended["containerID"] = container_id
        return {"terminated": ended}
    if "waiting" in state and last_state.get("terminated"):
        return {"terminated": last_state["terminated"]}
    return {"terminated": dict(UNKNOWN_AT_TERMINATION)}


def restart_delay(backoff: float, ran_for: float) -> tuple[float, float]:
    """(delay before this restart, back-off to remember) after a container exits.

    As on a node: the first exit restarts at once, then 10 s, 20 s, 40 s ... capped at 5 min;
    a run of 10 minutes or more forgets the back-off.
    """
    if ran_for >= BACKOFF_RESET_AFTER:
        backoff = 0.0
    following = BACKOFF_INITIAL if backoff == 0.0 else min(backoff * 2, BACKOFF_MAX)
    return backoff, following


def should_restart(restart_policy: str, exit_code: int, *, init: bool = False) -> bool:
    """An init container that succeeded is done; one that failed is retried unless the
    pod's policy is Never (then the pod fails)."""
    if init:
        return exit_code != 0 and restart_policy != "Never"
    if restart_policy == "Always":
        return True
    if restart_policy == "OnFailure":
        return exit_code != 0
    return False


def init_done(rec: ContainerRecord) -> bool:
    return (rec.state.get("terminated") or {}).get("exitCode") == 0


def _init_counts(records: list[ContainerRecord]) -> tuple[int, int]:
    """(pending, failed) init containers, as getPhase counts them (sidecars aside)."""
    pending = failed = 0
    for rec in records:
        if rec.sidecar:
            continue
        if "running" in rec.state:
            pending += 1
        elif "terminated" in rec.state:
            failed += rec.state["terminated"].get("exitCode") != 0
        elif (rec.last_state.get("terminated") or {}).get("exitCode") not in (None, 0):
            failed += 1
        else:
            pending += 1
    return pending, failed


def crashloop_message(backoff: float, container: str, pod: dict[str, Any]) -> str:
    meta = pod["metadata"]
    return (
        f"back-off {_duration(backoff)} restarting failed container={container} "
        f"pod={meta['name']}_{meta['namespace']}({meta['uid']})"
    )


def _duration(seconds: float) -> str:
    """Go's time.Duration String() for whole seconds: 10s, 1m20s, 5m0s."""
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    return f"{total // 60}m{total % 60}s"


def phase(
    pod: dict[str, Any],
    records: list[ContainerRecord],
    init_records: list[ContainerRecord] | None = None,
    *,
    terminal: bool = False,
) -> str:
    """The kubelet's getPhase: a failed init container fails a pod whose policy is Never;
    one still to finish keeps the pod Pending until a regular container has run.

    `terminal`: the pod was deleted and its containers have stopped. Since 1.27 the kubelet
    then ends it Succeeded (every container exited 0) or Failed (getPhase's podIsTerminal,
    and status_manager TerminatePod fails whatever is not terminal yet), so a Job's
    controller sees the outcome before the pod goes. Static pods keep their phase."""
    terminal = terminal and MIRROR not in _annotations(pod)
    found = _phase(pod, records, init_records, terminal=terminal)
    return "Failed" if terminal and found not in TERMINAL_PHASES else found


def _annotations(pod: dict[str, Any]) -> dict[str, Any]:
    return (pod.get("metadata") or {}).get("annotations") or {}


def _phase(
    pod: dict[str, Any],
    records: list[ContainerRecord],
    init_records: list[ContainerRecord] | None,
    *,
    terminal: bool,
) -> str:
    policy = pod["spec"].get("restartPolicy", "Always")
    pending_init, failed_init = _init_counts(init_records or [])
    if failed_init and policy == "Never":
        return "Failed"
    if pending_init and not any(r.ever_ran for r in records):
        return "Pending"
    waiting = running = stopped = succeeded = 0
    for rec in records:
        if "running" in rec.state:
            running += 1
        elif "terminated" in rec.state:
            stopped += 1
            succeeded += rec.state["terminated"].get("exitCode") == 0
        elif rec.last_state.get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if terminal:
            return "Succeeded" if succeeded == stopped else "Failed"
        if policy == "Always":
            return "Running"
        if policy == "OnFailure":
            return "Succeeded" if succeeded == stopped else "Running"
        return "Succeeded" if succeeded == stopped else "Failed"
    return "Pending"


def conditions(
    pod: dict[str, Any],
    records: list[ContainerRecord],
    *,
    now: str,
    sandbox_ready: bool,
    init_records: list[ContainerRecord] | None = None,
    terminal: bool = False,
) -> list[dict[str, Any]]:
    """PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled.

    lastTransitionTime only moves when a condition's status changes, as on a real node; each
    condition the kubelet writes carries the generation it was computed from.
    """
    old = {c["type"]: c for c in pod.get("status", {}).get("conditions", [])}
    unready = [r.name for r in records if not r.ready]
    pod_phase = phase(pod, records, init_records, terminal=terminal)
    finished = pod_phase in ("Succeeded", "Failed")
    incomplete = [r.name for r in init_records or [] if not r.sidecar and not init_done(r)]
    initialized = not incomplete or any(r.ever_ran for r in records)
    # generate.go's conditions for a terminal phase: PodFailed or PodCompleted
    done = "PodFailed" if pod_phase == "Failed" else "PodCompleted"
    reason = done if finished else "ContainersNotReady"
    containers_ready = not unready

    generation = (pod.get("metadata") or {}).get("generation")

    def cond(kind: str, ok: bool, why: str = "", message: str = "") -> dict[str, Any]:
        status = "True" if ok else "False"
        previous = old.get(kind)
        out: dict[str, Any] = {"type": kind}
        if generation:  # PodObservedGenerationTracking (GA in 1.35): the spec it reflects
            out["observedGeneration"] = generation
        out.update(status=status, lastProbeTime=None)
        keep = previous is not None and previous.get("status") == status
        out["lastTransitionTime"] = previous["lastTransitionTime"] if previous and keep else now
        if not ok and why:
            out["reason"] = why
            out["message"] = message
        elif finished and why == done:
            out["reason"] = why
        return out

    message = f"containers with unready status: [{' '.join(unready)}]"
    init_message = f"containers with incomplete status: [{' '.join(incomplete)}]"
    init_cond = cond("Initialized", initialized, "ContainersNotInitialized", init_message)
    if init_records and pod_phase == "Succeeded":
        init_cond["reason"] = "PodCompleted"
    result = [
        cond("PodReadyToStartContainers", sandbox_ready),
        init_cond,
        cond("Ready", containers_ready and not finished, reason, message),
        cond("ContainersReady", containers_ready and not finished, reason, message),
        old.get("PodScheduled") or cond("PodScheduled", True),
    ]
    if finished:
        for item in result[2:4]:
            item["reason"] = done
            item.pop("message", None)
    return result
