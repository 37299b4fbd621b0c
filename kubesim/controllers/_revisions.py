"""ControllerRevisions, shared by the DaemonSet and StatefulSet controllers
(pkg/controller/history): one revision `<owner>-<hash>` per pod template, whose data
is the template as a `$patch: replace` patch (what `kubectl rollout undo` applies)."""

from __future__ import annotations

from collections.abc import Callable

from kubesim.core.objects import (
    Obj,
    controller_ref,
    deepcopy,
    labels,
    meta,
    name,
    owner_ref_to,
    uid,
)

from ._actions import Action, Create, Update, delete_of


def revision_of(
    owner: Obj, hash_: str, number: int, *, hash_label: str, annotations: dict[str, str]
) -> Obj:
    spec = owner.get("spec") or {}
    template = deepcopy(spec.get("template") or {})
    template["$patch"] = "replace"
    template_labels = (spec.get("template") or {}).get("metadata", {}).get("labels") or {}
    revision_meta: Obj = {
        "name": f"{name(owner)}-{hash_}",
        "namespace": meta(owner).get("namespace"),
        "labels": {**template_labels, hash_label: hash_},
        "ownerReferences": [owner_ref_to(owner)],
    }
    if annotations:
        revision_meta["annotations"] = dict(annotations)
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": revision_meta,
        "data": {"spec": {"template": template}},
        "revision": number,
    }


def history_actions(
    owner: Obj,
    revisions: list[Obj],
    hash_: str,
    *,
    hash_label: str,
    in_use: Callable[[Obj], bool],
    annotations: dict[str, str] | None = None,
) -> list[Action]:
    """constructHistory + cleanupHistory: the current revision exists and is the newest;
    old revisions no pod uses (`in_use`) beyond revisionHistoryLimit go, oldest first."""
    mine = [r for r in revisions if (controller_ref(r) or {}).get("uid") == uid(owner)]
    actions: list[Action] = []
    newest = max((int(r.get("revision") or 0) for r in mine), default=0)
    current = next((r for r in mine if labels(r).get(hash_label) == hash_), None)
    if current is None:
        actions.append(
            Create(
                revision_of(
                    owner, hash_, newest + 1, hash_label=hash_label, annotations=annotations or {}
                )
            )
        )
    elif int(current.get("revision") or 0) < newest:
        bumped = deepcopy(current)
        bumped["revision"] = newest + 1
        actions.append(Update(bumped))
    limit = int((owner.get("spec") or {}).get("revisionHistoryLimit", 10))
    old = sorted(
        (r for r in mine if r is not current and not in_use(r)),
        key=lambda r: int(r.get("revision") or 0),
    )
    actions += [delete_of(r) for r in old[: max(len(old) - limit, 0)]]
    return actions
