"""The `Priority` admission plugin (plugin/pkg/admission/priority).

On a PriorityClass create or update, only one class may be the global default (403). On a
Pod create, `priorityClassName` resolves to `spec.priority` and `spec.preemptionPolicy`:
the named class's, or the global default's when the pod names none (its name is written
into the pod), else 0 and PreemptLowerPriority. An unknown class, or a priority or policy
the pod sets that differs from what its class gives, is refused (403) in upstream's words.
The built-in classes and the field validation live in `validation.priorityclass`.
Pure functions over plain dicts; the Api supplies the stored classes.
"""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.validation.priorityclass import (
    DEFAULT_PRIORITY,
    PREEMPT_LOWER,
    SYSTEM_PRIORITY_CLASSES,
)

Obj = dict[str, Any]

__all__ = [
    "SYSTEM_PRIORITY_CLASSES",
    "admit_pod_priority",
    "admit_priority_class",
    "default_class",
    "keep_pod_priority",
]


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def default_class(classes: list[Obj]) -> Obj | None:
    """getDefaultPriorityClass: the class marked globalDefault; should a race have made two,
    the one with the lowest value."""
    chosen: Obj | None = None
    for pc in classes:
        if pc.get("globalDefault") and (chosen is None or chosen["value"] > pc["value"]):
            chosen = pc
    return chosen


def admit_priority_class(pc: Obj, classes: list[Obj], *, update: bool) -> str | None:
    """The plugin's Validate on a PriorityClass create or update: the reason for a 403
    (the text after `... is forbidden: `), or None."""
    if not pc.get("globalDefault"):
        return None
    current = default_class(classes)
    if current is None or (update and _name(current) == _name(pc)):
        return None
    return (
        f"PriorityClass {_name(current)} is already marked as default. Only one default can exist"
    )


def admit_pod_priority(pod: Obj, classes: list[Obj]) -> str | None:
    """The plugin's Admit on a Pod create: fills `spec.priorityClassName` (the global
    default's, when the pod names none), `spec.priority` and `spec.preemptionPolicy` in
    place. Returns the reason for a 403, or None."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return None
    wanted = spec.get("priorityClassName") or ""
    if not wanted:
        pc = default_class(classes)
        if pc is not None:
            spec["priorityClassName"] = _name(pc)
    else:
        pc = next((c for c in classes if _name(c) == wanted), None)
        if pc is None:
            return f"no PriorityClass with name {wanted} was found"
    priority = pc["value"] if pc is not None else DEFAULT_PRIORITY
    policy = (pc.get("preemptionPolicy") if pc is not None else None) or PREEMPT_LOWER
    given = spec.get("priority")
    if given is not None and given != priority:
        return (
            f"the integer value of priority ({given}) must not be provided in pod spec; "
            f"priority admission controller computed {priority} from the given PriorityClass name"
        )
    given_policy = spec.get("preemptionPolicy")
    if given_policy is not None and given_policy != policy:
        return (
            f"the string value of PreemptionPolicy ({given_policy}) must not be provided in pod "
            f"spec; priority admission controller computed {policy} from the given "
            "PriorityClass name"
        )
    spec["priority"] = priority
    spec["preemptionPolicy"] = policy
    return None


def keep_pod_priority(pod: Obj, old: Obj) -> None:
    """The plugin on a Pod update: a body without `spec.priority` keeps the stored one
    (validation then refuses any other change to it)."""
    spec, old_spec = pod.get("spec"), old.get("spec") or {}
    if isinstance(spec, dict) and spec.get("priority") is None and "priority" in old_spec:
        spec["priority"] = old_spec["priority"]
