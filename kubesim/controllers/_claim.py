"""ClaimPods (controller_ref_manager.go): which pods an owner controls, adopting orphans.

Shared by the DaemonSet and StatefulSet controllers.
"""

from __future__ import annotations

from collections.abc import Callable

from kubesim.core.objects import (
    Obj,
    controller_ref,
    deepcopy,
    deleting,
    labels,
    meta,
    owner_ref_to,
    selector_matches,
    uid,
)

from ._actions import Update


def claim_pods(
    owner: Obj, pods: list[Obj], *, may_adopt: Callable[[Obj], bool] = lambda pod: True
) -> tuple[list[Obj], list[Update]]:
    """ClaimPods: the owner's pods (by controller uid), adopting the orphans of its
    namespace that its selector matches (and `may_adopt` accepts) with an Update each."""
    selector = (owner.get("spec") or {}).get("selector")
    ns = meta(owner).get("namespace")
    mine: list[Obj] = []
    adoptions: list[Update] = []
    for pod in pods:
        if meta(pod).get("namespace") != ns:
            continue
        cref = controller_ref(pod)
        if cref is not None:
            if cref.get("uid") == uid(owner):
                mine.append(pod)
            continue
        if (
            not deleting(pod)
            and not deleting(owner)
            and selector_matches(selector, labels(pod))
            and may_adopt(pod)
        ):
            adopted = deepcopy(pod)
            meta(adopted).setdefault("ownerReferences", []).append(owner_ref_to(owner))
            adoptions.append(Update(adopted))
            mine.append(adopted)
    return mine, adoptions
