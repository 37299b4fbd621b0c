"""Intended changes returned by the pure controller decisions.

Every controller in this package decides from plain dicts and returns a list of these
actions; one asyncio loop elsewhere applies them through the API layer (STYLE.md: decide
in pure functions, act at the edge).  Objects inside actions are full stored-shape dicts.

Action
  + Create        POST the object; ``events`` are emitted after success, with ``{name}``
                  replaced by the name the server chose (generateName). A run of
                  consecutive ``slow_start`` creates is applied in the batches
                  ``slow_start_batches`` gives (controller_utils.go slowStartBatch)
  + Update        PUT the full object; optimistic: it carries the resourceVersion it was
                  computed from, so a stale decision loses with 409 and is recomputed
  + UpdateStatus  PUT .../status with the full object
  + Delete        DELETE by name, preconditioned on uid
  + Emit          record an Event about an object
  + Bind          POST pods/binding (scheduler)
  + Scale         PUT the scale subresource of a target (HPA)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EventType = Literal["Normal", "Warning"]


@dataclass(frozen=True)
class Event:
    """A core/v1 Event in the making: the involved object ref, type, reason and message."""

    involved: dict[str, Any]
    type: EventType
    reason: str
    message: str
    # when the controller saw it happen (RFC 3339), for an event whose time a status field
    # repeats (the HPA's lastScaleTime); None: when it is written, as a recorder stamps it
    at: str | None = None


SLOW_START_INITIAL_BATCH_SIZE = 1  # controller.SlowStartInitialBatchSize


@dataclass(frozen=True)
class Create:
    obj: dict[str, Any]
    events: tuple[Event, ...] = ()
    slow_start: bool = False
    # a refused create's FailedCreate warning: `<failure>: <the API's message>` (the pod
    # creating controllers' "Error creating"; the CronJob controller's "Error creating job")
    failure: str = "Error creating"


def slow_start_batches(count: int, *, initial: int = SLOW_START_INITIAL_BATCH_SIZE) -> list[int]:
    """slowStartBatch's batch sizes for ``count`` creations: 1, 2, 4, ... doubling, the
    last one cut to what remains. Each batch is attempted whole; a batch with an error
    ends the run and the remaining creations are skipped (the next sync retries them)."""
    sizes: list[int] = []
    remaining, size = count, min(count, initial)
    while remaining > 0 and size > 0:
        sizes.append(size)
        remaining -= size
        size = min(2 * size, remaining)
    return sizes


@dataclass(frozen=True)
class Update:
    obj: dict[str, Any]


@dataclass(frozen=True)
class UpdateStatus:
    obj: dict[str, Any]


@dataclass(frozen=True)
class Delete:
    api_version: str
    kind: str
    namespace: str | None
    name: str
    uid: str | None = None
    grace_seconds: int | None = None
    propagation: str | None = None
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Emit:
    event: Event


@dataclass(frozen=True)
class Bind:
    pod: dict[str, Any]
    node_name: str


@dataclass(frozen=True)
class Scale:
    """Set ``spec.replicas`` of ``target_ref`` (apiVersion, kind, name, namespace) via /scale."""

    target_ref: dict[str, Any]
    replicas: int


Action = Create | Update | UpdateStatus | Delete | Emit | Bind | Scale


@dataclass(frozen=True)
class Decision:
    """What one reconcile pass wants done, and when it wants to look again (seconds)."""

    actions: list[Action] = field(default_factory=list)
    requeue_after: float | None = None


def object_ref(obj: dict[str, Any]) -> dict[str, Any]:
    """The ``involvedObject`` reference for an Event about ``obj``."""
    meta = obj.get("metadata", {})
    ref = {
        "apiVersion": obj.get("apiVersion", "v1"),
        "kind": obj.get("kind", ""),
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace"),
        "uid": meta.get("uid"),
        "resourceVersion": meta.get("resourceVersion"),
    }
    return {k: v for k, v in ref.items() if v is not None}


def delete_of(obj: dict[str, Any], **kw: Any) -> Delete:
    """A Delete action for a stored object, preconditioned on its uid."""
    meta = obj.get("metadata", {})
    return Delete(
        api_version=obj.get("apiVersion", "v1"),
        kind=obj.get("kind", ""),
        namespace=meta.get("namespace"),
        name=meta["name"],
        uid=meta.get("uid"),
        **kw,
    )
