"""The StatefulSet controller's decision (pkg/controller/statefulset), one pass at a time.

Pods are `<set>-<ordinal>` with a stable hostname (`subdomain` = serviceName) and one claim
per volumeClaimTemplate, `<template>-<pod>`, created before the pod and kept after it. With
the default OrderedReady policy a pass creates, replaces or deletes one pod and then waits
until every pod before it is Running and Ready: creation climbs from ordinal 0, scale-down
and the rolling update descend from the highest. `Parallel` does every pod at once.
Revisions are ControllerRevisions `<set>-<hash>`; a pod's `controller-revision-hash` names
its revision, and `status.currentRevision` moves to `updateRevision` once every pod runs
the update. Event wording: stateful_pod_control.go ("create Pod web-0 in StatefulSet web
successful", "create Claim www-web-0 Pod web-0 in StatefulSet web success").
persistentVolumeClaimRetentionPolicy is kept in the claims' ownerReferences, for the garbage
collector to act on (stateful_set_utils.go's updateClaimOwnerRefForSetAndPod): `whenDeleted:
Delete` makes the set the claims' controller, `whenScaled: Delete` makes a scaled-down pod
its claims' controller, so they go with it.
"""

from __future__ import annotations

import re
from datetime import datetime

from kubesim.core.objects import (
    Obj,
    deepcopy,
    deleting,
    labels,
    meta,
    name,
    owner_ref_to,
    phase,
    pod_available,
    pod_from_template,
    pod_ready,
)

from ._actions import Action, Create, Decision, Event, Update, UpdateStatus, delete_of
from ._actions import object_ref as ref
from ._claim import claim_pods
from ._hash import template_hash
from ._revisions import history_actions

REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
HASH_LABEL = "controller.kubernetes.io/hash"


def _spec(sts: Obj) -> Obj:
    return sts.get("spec") or {}


def _ordinal(sts: Obj, pod: Obj) -> int | None:
    match = re.fullmatch(re.escape(name(sts)) + r"-(\d+)", name(pod))
    return int(match.group(1)) if match else None


def _range(sts: Obj) -> range:
    start = int((_spec(sts).get("ordinals") or {}).get("start") or 0)
    return range(start, start + int(_spec(sts).get("replicas", 1)))


def _healthy(pod: Obj) -> bool:
    return phase(pod) == "Running" and pod_ready(pod) and not deleting(pod)


def _claim_name(template: Obj, pod_name: str) -> str:
    return f"{name(template)}-{pod_name}"


def _claims_for(sts: Obj, pod_name: str) -> list[Obj]:
    """getPersistentVolumeClaims: one claim per template, labelled with the set's selector."""
    out = []
    selector = (_spec(sts).get("selector") or {}).get("matchLabels") or {}
    for template in _spec(sts).get("volumeClaimTemplates") or []:
        tmeta = template.get("metadata") or {}
        out.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {
                    "name": _claim_name(template, pod_name),
                    "namespace": meta(sts).get("namespace"),
                    "labels": {**(tmeta.get("labels") or {}), **selector},
                    **({"annotations": tmeta["annotations"]} if tmeta.get("annotations") else {}),
                },
                "spec": deepcopy(template.get("spec") or {}),
            }
        )
    return out


def _new_pod(sts: Obj, ordinal: int, revision: str) -> Obj:
    """newVersionedStatefulSetPod: GetPodFromTemplate, then the pod's identity (name,
    labels, hostname and subdomain) and one claim volume per template."""
    pod = pod_from_template(sts)
    pod_name = f"{name(sts)}-{ordinal}"
    pod_meta = pod["metadata"]
    del pod_meta["generateName"]
    pod_meta["name"] = pod_name
    pod_meta["labels"].update(
        {POD_NAME_LABEL: pod_name, POD_INDEX_LABEL: str(ordinal), REVISION_LABEL: revision}
    )
    spec = pod["spec"]
    spec["hostname"] = pod_name
    if _spec(sts).get("serviceName"):
        spec["subdomain"] = _spec(sts)["serviceName"]
    templates = _spec(sts).get("volumeClaimTemplates") or []
    claimed = {name(t) for t in templates}
    volumes = [v for v in spec.get("volumes") or [] if v.get("name") not in claimed]
    volumes += [
        {"name": name(t), "persistentVolumeClaim": {"claimName": _claim_name(t, pod_name)}}
        for t in templates
    ]
    if volumes:
        spec["volumes"] = volumes
    return pod


def _create(sts: Obj, ordinal: int, revision: str, claims: dict[str, Obj]) -> list[Action]:
    pod = _new_pod(sts, ordinal, revision)
    pod_name = name(pod)
    actions: list[Action] = []
    for claim in _claims_for(sts, pod_name):
        if name(claim) not in claims:
            message = (
                f"create Claim {name(claim)} Pod {pod_name} in StatefulSet {name(sts)} success"
            )
            actions.append(
                Create(claim, events=(Event(ref(sts), "Normal", "SuccessfulCreate", message),))
            )
    message = f"create Pod {pod_name} in StatefulSet {name(sts)} successful"
    actions.append(Create(pod, events=(Event(ref(sts), "Normal", "SuccessfulCreate", message),)))
    return actions


def _delete(sts: Obj, pod: Obj) -> Action:
    message = f"delete Pod {name(pod)} in StatefulSet {name(sts)} successful"
    return delete_of(pod, events=(Event(ref(sts), "Normal", "SuccessfulDelete", message),))


def _history(sts: Obj, revisions: list[Obj], pods: list[Obj], hash_: str) -> list[Action]:
    """The set's revisions; one is in use while a pod or currentRevision names it."""
    names = {labels(p).get(REVISION_LABEL) for p in pods}
    names.add((sts.get("status") or {}).get("currentRevision"))
    return history_actions(
        sts, revisions, hash_, hash_label=HASH_LABEL, in_use=lambda r: name(r) in names
    )


def _current_set(sts: Obj, revisions: list[Obj], current_rev: str) -> Obj | None:
    """The set as its current revision had it (ApplyRevision: that revision's template)."""
    revision = next((r for r in revisions if name(r) == current_rev), None)
    template = (((revision or {}).get("data") or {}).get("spec") or {}).get("template")
    if not isinstance(template, dict):
        return None
    current = deepcopy(sts)
    current["spec"]["template"] = {k: v for k, v in template.items() if k != "$patch"}
    return current


def _versioned(
    sts: Obj, ordinal: int, update_rev: str, current: tuple[Obj, str] | None
) -> tuple[Obj, str]:
    """newVersionedStatefulSetPod: below the partition (or, without a rollingUpdate, below
    currentReplicas) a pod is made from the current revision, so a deleted pod below the
    partition comes back as it was; otherwise from the update revision. OnDelete always
    takes the update."""
    strategy = _spec(sts).get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    status = sts.get("status") or {}
    # Go's `a && b || c`: the partition clause holds whatever the strategy's type
    keep = (
        strategy.get("type", "RollingUpdate") == "RollingUpdate"
        and rolling is None
        and ordinal < int(status.get("currentReplicas") or 0)
    ) or (rolling is not None and ordinal < int(rolling.get("partition") or 0))
    if keep and current is not None:
        return current
    return sts, update_rev


def _pod_actions(
    sts: Obj,
    by_ordinal: dict[int, Obj],
    claims: dict[str, Obj],
    update_rev: str,
    current: tuple[Obj, str] | None = None,
) -> list[Action]:
    """Create, replace and scale down, in the order the policy allows."""
    ordered = (_spec(sts).get("podManagementPolicy") or "OrderedReady") == "OrderedReady"
    wanted = _range(sts)
    actions: list[Action] = []
    for ordinal in wanted:
        pod = by_ordinal.get(ordinal)
        if pod is None:
            source, revision = _versioned(sts, ordinal, update_rev, current)
            actions += _create(source, ordinal, revision, claims)
            if ordered:
                return actions
            continue
        if phase(pod) in ("Failed", "Succeeded") and not deleting(pod):
            actions.append(_delete(sts, pod))  # recreated on the next pass
            if ordered:
                return actions
            continue
        missing = [c for c in _claims_for(sts, name(pod)) if name(c) not in claims]
        if missing:
            actions += [Create(c) for c in missing]
        if ordered and not _healthy(pod):
            return actions  # wait for it before touching the next ordinal
    condemned = sorted((o for o in by_ordinal if o not in wanted), reverse=True)
    for ordinal in condemned:
        pod = by_ordinal[ordinal]
        if deleting(pod):
            if ordered:
                return actions
            continue
        if ordered and any(not _healthy(by_ordinal[o]) for o in by_ordinal if o != ordinal):
            return actions
        actions.append(_delete(sts, pod))
        if ordered:
            return actions
    return actions


def claim_owners(sts: Obj, claim: Obj, pod: Obj, ordinal: int) -> list[Obj]:
    """updateClaimOwnerRefForSetAndPod: the claim's ownerReferences as the set's retention
    policy wants them. Refs to the set and the pod are rebuilt as controller refs; another
    controller on the claim is left alone (and then neither is added)."""
    ours = {meta(sts).get("uid"), meta(pod).get("uid")}
    refs = [r for r in meta(claim).get("ownerReferences") or [] if r.get("uid") not in ours]
    if any(r.get("controller") for r in refs):
        return refs
    policy = _spec(sts).get("persistentVolumeClaimRetentionPolicy") or {}
    scaled = policy.get("whenScaled") == "Delete"
    deleted = policy.get("whenDeleted") == "Delete"
    scaled_down = ordinal not in _range(sts)
    if scaled and scaled_down:
        return [*refs, owner_ref_to(pod)]
    if deleted:
        return [*refs, owner_ref_to(sts)]
    return refs


def _retention(sts: Obj, by_ordinal: dict[int, Obj], claims: dict[str, Obj]) -> list[Action]:
    """Claims whose owners do not follow the retention policy yet, updated."""
    actions: list[Action] = []
    for ordinal, pod in sorted(by_ordinal.items()):
        for wanted in _claims_for(sts, name(pod)):
            claim = claims.get(name(wanted))
            if claim is None or deleting(claim):
                continue
            refs = claim_owners(sts, claim, pod, ordinal)
            if refs != (meta(claim).get("ownerReferences") or []):
                body = deepcopy(claim)
                body["metadata"]["ownerReferences"] = refs
                actions.append(Update(body))
    return actions


def _rolling_update(sts: Obj, by_ordinal: dict[int, Obj], update_rev: str) -> list[Action]:
    """From the highest ordinal down to the partition: replace one outdated pod, after every
    pod is Running and Ready."""
    strategy = _spec(sts).get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return []
    partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
    wanted = _range(sts)
    if any(not _healthy(by_ordinal[o]) for o in wanted if o in by_ordinal):
        return []
    for ordinal in sorted(wanted, reverse=True):
        if ordinal < partition:
            break
        pod = by_ordinal.get(ordinal)
        if pod is not None and labels(pod).get(REVISION_LABEL) != update_rev:
            return [_delete(sts, pod)]
    return []


def _status(sts: Obj, mine: list[Obj], update_rev: str, now: datetime) -> Obj:
    old = sts.get("status") or {}
    current_rev = old.get("currentRevision") or update_rev
    live = [p for p in mine if not deleting(p)]
    min_ready = int(_spec(sts).get("minReadySeconds") or 0)
    status: Obj = {
        "observedGeneration": meta(sts).get("generation"),
        "replicas": len(live),
        "readyReplicas": sum(pod_ready(p) for p in live),
        "availableReplicas": sum(pod_available(p, min_ready, now) for p in live),
        "currentReplicas": sum(labels(p).get(REVISION_LABEL) == current_rev for p in live),
        "updatedReplicas": sum(labels(p).get(REVISION_LABEL) == update_rev for p in live),
        "currentRevision": current_rev,
        "updateRevision": update_rev,
        "collisionCount": int(old.get("collisionCount") or 0),
    }
    desired = len(_range(sts))
    if (
        status["updatedReplicas"] == desired
        and status["readyReplicas"] == desired
        and status["replicas"] == desired
    ):
        status["currentRevision"] = update_rev
        status["currentReplicas"] = status["updatedReplicas"]
    return {k: v for k, v in status.items() if v or k in ("replicas", "collisionCount")}


def reconcile_statefulset(
    sts: Obj, pods: list[Obj], claims: list[Obj], revisions: list[Obj], *, now: datetime
) -> Decision:
    """One sync pass: history, pods (create / replace / scale down / roll), then status."""
    if deleting(sts):
        return Decision()
    # getStatefulSetRevisions always hashes with a collision count (0 until a collision)
    hash_ = template_hash(
        _spec(sts).get("template") or {}, int((sts.get("status") or {}).get("collisionCount") or 0)
    )
    update_rev = f"{name(sts)}-{hash_}"
    mine, adoptions = claim_pods(sts, pods, may_adopt=lambda pod: _ordinal(sts, pod) is not None)
    actions: list[Action] = list(adoptions)
    actions += _history(sts, revisions, mine, hash_)
    by_ordinal = {o: p for p in mine if (o := _ordinal(sts, p)) is not None}
    claim_names = {
        name(c): c for c in claims if meta(c).get("namespace") == meta(sts).get("namespace")
    }
    actions += _retention(sts, by_ordinal, claim_names)  # before a condemned pod goes
    current_rev = (sts.get("status") or {}).get("currentRevision") or update_rev
    current_set = _current_set(sts, revisions, current_rev)
    current = (current_set, current_rev) if current_set is not None else None
    pod_actions = _pod_actions(sts, by_ordinal, claim_names, update_rev, current)
    if not pod_actions:
        pod_actions = _rolling_update(sts, by_ordinal, update_rev)
    actions += pod_actions
    status = _status(sts, mine, update_rev, now)
    if status != (sts.get("status") or {}):
        updated = deepcopy(sts)
        updated["status"] = status
        actions.append(UpdateStatus(updated))
    min_ready = int(_spec(sts).get("minReadySeconds") or 0)
    requeue = (
        float(min_ready)
        if min_ready and status.get("readyReplicas", 0) != status.get("availableReplicas", 0)
        else None
    )
    return Decision(actions, requeue)
