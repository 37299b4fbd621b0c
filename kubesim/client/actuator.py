"""Apply the pure controllers' actions (`kubesim.controllers`) through the in-process Api.

The edge where decisions become writes, as the real components make them: creates with
`generateName`, updates optimistic on the resourceVersion the decision was computed from,
status through the status subresource, deletes preconditioned on the uid, scale through
the scale subresource, events through the aggregating `EventRecorder`.

`apply` returns what it wrote (resource, revision) so a controller can wait until its own
informers have seen those writes before it decides again: the role client-go's
"expectations" play, without counting (see `_workqueue.Caches.caught_up`).

Errors: a `Conflict` (stale decision) propagates so the caller requeues the key at once; a
`NotFound` on update/delete means the object went away, which the next pass sees; a
refused create of an object that carries events (a ReplicaSet's pod, say, over quota)
becomes the `FailedCreate` warning the real controllers record, then propagates.

Slow start (controller_utils.go slowStartBatch): a run of `Create(slow_start=True)` (the
ReplicaSet, Job and DaemonSet controllers' pods) is made in batches of 1, 2, 4, ...; every
create of a batch is attempted, and a batch with an error skips the rest of the run, so a
refused template costs one request, not five hundred. The other actions still apply (the
real syncReplicaSet writes status after a failed manageReplicas), then `PartialWrite`
carries the first error with what was written, so the controller still waits for its
informers to see those writes before it decides again. `apply_async` yields to the event
loop after every write, so a controller creating hundreds of pods never holds the API
server's loop (the real controllers are separate processes); since a run then spans many
turns of the loop, each batch first checks that its owner still stands, so a deleted
ReplicaSet stops creating at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesim.apiserver import subresources as _subresources
from kubesim.apiserver.api import DeleteOptions, WriteOptions
from kubesim.controllers import (
    Action,
    Bind,
    Create,
    Delete,
    Emit,
    Event,
    Scale,
    Update,
    UpdateStatus,
    slow_start_batches,
)
from kubesim.core.errors import AlreadyExists, ApiError, Conflict, NotFound
from kubesim.core.objects import deepcopy

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api
    from kubesim.client.recorder import EventRecorder
    from kubesim.core.resources import Resource

Obj = dict[str, Any]

CONTROLLER_MANAGER = "kube-controller-manager"
SCHEDULER = "kube-scheduler"


@dataclass(frozen=True)
class Written:
    """One write: which resource (storage plural and group) and the revision it made."""

    plural: str
    group: str
    revision: int


class PartialWrite(Exception):
    """A slow-start batch failed: ``cause`` is its first error (a Conflict or another
    ApiError), ``written`` what the pass wrote before and after it."""

    def __init__(self, cause: ApiError, written: list[Written]) -> None:
        super().__init__(cause.message)
        self.cause = cause
        self.written = written


def _steps(actions: Iterable[Action]) -> Iterator[list[Action]]:
    """The actions in order, one per step, except that each run of slow-start creates
    comes as its batches (a step of 1, then 2, 4, ...)."""
    run: list[Create] = []

    def batches() -> Iterator[list[Action]]:
        start = 0
        for size in slow_start_batches(len(run)):
            yield list(run[start : start + size])
            start += size
        run.clear()

    for action in actions:
        if isinstance(action, Create) and action.slow_start:
            run.append(action)
            continue
        yield from batches()
        yield [action]
    yield from batches()


class _Applier:
    """One pass over a decision's steps; see the module docstring for errors."""

    def __init__(self, api: Api, recorder: EventRecorder, field_manager: str) -> None:
        self.api = api
        self.recorder = recorder
        self.opts = WriteOptions(field_manager=field_manager)
        self.written: list[Written] = []
        self.error: ApiError | None = None
        self.skipping = False

    def step(self, batch: list[Action]) -> Iterator[None]:
        """Apply one step, yielding after each write (the async caller lets the loop run)."""
        slow = isinstance(batch[0], Create) and batch[0].slow_start
        if slow and (self.skipping or not self._owner_alive(batch[0])):
            self.skipping = True
            return
        if not slow:
            self.skipping = False
        failed = False
        for action in batch:
            try:
                self.written += _apply_one(self.api, action, self.recorder, self.opts)
            except ApiError as exc:
                if not slow:
                    raise
                failed = True
                self.error = self.error or exc
            yield None
        self.skipping = slow and failed

    def _owner_alive(self, create: Action) -> bool:
        """Whether the controller that decided ``create`` still stands: a run spread over
        the loop's turns stops when its owner was deleted meanwhile (upstream's burst is
        over in milliseconds; here it must not outlive the learner's `kubectl delete`)."""
        assert isinstance(create, Create)
        refs = (create.obj.get("metadata") or {}).get("ownerReferences") or []
        ref = next((r for r in refs if r.get("controller")), None)
        if ref is None:
            return True
        try:
            res = self.api.resource_for(ref.get("apiVersion", ""), ref.get("kind", ""))
            owner = self.api.get(
                res,
                (create.obj.get("metadata") or {}).get("namespace") if res.namespaced else None,
                ref.get("name", ""),
            )
        except ApiError:
            return False
        md = owner.get("metadata") or {}
        return md.get("uid") == ref.get("uid") and not md.get("deletionTimestamp")

    def result(self) -> list[Written]:
        if self.error is not None:
            raise PartialWrite(self.error, self.written) from self.error
        return self.written


def apply(
    api: Api,
    actions: Iterable[Action],
    recorder: EventRecorder,
    *,
    field_manager: str = CONTROLLER_MANAGER,
) -> list[Written]:
    """Apply `actions` in order; see the module docstring for how errors travel."""
    applier = _Applier(api, recorder, field_manager)
    for batch in _steps(actions):
        for _ in applier.step(batch):
            pass
    return applier.result()


async def apply_async(
    api: Api,
    actions: Iterable[Action],
    recorder: EventRecorder,
    *,
    field_manager: str = CONTROLLER_MANAGER,
) -> list[Written]:
    """`apply`, yielding to the event loop after every write."""
    applier = _Applier(api, recorder, field_manager)
    for batch in _steps(actions):
        for _ in applier.step(batch):
            await asyncio.sleep(0)
    return applier.result()


def _apply_one(
    api: Api, action: Action, recorder: EventRecorder, opts: WriteOptions
) -> list[Written]:
    if isinstance(action, Emit):
        _emit(recorder, action.event)
        return []
    if isinstance(action, Create):
        return _create(api, action, recorder, opts)
    if isinstance(action, Update):
        return _update(api, action.obj, opts)
    if isinstance(action, UpdateStatus):
        return _update_status(api, action.obj, opts)
    if isinstance(action, Delete):
        return _delete(api, action, recorder)
    if isinstance(action, Bind):
        return _bind(api, action, opts)
    return _scale(api, action, opts)


def _emit(recorder: EventRecorder, event: Event, **names: str) -> None:
    message = event.message.format(**names) if names else event.message
    recorder.record_ref(event.involved, event.type, event.reason, message, at=event.at)


def _resource(api: Api, obj: Obj) -> Resource:
    return api.resource_for(obj.get("apiVersion", "v1"), obj.get("kind", ""))


def _mark(res: Resource, obj: Obj) -> list[Written]:
    rv = (obj.get("metadata") or {}).get("resourceVersion")
    return [Written(res.plural, res.group, int(rv))] if rv else []


def _create(api: Api, action: Create, recorder: EventRecorder, opts: WriteOptions) -> list[Written]:
    obj = action.obj
    res = _resource(api, obj)
    namespace = (obj.get("metadata") or {}).get("namespace") if res.namespaced else None
    try:
        made = api.create(res, namespace, obj, options=opts)
    except AlreadyExists:
        return []  # a deterministic name (a Deployment's ReplicaSet) made by an earlier pass
    except ApiError as exc:
        if action.events and not isinstance(exc, Conflict) and not _namespace_terminating(exc):
            # replica_set.go / job_controller.go: FailedCreate "Error creating: <err>";
            # cronjob_controllerv2.go: "Error creating job: <err>"
            involved = action.events[0].involved
            recorder.record_ref(
                involved, "Warning", "FailedCreate", f"{action.failure}: {exc.message}"
            )
        raise
    for event in action.events:
        _emit(recorder, event, name=made["metadata"]["name"])
    return _mark(res, made)


def _namespace_terminating(exc: ApiError) -> bool:
    """HasStatusCause(err, NamespaceTerminatingCause): the controllers record nothing, every
    create in that namespace would fail the same way."""
    causes = (exc.details or {}).get("causes") or []
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)


def _update(api: Api, obj: Obj, opts: WriteOptions) -> list[Written]:
    res = _resource(api, obj)
    meta = obj["metadata"]
    try:
        new = api.update(res, meta.get("namespace"), meta["name"], obj, options=opts)
    except NotFound:
        return []
    return _mark(res, new)


def _update_status(api: Api, obj: Obj, opts: WriteOptions) -> list[Written]:
    """PUT .../status. The API's status strategy keeps the stored metadata, so annotations
    the decision changed beside the status (the Deployment's revision annotation, which the
    real deployment status strategy keeps) follow in a metadata update of the result."""
    res = _resource(api, obj)
    meta = obj["metadata"]
    try:
        new = api.update(
            res, meta.get("namespace"), meta["name"], obj, subresource="status", options=opts
        )
    except NotFound:
        return []
    out = _mark(res, new)
    wanted = meta.get("annotations")
    if wanted is not None and (new.get("metadata") or {}).get("annotations") != wanted:
        body = deepcopy(new)
        body["metadata"]["annotations"] = wanted
        with contextlib.suppress(NotFound):
            out += _mark(
                res, api.update(res, meta.get("namespace"), meta["name"], body, options=opts)
            )
    return out


def _delete(api: Api, action: Delete, recorder: EventRecorder) -> list[Written]:
    res = api.resource_for(action.api_version, action.kind)
    options = DeleteOptions(
        grace_period_seconds=action.grace_seconds,
        propagation_policy=action.propagation,
        preconditions={"uid": action.uid} if action.uid else None,
    )
    try:
        final = api.delete(
            res, action.namespace if res.namespaced else None, action.name, options=options
        )
    except NotFound:
        return []
    except Conflict:
        # a uid precondition failing means the object was replaced: nothing of ours to delete
        return []
    for event in action.events:
        _emit(recorder, event)
    return _mark(res, final)


def _bind(api: Api, action: Bind, opts: WriteOptions) -> list[Written]:
    """POST pods/binding, as kube-scheduler binds: `Api.bind` sets spec.nodeName and
    PodScheduled=True in one storage write past the strategy, so the pod's generation and
    managedFields do not change. The pod's uid and the resourceVersion the decision saw
    guard against a replaced pod or a stale decision (409, as the binding REST answers)."""
    meta = action.pod["metadata"]
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            **({"uid": meta["uid"]} if meta.get("uid") else {}),
            **({"resourceVersion": meta["resourceVersion"]} if meta.get("resourceVersion") else {}),
        },
        "target": {"apiVersion": "v1", "kind": "Node", "name": action.node_name},
    }
    bound = api.bind(meta.get("namespace"), meta["name"], binding, dry_run=bool(opts.dry_run))
    return _mark(api.resource("", "v1", "pods"), bound)


def _scale(api: Api, action: Scale, opts: WriteOptions) -> list[Written]:
    ref = action.target_ref
    res = api.resource_for(ref.get("apiVersion", "apps/v1"), ref.get("kind", "Deployment"))
    scale = {"spec": {"replicas": action.replicas}}
    result = _subresources.update_scale(
        api, res, ref.get("namespace"), ref["name"], scale, options=opts
    )
    return _mark(res, result)
