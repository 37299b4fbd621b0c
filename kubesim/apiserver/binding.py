"""POST pods/{name}/binding, as BindingREST in pkg/registry/core/pod/storage has it: the
scheduler's one write. Pure functions: the Api reads the pod and stores the result.

A Binding sets spec.nodeName only when it is unset, merges the Binding's annotations and
sets PodScheduled=True; anything else is a 409 on `pods/binding` with the real reason.
The Binding's metadata.uid / resourceVersion, when given, are preconditions.
"""

from __future__ import annotations

from typing import Any

from kubesim.core.errors import MODIFIED, ApiError, BadRequest, conflict, invalid
from kubesim.core.objects import deepcopy

Obj = dict[str, Any]


def check_binding(pod_name: str, binding: Any) -> None:
    """The Binding body's own validation (400/422), before the pod is read."""
    if not isinstance(binding, dict):
        raise BadRequest("the object provided is unrecognized (must be of type Binding)")
    bmeta = binding.get("metadata") or {}
    if bmeta.get("name") and bmeta["name"] != pod_name:
        raise BadRequest("the name of the object does not match the name on the URL")
    target = binding.get("target") or {}
    if target.get("kind") not in (None, "", "Node"):
        raise invalid(
            "Binding",
            pod_name,
            [
                {
                    "reason": "FieldValueNotSupported",
                    "message": f'Unsupported value: "{target["kind"]}": supported '
                    'values: "Node", ""',
                    "field": "target.kind",
                }
            ],
        )
    if not target.get("name"):
        raise invalid(
            "Binding",
            pod_name,
            [{"reason": "FieldValueRequired", "message": "Required value", "field": "target.name"}],
        )


def bound_pod(stored: Obj, revision: str, binding: Obj, *, now: str) -> Obj:
    """The pod after `binding` (a copy), or the 409 the real server answers."""
    pod = deepcopy(stored)
    bmeta = binding.get("metadata") or {}
    meta, spec = pod["metadata"], pod.setdefault("spec", {})
    pod_name = meta["name"]

    def refuse(why: str) -> ApiError:
        return conflict("pods/binding", pod_name, why)

    if bmeta.get("uid") and bmeta["uid"] != meta.get("uid"):
        raise refuse(
            f"Precondition failed: UID in precondition: {bmeta['uid']}, "
            f"UID in object meta: {meta.get('uid')}"
        )
    if bmeta.get("resourceVersion") and bmeta["resourceVersion"] != revision:
        raise refuse(MODIFIED)
    if meta.get("deletionTimestamp"):
        raise refuse(f"pod {pod_name} is being deleted, cannot be assigned to a host")
    if spec.get("nodeName"):
        raise refuse(f'pod {pod_name} is already assigned to node "{spec["nodeName"]}"')
    if spec.get("schedulingGates"):
        raise refuse(f"pod {pod_name} has non-empty .spec.schedulingGates")
    spec["nodeName"] = binding["target"]["name"]
    if bmeta.get("annotations"):
        meta.setdefault("annotations", {}).update(bmeta["annotations"])
    conditions = pod.setdefault("status", {}).setdefault("conditions", [])
    scheduled = {
        "type": "PodScheduled",
        **({"observedGeneration": meta["generation"]} if meta.get("generation") else {}),
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": now,
    }
    for i, cond in enumerate(conditions):
        if cond.get("type") == "PodScheduled":
            if cond.get("status") == "True":
                scheduled["lastTransitionTime"] = cond.get("lastTransitionTime")
            conditions[i] = {**cond, **scheduled}
            break
    else:
        conditions.append(scheduled)
    return pod
