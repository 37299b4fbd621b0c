"""The namespace controller's decision for a Terminating namespace.

Follows pkg/controller/namespace/deletion (namespacedResourcesDeleter): delete everything
in the namespace, report progress in the NamespaceDeletion* / Namespace*Remaining
conditions, and once nothing is left remove the ``kubernetes`` finalizer from
``spec.finalizers`` so the API server can let the namespace go.

Condition wording as the real controller writes it (``kubectl describe ns`` shows it):
``Some resources are remaining: pods. has 2 resource instances`` and
``Some content in the namespace has finalizers remaining: example.com/x in 1 resource
instances``.
"""

from __future__ import annotations

from datetime import datetime

from kubesim.core.objects import Obj, deepcopy, deleting, fmt_time, meta

from ._actions import Action, Decision, Update, UpdateStatus, delete_of

FINALIZER = "kubernetes"

_DONE = {
    "NamespaceDeletionDiscoveryFailure": (
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    "NamespaceDeletionGroupVersionParsingFailure": (
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    "NamespaceDeletionContentFailure": (
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    "NamespaceContentRemaining": ("ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": (
        "ContentHasNoFinalizers",
        "All content-preserving finalizers finished",
    ),
}


def namespace_conditions(
    contents: dict[str, list[Obj]], old: list[Obj], *, now: datetime
) -> list[Obj]:
    """The five deletion conditions for what is still in the namespace; ``contents`` is
    keyed by GroupResource as the messages print it (``pods.``, ``deployments.apps``)."""
    counts = {resource: len(objs) for resource, objs in contents.items() if objs}
    finalizers: dict[str, int] = {}
    for objs in contents.values():
        for obj in objs:
            for f in meta(obj).get("finalizers") or []:
                finalizers[f] = finalizers.get(f, 0) + 1
    values: dict[str, tuple[str, str, str]] = {
        t: ("False", reason, message) for t, (reason, message) in _DONE.items()
    }
    if counts:
        text = ", ".join(f"{r} has {n} resource instances" for r, n in sorted(counts.items()))
        values["NamespaceContentRemaining"] = (
            "True",
            "SomeResourcesRemain",
            f"Some resources are remaining: {text}",
        )
    if finalizers:
        text = ", ".join(f"{f} in {n} resource instances" for f, n in sorted(finalizers.items()))
        values["NamespaceFinalizersRemaining"] = (
            "True",
            "SomeFinalizersRemain",
            f"Some content in the namespace has finalizers remaining: {text}",
        )
    previous = {c.get("type"): c for c in old}
    out = []
    for ctype, (status, reason, message) in values.items():
        before = previous.get(ctype)
        ltt = (
            before.get("lastTransitionTime")
            if before and before.get("status") == status
            else fmt_time(now)
        )
        out.append(
            {
                "type": ctype,
                "status": status,
                "lastTransitionTime": ltt,
                "reason": reason,
                "message": message,
            }
        )
    return out


def reconcile_namespace(ns: Obj, contents: dict[str, list[Obj]], *, now: datetime) -> Decision:
    """One pass over a namespace being deleted; ``contents`` is everything still in it, by
    GroupResource (``pods.``, ``deployments.apps``)."""
    if not deleting(ns):
        return Decision([])
    remaining = [obj for objs in contents.values() for obj in objs]
    actions: list[Action] = [delete_of(obj) for obj in remaining if not deleting(obj)]
    status = deepcopy(ns.get("status") or {})
    status["phase"] = "Terminating"
    status["conditions"] = namespace_conditions(contents, status.get("conditions") or [], now=now)
    if status != (ns.get("status") or {}):
        updated = deepcopy(ns)
        updated["status"] = status
        actions.append(UpdateStatus(updated))
    if not remaining:
        finalized = deepcopy(ns)
        spec = finalized.setdefault("spec", {})
        spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != FINALIZER]
        if not spec["finalizers"]:
            spec.pop("finalizers")
        finalized["metadata"].pop("resourceVersion", None)  # after our own status write
        actions.append(Update(finalized))
        return Decision(actions)
    return Decision(actions, requeue_after=1.0 if all(deleting(o) for o in remaining) else None)
