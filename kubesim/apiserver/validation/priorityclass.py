"""PriorityClass validation (pkg/apis/scheduling/validation) and the built-in classes.

The two system classes kube-apiserver creates at start (pkg/apis/scheduling/helpers.go):
`system-node-critical` 2000001000 and `system-cluster-critical` 2000000000. A name with the
`system-` prefix is reserved for them (`IsKnownSystemPriorityClass`), a user-defined value
is at most 1000000000 (HighestUserDefinablePriority), and value and preemptionPolicy are
immutable.
"""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.validation.errors import (
    FieldError,
    forbidden,
    invalid,
    not_supported,
    required,
)

Obj = dict[str, Any]

SYSTEM_PREFIX = "system-"
HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
DEFAULT_PRIORITY = 0  # DefaultPriorityWhenNoDefaultClassExists
PREEMPT_LOWER = "PreemptLowerPriority"
PREEMPTION_POLICIES = [PREEMPT_LOWER, "Never"]

SYSTEM_PRIORITY_CLASSES: list[Obj] = [
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "system-node-critical"},
        "value": SYSTEM_CRITICAL_PRIORITY + 1000,
        "description": "Used for system critical pods that must not be moved from their "
        "current node.",
    },
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "system-cluster-critical"},
        "value": SYSTEM_CRITICAL_PRIORITY,
        "description": "Used for system critical pods that must run in the cluster, but can "
        "be moved to another node if necessary.",
    },
]


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _known_system_class(pc: Obj) -> str | None:
    """IsKnownSystemPriorityClass: None when `pc` is one of the built-ins, else why not."""
    name = _name(pc)
    for spc in SYSTEM_PRIORITY_CLASSES:
        if _name(spc) == name:
            if pc.get("value") != spc["value"]:
                return f"value of {name} PriorityClass must be {spc['value']}"
            if bool(pc.get("globalDefault")):
                return f"globalDefault of {name} PriorityClass must be false"
            return None
    return f"{name} is not a known system priority class"


def validate_priority_class(pc: Obj, old: Obj | None) -> list[FieldError]:
    """ValidatePriorityClass (and, with `old`, ValidatePriorityClassUpdate); metadata is
    checked by the caller."""
    errs: list[FieldError] = []
    if old is not None:
        if pc.get("value") != old.get("value"):
            errs.append(forbidden("value", "may not be changed in an update."))
        if pc.get("preemptionPolicy") != old.get("preemptionPolicy"):
            errs.append(
                invalid("preemptionPolicy", pc.get("preemptionPolicy"), "field is immutable")
            )
        return errs
    name = _name(pc)
    if name.startswith(SYSTEM_PREFIX):
        why = _known_system_class(pc)
        if why is not None:
            errs.append(
                forbidden(
                    "metadata.name",
                    f"priority class names with '{SYSTEM_PREFIX}' prefix are reserved for "
                    f"system use only. error: {why}",
                )
            )
    elif isinstance(pc.get("value"), int) and pc["value"] > HIGHEST_USER_DEFINABLE_PRIORITY:
        errs.append(
            forbidden(
                "value",
                "maximum allowed value of a user defined priority is "
                f"{HIGHEST_USER_DEFINABLE_PRIORITY}",
            )
        )
    policy = pc.get("preemptionPolicy")
    if policy is not None:
        if policy == "":
            errs.append(required("preemptionPolicy"))
        elif policy not in PREEMPTION_POLICIES:
            errs.append(not_supported("preemptionPolicy", policy, PREEMPTION_POLICIES))
    return errs
