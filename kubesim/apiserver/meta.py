"""Pure decisions about object metadata on create, update and delete.

What kube-apiserver's generic registry and the per-kind strategies do to `metadata` and
`status` on each write: generated names, uid, creationTimestamp, generation bumps on spec
changes only, status reset on create, spec/status separation for kinds with a status
subresource. No I/O here: the `Api` calls these and writes the result.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from kubesim.apiserver.defaulting.pod import pod_qos_class
from kubesim.core.clock import format_time, parse_time
from kubesim.core.objects import deepcopy
from kubesim.core.resources import Resource

Obj = dict[str, Any]

# The alphabet apimachinery's rand.String uses for generateName (no vowels, no 0/1/3).
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
GENERATED_SUFFIX = 5

# Kinds whose strategies maintain metadata.generation (spec changes bump it).
GENERATION_KINDS = frozenset(
    {
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Ingress",
        "ReplicationController",
        "Pod",
        "PersistentVolumeClaim",
        "StorageClass",
        "CustomResourceDefinition",
    }
)

# metadata fields a client cannot set or change through the main resource.
_SYSTEM_FIELDS = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")


def generate_name(prefix: str, *, rng: random.Random | None = None) -> str:
    pick = (rng or random).choice
    return prefix + "".join(pick(NAME_ALPHABET) for _ in range(GENERATED_SUFFIX))


def spec_part(obj: Obj) -> Obj:
    """Everything but metadata and status: what a generation bump is about."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


def without_volatile(obj: Obj) -> Obj:
    """The object minus what changes on every write, to spot no-op updates."""
    meta = {
        k: v
        for k, v in obj.get("metadata", {}).items()
        if k not in ("resourceVersion", "managedFields")
    }
    return {**obj, "metadata": meta}


def prepare_create(res: Resource, obj: Obj, *, now: str, uid: str | None = None) -> Obj:
    """Stamp system metadata and reset what a create may not set."""
    obj = deepcopy(obj)
    obj["kind"] = res.kind
    obj["apiVersion"] = res.api_version
    meta = obj.setdefault("metadata", {})
    for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
        meta.pop(field, None)
    meta["uid"] = uid or str(uuid.uuid4())
    meta["creationTimestamp"] = now
    if res.kind in GENERATION_KINDS or res.custom:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    _reset_status_on_create(res, obj)
    if res.kind == "Namespace":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
    return obj


def _reset_status_on_create(res: Resource, obj: Obj) -> None:
    if res.kind == "Namespace":
        obj["status"] = {"phase": "Active"}
        obj.setdefault("spec", {})["finalizers"] = ["kubernetes"]
    elif res.kind == "Pod":
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj)}
    elif res.kind == "Service":
        obj["status"] = {"loadBalancer": {}}
    elif res.kind in ("Node", "PersistentVolume", "Event"):
        return
    elif res.custom:
        if "status" in res.sub:  # the status subresource's: create drops it
            obj.pop("status", None)
    elif "status" in res.sub:
        obj["status"] = {} if res.kind != "PersistentVolumeClaim" else {"phase": "Pending"}


def prepare_update(res: Resource, old: Obj, new: Obj, *, subresource: str = "") -> Obj:
    """Carry system metadata over, separate spec and status writes, bump generation."""
    new = deepcopy(new)
    new["kind"] = res.kind
    new["apiVersion"] = res.api_version
    if subresource == "status":
        return _prepare_status_update(res, old, new)
    if subresource == "ephemeralcontainers":
        # dropNonEphemeralContainerUpdates: the stored pod with the request's ephemeral
        # containers (and its resourceVersion, the write's precondition)
        merged = deepcopy(old)
        merged["spec"]["ephemeralContainers"] = deepcopy(
            (new.get("spec") or {}).get("ephemeralContainers") or []
        )
        version = (new.get("metadata") or {}).get("resourceVersion")
        if version:
            merged["metadata"]["resourceVersion"] = version
        return merged
    if subresource == "resize":
        return _prepare_resize_update(old, new)
    meta = new.setdefault("metadata", {})
    old_meta = old.get("metadata", {})
    for field in _SYSTEM_FIELDS:
        if field in old_meta:
            meta[field] = old_meta[field]
        else:
            meta.pop(field, None)
    meta["name"] = old_meta["name"]
    if "namespace" in old_meta:
        meta["namespace"] = old_meta["namespace"]
    if "status" in res.sub and res.kind not in ("Node",):
        if "status" in old:
            new["status"] = deepcopy(old["status"])
        else:
            new.pop("status", None)
    if res.kind == "Namespace":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        if "spec" not in new and "spec" in old:
            new["spec"] = deepcopy(old["spec"])
    if res.kind in GENERATION_KINDS or res.custom:
        generation = old_meta.get("generation", 1)
        if spec_part(new) != spec_part(old):
            generation += 1
        meta["generation"] = generation
    return new


RESIZABLE = ("resources", "resizePolicy")


def _prepare_resize_update(old: Obj, new: Obj) -> Obj:
    """pods/resize (ResizeStrategy, dropNonResizeUpdates): the stored pod with the request's
    containers' and init containers' `resources` and `resizePolicy`; the rest of the spec,
    the metadata and the status stay as stored. Containers added, removed or renamed are
    passed through as sent, for validation to refuse. A changed spec bumps generation."""
    merged = deepcopy(old)
    spec, new_spec = merged.setdefault("spec", {}), new.get("spec") or {}
    for key in ("containers", "initContainers"):
        mine, theirs = spec.get(key) or [], new_spec.get(key) or []
        names = [c.get("name") if isinstance(c, dict) else None for c in theirs]
        if names != [c.get("name") for c in mine]:
            if theirs or mine:
                spec[key] = deepcopy(theirs)
            continue
        for container, sent in zip(mine, theirs, strict=True):
            for field in RESIZABLE:
                if field in sent:
                    container[field] = deepcopy(sent[field])
                else:
                    container.pop(field, None)
    version = (new.get("metadata") or {}).get("resourceVersion")
    if version:
        merged["metadata"]["resourceVersion"] = version
    if merged["spec"] != old.get("spec"):
        merged["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
    return merged


def _prepare_status_update(res: Resource, old: Obj, new: Obj) -> Obj:
    """A write through `.../status`: the request's status and metadata, the stored rest.

    The status strategies of the built-in kinds (pkg/registry/*/strategy.go) reset only
    the spec (`newX.Spec = oldX.Spec`), so labels, annotations and finalizers come from
    the request: the deployment controller writes its revision annotation with the
    status. Some reset a little more (`_STATUS_KEEPS`). Metadata the server owns (uid,
    creation and deletion stamps, generation) stays as stored, as the generic
    `rest.BeforeUpdate` keeps it.
    """
    merged = deepcopy(old)
    merged["status"] = deepcopy(new.get("status", {}))
    meta = deepcopy(new.get("metadata") or {})
    old_meta = old.get("metadata", {})
    for field in (*_SYSTEM_FIELDS, "generation", "name", "namespace"):
        if field in old_meta:
            meta[field] = deepcopy(old_meta[field])
        else:
            meta.pop(field, None)
    for field in _STATUS_KEEPS.get(res.kind, ()):
        if field in old_meta:
            meta[field] = deepcopy(old_meta[field])
        else:
            meta.pop(field, None)
    if "managedFields" not in meta and "managedFields" in old_meta:
        meta["managedFields"] = deepcopy(old_meta["managedFields"])
    merged["metadata"] = meta
    return merged


# Metadata a kind's status strategy also resets to the stored value: Deployment
# (`newDeployment.Labels = oldDeployment.Labels`), Pod and Job (`OwnerReferences`).
_STATUS_KEEPS: dict[str, tuple[str, ...]] = {
    "Deployment": ("labels",),
    "Pod": ("ownerReferences",),
    "Job": ("ownerReferences",),
}


def qos_class(pod: Obj) -> str:
    """Pod QoS as the kubelet and API compute it (Guaranteed / Burstable / BestEffort)."""

    return pod_qos_class(pod.get("spec") or {})


def mark_deleting(obj: Obj, *, now: str, grace: int) -> Obj:
    obj = deepcopy(obj)
    meta = obj["metadata"]
    meta.setdefault("deletionTimestamp", now)
    meta.setdefault("deletionGracePeriodSeconds", grace)
    return obj


def shortened_deletion(obj: Obj, grace: int | None) -> Obj | None:
    """A delete of an object already being deleted (rest.BeforeDelete): only an explicit,
    shorter grace period changes it, moving deletionTimestamp earlier by the difference.
    The kubelet's last delete of a pod (grace 0) is one: with finalizers left the pod stays,
    at grace 0, and goes when they are removed. None when nothing changes."""
    meta = obj["metadata"]
    old = meta.get("deletionGracePeriodSeconds")
    if grace is None or not old or (grace := max(grace, 0)) >= old:
        return None
    moved = parse_time(meta["deletionTimestamp"]) + timedelta(seconds=grace - old)
    obj = deepcopy(obj)
    obj["metadata"]["deletionTimestamp"] = format_time(moved)
    obj["metadata"]["deletionGracePeriodSeconds"] = grace
    return obj


def check_preconditions(obj: Obj, preconditions: dict[str, Any] | None) -> str | None:
    """The Conflict text when DeleteOptions.preconditions do not hold, else None."""
    if not preconditions:
        return None
    meta = obj.get("metadata", {})
    uid = preconditions.get("uid")
    if uid and uid != meta.get("uid"):
        return (
            f"Precondition failed: UID in precondition: {uid}, "
            f"UID in object meta: {meta.get('uid')}"
        )
    rv = preconditions.get("resourceVersion")
    if rv and rv != meta.get("resourceVersion"):
        return (
            f"Precondition failed: ResourceVersion in precondition: {rv}, "
            f"ResourceVersion in object meta: {meta.get('resourceVersion')}"
        )
    return None
