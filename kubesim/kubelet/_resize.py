"""In-place pod resize, as the kubelet decides it: pure functions of the pod and the node.

A resize is a write to `pods/resize` that changes a container's cpu or memory. The kubelet
compares what the spec wants with what it allocated (allocation_manager.go
handlePodResourcesResize): a pod that cannot fit the node at all is `Infeasible`, one that
does not fit beside the other pods now is `Deferred` (both a `PodResizePending` condition
and a Warning event, retried later); one that fits is allocated at once, marked
`PodResizeInProgress` and actuated: a container whose `resizePolicy` says
`RestartContainer` for a changed resource is restarted with its new limits, any other gets
them live (its cgroup; kuberuntime computePodResizeAction). The worker in `_kubelet.py`
holds the state and does the acting; the decisions and their words are here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubesim.core import podlevel
from kubesim.kubelet._quantity import cpu_millis, memory_bytes

Obj = dict[str, Any]
RESIZABLE = ("cpu", "memory")
PENDING = "PodResizePending"
IN_PROGRESS = "PodResizeInProgress"
CONDITIONS = (PENDING, IN_PROGRESS)
INFEASIBLE, DEFERRED = "Infeasible", "Deferred"
# deferred resizes are tried again when another pod leaves, and on a timer
# (allocation_manager.go: the first retry after 30 s, then every 3 minutes)
RETRY_FIRST, RETRY_EVERY = 30.0, 180.0


def resizable(spec: Obj) -> list[Obj]:
    """The containers a resize may change: the regular ones and the sidecars."""
    sidecars = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    return [*sidecars, *(spec.get("containers") or [])]


def resources_of(container: Obj) -> Obj:
    """A container's requests and limits, without empty parts (as the status shows them)."""
    resources = container.get("resources") or {}
    return {part: dict(resources[part]) for part in ("limits", "requests") if resources.get(part)}


def desired(spec: Obj) -> dict[str, Obj]:
    return {c["name"]: resources_of(c) for c in resizable(spec)}


def _amount(name: str, value: Any) -> int:
    return cpu_millis(value) if name == "cpu" else memory_bytes(value)


def _measured(resources: Obj) -> dict[tuple[str, str], int]:
    """cpu and memory as numbers, so `800m` and `0.8` are the same request."""
    return {
        (part, name): _amount(name, value)
        for part in ("limits", "requests")
        for name, value in (resources.get(part) or {}).items()
        if name in RESIZABLE
    }


def changed(want: dict[str, Obj], have: dict[str, Obj]) -> list[str]:
    """The containers whose cpu or memory differ between the two."""
    return [
        name
        for name, resources in want.items()
        # as written first: this runs on every pod event, and parsing is the slow part
        if resources != have.get(name) and _measured(resources) != _measured(have.get(name) or {})
    ]


def requested(resources: dict[str, Obj], spec: Obj | None = None) -> tuple[int, int]:
    """The pod's cpu (millicores) and memory (bytes) requests: its containers and sidecars
    summed, or a plain init container's if larger (it runs alone, before them)."""
    cpu = memory = 0
    for each in resources.values():
        asked = _measured(each)
        cpu += asked.get(("requests", "cpu"), 0)
        memory += asked.get(("requests", "memory"), 0)
    for init in (spec or {}).get("initContainers") or []:
        if init.get("restartPolicy") != "Always":
            asked = _measured(resources_of(init))
            cpu = max(cpu, asked.get(("requests", "cpu"), 0))
            memory = max(memory, asked.get(("requests", "memory"), 0))
    own = _measured({"requests": podlevel.stated(spec or {}).get("requests") or {}})
    return own.get(("requests", "cpu"), cpu), own.get(("requests", "memory"), memory)


@dataclass(frozen=True)
class Verdict:
    """`reason` is "" when the resize may go ahead, else Infeasible or Deferred."""

    reason: str = ""
    message: str = ""


def decide(want: tuple[int, int], allocatable: Obj, used: tuple[int, int]) -> Verdict:
    """canResizePod: more than the node has at all is Infeasible (memory checked first),
    more than is free beside the node's other pods is Deferred (the admit handler's words)."""
    cpu, memory = want
    capacity_cpu = cpu_millis(allocatable.get("cpu", "0"))
    capacity_memory = memory_bytes(allocatable.get("memory", "0"))
    if memory > capacity_memory:
        return Verdict(
            INFEASIBLE,
            f"Node didn't have enough capacity: memory, requested: {memory}, capacity: {capacity_memory}",  # noqa: E501
        )
    if cpu > capacity_cpu:
        return Verdict(
            INFEASIBLE,
            f"Node didn't have enough capacity: cpu, requested: {cpu}, capacity: {capacity_cpu}",
        )
    for name, asked, in_use, capacity in (
        ("cpu", cpu, used[0], capacity_cpu),
        ("memory", memory, used[1], capacity_memory),
    ):
        if asked + in_use > capacity:
            return Verdict(
                DEFERRED,
                f"Node didn't have enough resource: {name}, requested: {asked}, used: {in_use}, capacity: {capacity}",  # noqa: E501
            )
    return Verdict()


def restart_needed(container: Obj, before: Obj, after: Obj) -> bool:
    """Whether a changed resource's resizePolicy is RestartContainer (NotRequired is the
    default). A memory request alone does not count: no cgroup setting follows it
    (computePodResizeAction compares memory limits, cpu requests and limits)."""
    policies = {
        p.get("resourceName"): p.get("restartPolicy") for p in container.get("resizePolicy") or []
    }
    was, now = _measured(before), _measured(after)
    moved = {
        key[1]
        for key in set(was) | set(now)
        if was.get(key) != now.get(key) and key != ("requests", "memory")
    }
    return any(policies.get(name) == "RestartContainer" for name in moved)


def event_message(verb: str, spec: Obj, generation: int, error: str = "") -> str:
    """`Pod resize <verb>: {"initContainers":[...],"containers":[...],"generation":N}`
    (kubelet's events/resize.go, makeResourceSummaryFromSpec): each container's resources
    as the spec has them, init containers apart, and the error if there is one."""

    def summary(containers: list[Obj]) -> list[Obj]:
        return [
            {
                "name": c.get("name"),
                "resources": {k: dict(sorted(v.items())) for k, v in resources_of(c).items()},
            }
            for c in containers
        ]

    body: Obj = {}
    if spec.get("initContainers"):
        body["initContainers"] = summary(spec["initContainers"])
    body["containers"] = summary(spec.get("containers") or [])
    body["generation"] = generation
    if error:
        body["error"] = error
    return f"Pod resize {verb}: {json.dumps(body, separators=(',', ':'))}"


def condition(kind: str, *, now: str, generation: int, reason: str = "", message: str = "") -> Obj:
    """A resize condition: always True while it applies, dropped when it no longer does."""
    out: Obj = {
        "type": kind,
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": now,
        "observedGeneration": generation,
    }
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def status_resources(actual: Obj | None, allocated: Obj | None) -> Obj:
    """A container status's `allocatedResources` (the allocated requests) and `resources`
    (what the running container is configured with, else what it will start with)."""
    out: Obj = {}
    requests = (allocated or {}).get("requests")
    if requests:
        out["allocatedResources"] = dict(requests)
    shown = actual if actual is not None else allocated
    if shown:
        out["resources"] = {k: dict(v) for k, v in shown.items()}
    return out


def memory_decrease_refused(limit: int, usage: int) -> str:
    """The message when a live memory limit would go below what the container uses: the
    kubelet skips it and keeps PodResizeInProgress with reason Error (KEP-1287, "Memory
    Limit Decreases"). The wording is kubesim's: upstream's is not known here."""
    return f"attempting to set the memory limit ({limit}) below the container's current usage ({usage})"  # noqa: E501
