"""The garbage collector's decision for one object: as a dependent, and as an owner.

Follows pkg/controller/garbagecollector (attemptToDeleteItem, processDeletingDependentsItem,
orphanDependents):

* background: a dependent all of whose owners are gone is deleted (Background); one whose
  remaining owners are all being deleted in the foreground is deleted in the Foreground so
  the owners' wait covers its own dependents;
* foreground: an owner being deleted with the ``foregroundDeletion`` finalizer deletes its
  dependents and keeps the finalizer while any dependent with ``blockOwnerDeletion: true``
  exists; then the finalizer goes (and with it, the owner);
* orphan: an owner being deleted with the ``orphan`` finalizer removes its ownerReference
  from every dependent, then the finalizer.

``owners`` maps each ownerReference uid to the live owner, ``None`` when the owner is known
to be gone (the caller has checked with a live read, as the real collector does), and
leaves out owners it cannot know about (kinds it does not follow): those count as present.
"""

from __future__ import annotations

from kubesim.core.objects import Obj, deepcopy, deleting, meta, uid, without_finalizer

from ._actions import Action, Decision, Update, delete_of

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def _finalizers(obj: Obj) -> list[str]:
    return list(meta(obj).get("finalizers") or [])


def _refs(obj: Obj) -> list[Obj]:
    return list(meta(obj).get("ownerReferences") or [])


def reconcile_gc(obj: Obj, *, owners: dict[str, Obj | None], dependents: list[Obj]) -> Decision:
    """What the collector does about ``obj`` now; ``dependents`` reference ``obj``'s uid."""
    if deleting(obj):
        if ORPHAN in _finalizers(obj):
            return Decision(_orphan(obj, dependents))
        if FOREGROUND in _finalizers(obj):
            return Decision(_foreground(obj, dependents))
        return Decision([])
    return Decision(_as_dependent(obj, owners))


def _as_dependent(obj: Obj, owners: dict[str, Obj | None]) -> list[Action]:
    refs = _refs(obj)
    if not refs:
        return []
    live: list[Obj] = []
    for ref in refs:
        rid = ref.get("uid", "")
        if rid not in owners:
            return []  # an owner we cannot see: assume it is there
        owner = owners[rid]
        if owner is not None:
            live.append(owner)
    if not live:
        return [delete_of(obj, propagation="Background")]
    waiting = [o for o in live if deleting(o) and FOREGROUND in _finalizers(o)]
    if len(waiting) == len(live):
        if deleting(obj):
            return []
        return [delete_of(obj, propagation="Foreground")]
    dangling = [r for r in refs if owners.get(r.get("uid", "")) is None]
    if dangling:
        # some owners gone, others alive: drop the dangling references (the real collector
        # patches them away) so the object is no longer half-owned by a ghost
        keep = deepcopy(obj)
        gone = {r.get("uid") for r in dangling}
        keep["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") not in gone]
        return [Update(keep)]
    return []


def _foreground(owner: Obj, dependents: list[Obj]) -> list[Action]:
    actions: list[Action] = []
    blocking = False
    for dep in dependents:
        ref = next((r for r in _refs(dep) if r.get("uid") == uid(owner)), None)
        if ref is None:
            continue
        if ref.get("blockOwnerDeletion"):
            blocking = True
        if not deleting(dep):
            actions.append(delete_of(dep, propagation="Foreground"))
    if not blocking:
        actions.append(Update(without_finalizer(owner, FOREGROUND)))
    return actions


def _orphan(owner: Obj, dependents: list[Obj]) -> list[Action]:
    actions: list[Action] = []
    for dep in dependents:
        refs = _refs(dep)
        rest = [r for r in refs if r.get("uid") != uid(owner)]
        if len(rest) == len(refs):
            continue
        freed = deepcopy(dep)
        if rest:
            freed["metadata"]["ownerReferences"] = rest
        else:
            freed["metadata"].pop("ownerReferences", None)
        actions.append(Update(freed))
    actions.append(Update(without_finalizer(owner, ORPHAN)))
    return actions
