"""The deployment controller's decision: one sync of a Deployment, as intended changes.

Follows pkg/controller/deployment (syncDeployment, sync.go, rolling.go, recreate.go,
progress.go).  A pass works on copies: the replica sets it would create or scale and the
Deployment status it would write are collected, then returned as one Create/Update per
replica set, one UpdateStatus for the Deployment, and the Events the real controller
records.  The revision annotation of the Deployment travels in that UpdateStatus: the
real deployment status strategy keeps metadata.annotations from a status update.

Rollback (``kubectl rollout undo``) and restart are template patches by kubectl; here they
are nothing special: the template changed, so a new (or an old, re-used) RS becomes new.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kubesim.core.objects import (
    Obj,
    controller_ref,
    deepcopy,
    deleting,
    fmt_time,
    get_condition,
    labels,
    meta,
    name,
    owner_ref_to,
    parse_time,
    phase,
    selector_matches,
    uid,
)

from . import _deployment_util as du
from ._actions import Action, Create, Decision, Emit, Event, Update, UpdateStatus, delete_of
from ._actions import object_ref as ref
from ._hash import template_hash


class _Pass:
    """Working state of one sync: copies to mutate, and what must be written at the end."""

    def __init__(self, d: Obj, rss: list[Obj], pods: list[Obj], now: datetime) -> None:
        self.original = d
        self.d = deepcopy(d)
        self.d.setdefault("status", {})
        self.now = now
        self.rss: dict[str, Obj] = {name(rs): deepcopy(rs) for rs in rss}
        self.pristine: dict[str, Obj] = {name(rs): rs for rs in rss}
        self.created: list[str] = []
        self.deleted: list[Obj] = []
        self.events: list[Event] = []
        self.pods = pods

    # -- bookkeeping --

    def event(self, etype: Any, reason: str, message: str) -> None:
        self.events.append(Event(ref(self.original), etype, reason, message))

    def all_rss(self) -> list[Obj]:
        gone = {name(rs) for rs in self.deleted}
        return [rs for n, rs in self.rss.items() if n not in gone]

    def actions(self, requeue: float | None) -> Decision:
        out: list[Action] = []
        for n in self.created:
            out.append(Create(self.rss[n]))
        for n, rs in self.rss.items():
            if n not in self.created and rs != self.pristine[n]:
                out.append(Update(rs))
        out.extend(delete_of(rs) for rs in self.deleted)
        d = self.d
        if d.get("status") != (self.original.get("status") or {}) or meta(d).get(
            "annotations"
        ) != meta(self.original).get("annotations"):
            out.append(UpdateStatus(d))
        out.extend(Emit(e) for e in self.events)
        return Decision(out, requeue)


def reconcile_deployment(
    d: Obj, replica_sets: list[Obj], pods: list[Obj], *, now: datetime
) -> Decision:
    """One syncDeployment pass.

    ``replica_sets`` and ``pods`` are everything in the Deployment's namespace (they are
    claimed here by selector and controller ownerReference, like ClaimReplicaSets).
    Returns the actions and, while a rollout is in progress under a progress deadline, when
    to look again so the deadline is noticed.
    """
    p = _Pass(d, [], pods, now)
    sel = (d.get("spec") or {}).get("selector")
    if sel == {} or sel is None:
        p.event(
            "Warning",
            "SelectingAll",
            "This deployment is selecting all pods. A non-empty selector is required.",
        )
        _set_observed(p)
        return p.actions(None)

    owned, claim_actions = _claim(d, replica_sets)
    p.rss = {name(rs): deepcopy(rs) for rs in owned}
    p.pristine = {name(rs): rs for rs in owned}

    if deleting(d):
        new_rs, old_rss = _get_all(p, create=False)
        _sync_status(p, new_rs, old_rss)
        return _with(claim_actions, p.actions(None))

    _check_paused(p)
    if (d.get("spec") or {}).get("paused"):
        _sync(p)
        return _with(claim_actions, p.actions(None))
    if _is_scaling_event(p):
        _sync(p)
        return _with(claim_actions, p.actions(None))
    requeue = _rollout_rolling(p) if du.is_rolling(d) else _rollout_recreate(p)
    return _with(claim_actions, p.actions(requeue))


def _with(first: list[Action], decision: Decision) -> Decision:
    return Decision(first + decision.actions, decision.requeue_after)


def _set_observed(p: _Pass) -> None:
    st = p.d["status"]
    gen = int(meta(p.d).get("generation") or 0)
    if int(st.get("observedGeneration") or 0) < gen:
        st["observedGeneration"] = gen


def _claim(d: Obj, rss: list[Obj]) -> tuple[list[Obj], list[Action]]:
    """ClaimReplicaSets: keep ours that match, adopt matching orphans, release the rest."""
    sel = (d.get("spec") or {}).get("selector")
    owned: list[Obj] = []
    actions: list[Action] = []
    for rs in rss:
        if meta(rs).get("namespace") != meta(d).get("namespace"):
            continue
        cref = controller_ref(rs)
        matches = selector_matches(sel, labels(rs))
        if cref is not None:
            if cref.get("uid") != uid(d):
                continue
            if matches or deleting(d):
                owned.append(rs)
            else:
                released = deepcopy(rs)
                meta(released)["ownerReferences"] = [
                    r for r in meta(rs).get("ownerReferences") or [] if r.get("uid") != uid(d)
                ]
                actions.append(Update(released))
            continue
        if matches and not deleting(d) and not deleting(rs):
            adopted = deepcopy(rs)
            meta(adopted).setdefault("ownerReferences", []).append(owner_ref_to(d))
            actions.append(Update(adopted))
            owned.append(adopted)
    return owned, actions


# --- revisions and the new replica set --------------------------------------------------


def _get_all(p: _Pass, *, create: bool) -> tuple[Obj | None, list[Obj]]:
    """getAllReplicaSetsAndSyncRevision."""
    d = p.d
    rss = p.all_rss()
    new_rs = du.find_new_rs(d, rss)
    old_rss = [rs for rs in rss if new_rs is None or name(rs) != name(new_rs)]
    max_old = max((du.revision(rs) for rs in old_rss), default=0)
    new_revision = str(max_old + 1)
    deadline = du.progress_deadline(d)
    if new_rs is not None:
        du.set_new_rs_annotations(d, new_rs, new_revision, exists=True)
        new_rs.setdefault("spec", {})
        if du.min_ready_seconds(new_rs) != du.min_ready_seconds(d):
            new_rs["spec"]["minReadySeconds"] = du.min_ready_seconds(d)
        _set_deployment_revision(d, meta(new_rs).get("annotations", {}).get(du.REVISION, ""))
        if (
            deadline is not None
            and get_condition(d["status"].get("conditions") or [], "Progressing") is None
        ):
            du.set_condition(
                d["status"],
                du.new_condition(
                    "Progressing",
                    "True",
                    du.FOUND_NEW_RS,
                    f'Found new replica set "{name(new_rs)}"',
                    p.now,
                ),
            )
        return new_rs, old_rss
    if not create:
        return None, old_rss
    new_rs = _new_replica_set(d, old_rss, new_revision)
    n = name(new_rs)
    if n in p.rss:
        # Hash collision with a replica set that is not ours (or another template).
        d["status"]["collisionCount"] = int(d["status"].get("collisionCount") or 0) + 1
        return None, old_rss
    p.rss[n] = new_rs
    p.created.append(n)
    count = du.replicas(new_rs)
    if count > 0:
        p.event("Normal", "ScalingReplicaSet", f"Scaled up replica set {n} to {count}")
    _set_deployment_revision(d, new_revision)
    if deadline is not None:
        du.set_condition(
            d["status"],
            du.new_condition(
                "Progressing", "True", du.NEW_RS_CREATED, f'Created new replica set "{n}"', p.now
            ),
        )
    return new_rs, old_rss


def _new_replica_set(d: Obj, old_rss: list[Obj], new_revision: str) -> Obj:
    spec = d.get("spec") or {}
    template = deepcopy(spec.get("template") or {})
    collision = (d.get("status") or {}).get("collisionCount")
    h = template_hash(template, collision)
    tmeta = template.setdefault("metadata", {})
    tmeta["labels"] = {**(tmeta.get("labels") or {}), du.HASH_LABEL: h}
    selector = deepcopy(spec.get("selector") or {})
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), du.HASH_LABEL: h}
    rs: Obj = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{name(d)}-{h}",
            "namespace": meta(d).get("namespace"),
            "labels": dict(tmeta["labels"]),
            "ownerReferences": [owner_ref_to(d)],
        },
        "spec": {
            "replicas": 0,
            "minReadySeconds": du.min_ready_seconds(d),
            "selector": selector,
            "template": template,
        },
    }
    rs["spec"]["replicas"] = du.new_rs_new_replicas(d, [*old_rss, rs], rs)
    du.set_new_rs_annotations(d, rs, new_revision, exists=False)
    return rs


def _set_deployment_revision(d: Obj, revision: str) -> bool:
    ann = meta(d).setdefault("annotations", {})
    if ann.get(du.REVISION) != revision:
        ann[du.REVISION] = revision
        return True
    return False


# --- scaling ----------------------------------------------------------------------------


def _scale_rs(p: _Pass, rs: Obj, new_scale: int, operation: str | None = None) -> bool:
    """scaleReplicaSet: set size and replica annotations; event when the size changed."""
    d = p.d
    old = du.replicas(rs)
    size_changes = old != new_scale
    want_max = du.replicas(d) + du.max_surge(d)
    if not size_changes and not du.replicas_annotations_need_update(rs, du.replicas(d), want_max):
        return False
    rs.setdefault("spec", {})["replicas"] = new_scale
    du.set_replicas_annotations(rs, du.replicas(d), want_max)
    if size_changes:
        op = operation or ("up" if old < new_scale else "down")
        p.event(
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {op} replica set {name(rs)} to {new_scale} from {old}",
        )
    return size_changes


def _scale_and_record(p: _Pass, rs: Obj, new_scale: int) -> bool:
    if du.replicas(rs) == new_scale:
        return False
    return _scale_rs(p, rs, new_scale)


def _is_scaling_event(p: _Pass) -> bool:
    new_rs, old_rss = _get_all(p, create=False)
    for rs in du.active([*old_rss, new_rs] if new_rs else old_rss):
        desired = meta(rs).get("annotations", {}).get(du.DESIRED_REPLICAS)
        if desired is None:
            continue
        try:
            if int(desired) != du.replicas(p.d):
                return True
        except ValueError:
            continue
    return False


def _sync(p: _Pass) -> None:
    """sync: scaling events and paused deployments; no rollout progress is estimated."""
    new_rs, old_rss = _get_all(p, create=False)
    _scale(p, new_rs, old_rss)
    if (p.d.get("spec") or {}).get("paused"):
        _cleanup(p, old_rss)
    _sync_status(p, new_rs, old_rss)


def _scale(p: _Pass, new_rs: Obj | None, old_rss: list[Obj]) -> None:
    """Proportional scaling (scale() in sync.go)."""
    d = p.d
    actives = du.active([*old_rss, new_rs] if new_rs else old_rss)
    if len(actives) == 0:
        latest = new_rs or (sorted(old_rss, key=du.by_creation)[-1] if old_rss else None)
        if latest is not None and du.replicas(latest) != du.replicas(d):
            _scale_and_record(p, latest, du.replicas(d))
        return
    if len(actives) == 1:
        if du.replicas(actives[0]) != du.replicas(d):
            _scale_and_record(p, actives[0], du.replicas(d))
        return
    if du.is_saturated(d, new_rs):
        for old in du.active(old_rss):
            _scale_and_record(p, old, 0)
        return
    if not du.is_rolling(d):
        return
    total = du.spec_sum(actives)
    allowed = du.replicas(d) + du.max_surge(d) if du.replicas(d) > 0 else 0
    to_add = allowed - total
    operation = ""
    if to_add > 0:
        # larger first; among equals the newer first
        actives.sort(key=lambda rs: (-du.replicas(rs), _neg_time(rs)))
        operation = "up"
    elif to_add < 0:
        actives.sort(key=lambda rs: (-du.replicas(rs), du.by_creation(rs)))
        operation = "down"
    added = 0
    sizes: dict[str, int] = {}
    for rs in actives:
        if to_add != 0:
            prop = du.proportion(rs, d, to_add, added)
            sizes[name(rs)] = du.replicas(rs) + prop
            added += prop
        else:
            sizes[name(rs)] = du.replicas(rs)
    for i, rs in enumerate(actives):
        if i == 0 and to_add != 0:
            sizes[name(rs)] = max(0, sizes[name(rs)] + to_add - added)
        _scale_rs(p, rs, sizes[name(rs)], operation)


def _neg_time(rs: Obj) -> tuple[float, str]:
    t, n = du.by_creation(rs)
    return (-t.timestamp() if t.year > 1 else float("inf"), n)


def _cleanup(p: _Pass, old_rss: list[Obj]) -> None:
    """cleanupDeployment: delete the oldest scaled-down RSs beyond revisionHistoryLimit."""
    limit = du.revision_history_limit(p.d)
    if limit is None:
        return
    cleanable = [rs for rs in old_rss if not deleting(rs)]
    diff = len(cleanable) - limit
    if diff <= 0:
        return
    cleanable.sort(key=lambda rs: (du.revision(rs), du.by_creation(rs)))
    for rs in cleanable[:diff]:
        st = rs.get("status") or {}
        if (
            int(st.get("replicas") or 0) != 0
            or du.replicas(rs) != 0
            or int(meta(rs).get("generation") or 0) > int(st.get("observedGeneration") or 0)
        ):
            continue
        p.deleted.append(p.pristine.get(name(rs), rs))


# --- rolling update ---------------------------------------------------------------------


def _rollout_rolling(p: _Pass) -> float | None:
    new_rs, old_rss = _get_all(p, create=True)
    if new_rs is None:  # hash collision: status carries the bumped collisionCount
        return 0.0
    all_rss = [*old_rss, new_rs]
    if _reconcile_new_rs(p, all_rss, new_rs):
        return _sync_rollout_status(p, new_rs, old_rss)
    if _reconcile_old_rss(p, all_rss, du.active(old_rss), new_rs):
        return _sync_rollout_status(p, new_rs, old_rss)
    if du.deployment_complete(p.d, p.d["status"]):
        _cleanup(p, old_rss)
    return _sync_rollout_status(p, new_rs, old_rss)


def _reconcile_new_rs(p: _Pass, all_rss: list[Obj], new_rs: Obj) -> bool:
    want = du.replicas(p.d)
    if du.replicas(new_rs) == want:
        return False
    if du.replicas(new_rs) > want:
        return _scale_and_record(p, new_rs, want)
    return _scale_and_record(p, new_rs, du.new_rs_new_replicas(p.d, all_rss, new_rs))


def _reconcile_old_rss(p: _Pass, all_rss: list[Obj], old_rss: list[Obj], new_rs: Obj) -> bool:
    d = p.d
    if du.spec_sum(old_rss) == 0:
        return False
    all_count = du.spec_sum(all_rss)
    min_available = du.replicas(d) - du.max_unavailable(d)
    new_unavailable = du.replicas(new_rs) - du.status_int(new_rs, "availableReplicas")
    max_scaled_down = all_count - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    cleaned = _cleanup_unhealthy(p, old_rss, max_scaled_down)
    scaled = _scale_down_old(p, [*old_rss, new_rs], old_rss)
    return cleaned + scaled > 0


def _cleanup_unhealthy(p: _Pass, old_rss: list[Obj], max_cleanup: int) -> int:
    total = 0
    for rs in sorted(old_rss, key=du.by_creation):
        if total >= max_cleanup:
            break
        if du.replicas(rs) == 0:
            continue
        available = du.status_int(rs, "availableReplicas")
        if du.replicas(rs) == available:
            continue
        count = min(max_cleanup - total, du.replicas(rs) - available)
        _scale_and_record(p, rs, du.replicas(rs) - count)
        total += count
    return total


def _scale_down_old(p: _Pass, all_rss: list[Obj], old_rss: list[Obj]) -> int:
    d = p.d
    min_available = du.replicas(d) - du.max_unavailable(d)
    available = du.status_sum(all_rss, "availableReplicas")
    if available <= min_available:
        return 0
    total, budget = 0, available - min_available
    for rs in sorted(old_rss, key=du.by_creation):
        if total >= budget:
            break
        if du.replicas(rs) == 0:
            continue
        count = min(du.replicas(rs), budget - total)
        _scale_and_record(p, rs, du.replicas(rs) - count)
        total += count
    return total


# --- recreate ---------------------------------------------------------------------------


def _rollout_recreate(p: _Pass) -> float | None:
    new_rs, old_rss = _get_all(p, create=False)
    scaled_down = False
    for rs in du.active(old_rss):
        if _scale_and_record(p, rs, 0):
            scaled_down = True
    if scaled_down or _old_pods_running(p, new_rs, old_rss):
        return _sync_rollout_status(p, new_rs, old_rss)
    if new_rs is None:
        new_rs, old_rss = _get_all(p, create=True)
        if new_rs is None:
            return 0.0
    _scale_and_record(p, new_rs, du.replicas(p.d))
    if du.deployment_complete(p.d, p.d["status"]):
        _cleanup(p, old_rss)
    return _sync_rollout_status(p, new_rs, old_rss)


def _old_pods_running(p: _Pass, new_rs: Obj | None, old_rss: list[Obj]) -> bool:
    if du.status_sum(old_rss, "replicas") > 0:
        return True
    old_uids = {uid(rs) for rs in old_rss if uid(rs)}
    for pod in p.pods:
        cref = controller_ref(pod)
        if cref is None or cref.get("uid") not in old_uids:
            continue
        if new_rs is not None and cref.get("uid") == uid(new_rs):
            continue
        if phase(pod) in ("Failed", "Succeeded"):
            continue
        return True
    return False


# --- status -----------------------------------------------------------------------------


def _calculate_status(p: _Pass, new_rs: Obj | None, old_rss: list[Obj]) -> Obj:
    d = p.d
    all_rss = [*old_rss, new_rs] if new_rs else old_rss
    available = du.status_sum(all_rss, "availableReplicas")
    total = du.spec_sum(all_rss)
    prev = d.get("status") or {}
    status: Obj = {
        "observedGeneration": int(meta(d).get("generation") or 0),
        "replicas": du.status_sum(all_rss, "replicas"),
        "updatedReplicas": du.status_int(new_rs, "replicas") if new_rs else 0,
        "readyReplicas": du.status_sum(all_rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total - available),
        "collisionCount": prev.get("collisionCount"),
        "conditions": [dict(c) for c in prev.get("conditions") or []],
    }
    if available >= du.replicas(d) - du.max_unavailable(d):
        cond = du.new_condition(
            "Available", "True", du.MIN_AVAILABLE, "Deployment has minimum availability.", p.now
        )
    else:
        cond = du.new_condition(
            "Available",
            "False",
            du.MIN_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            p.now,
        )
    du.set_condition(status, cond)
    return status


def _wire(status: Obj) -> Obj:
    """Drop omitempty zero values, as the API serialises DeploymentStatus."""
    return {k: v for k, v in status.items() if v not in (0, None, [])}


def _sync_status(p: _Pass, new_rs: Obj | None, old_rss: list[Obj]) -> None:
    p.d["status"] = _wire(_calculate_status(p, new_rs, old_rss))


def _sync_rollout_status(p: _Pass, new_rs: Obj | None, old_rss: list[Obj]) -> float | None:
    """syncRolloutStatus plus the requeue time requeueStuckDeployment would pick."""
    d = p.d
    before = p.original.get("status") or {}
    new = _calculate_status(p, new_rs, old_rss)
    deadline = du.progress_deadline(d)
    if deadline is None:
        du.remove_condition(new, "Progressing")
    current = get_condition(d["status"].get("conditions") or [], "Progressing")
    complete_already = (
        int(new.get("replicas") or 0) == int(new.get("updatedReplicas") or 0)
        and current is not None
        and current.get("reason") == du.NEW_RS_AVAILABLE
    )
    if deadline is not None and not complete_already:
        rs_name = name(new_rs) if new_rs else None
        subject = f'ReplicaSet "{rs_name}"' if rs_name else f'Deployment "{name(d)}"'
        if du.deployment_complete(d, new):
            du.set_condition(
                new,
                du.new_condition(
                    "Progressing",
                    "True",
                    du.NEW_RS_AVAILABLE,
                    f"{subject} has successfully progressed.",
                    p.now,
                ),
            )
        elif du.deployment_progressing(p.original, new):
            cond = du.new_condition(
                "Progressing", "True", du.RS_UPDATED, f"{subject} is progressing.", p.now
            )
            if current is not None:
                if current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime")
                du.remove_condition(new, "Progressing")
            du.set_condition(new, cond)
        elif du.deployment_timed_out(d, new, p.now):
            du.set_condition(
                new,
                du.new_condition(
                    "Progressing",
                    "False",
                    du.TIMED_OUT,
                    f"{subject} has timed out progressing.",
                    p.now,
                ),
            )
    failures = _replica_failures(new_rs, old_rss)
    if failures:
        du.set_condition(new, failures[0])
    else:
        du.remove_condition(new, "ReplicaFailure")
    d["status"] = _wire(new)
    del before
    return _requeue(p, d["status"])


def _replica_failures(new_rs: Obj | None, old_rss: list[Obj]) -> list[Obj]:
    out = []
    for rs in [new_rs] if new_rs else []:
        out += [
            c
            for c in (rs.get("status") or {}).get("conditions") or []
            if c.get("type") == "ReplicaFailure"
        ]
    if not out:
        for rs in old_rss:
            out += [
                c
                for c in (rs.get("status") or {}).get("conditions") or []
                if c.get("type") == "ReplicaFailure"
            ]
    return [
        {
            "type": "ReplicaFailure",
            "status": c.get("status"),
            "lastUpdateTime": c.get("lastTransitionTime"),
            "lastTransitionTime": c.get("lastTransitionTime"),
            "reason": c.get("reason"),
            "message": c.get("message"),
        }
        for c in out
    ]


def _requeue(p: _Pass, status: Obj) -> float | None:
    """requeueStuckDeployment: when the progress deadline of a live rollout falls due."""
    deadline = du.progress_deadline(p.d)
    cond = get_condition(status.get("conditions") or [], "Progressing")
    if deadline is None or cond is None:
        return None
    if du.deployment_complete(p.d, status) or cond.get("reason") == du.TIMED_OUT:
        return None
    last = parse_time(cond.get("lastUpdateTime"))
    if last is None:
        return None
    after = (last + timedelta(seconds=deadline) - p.now).total_seconds()
    if after < 1:
        return 1.0
    return after + 1.0


def _check_paused(p: _Pass) -> None:
    d = p.d
    if du.progress_deadline(d) is None:
        return
    cond = get_condition(d["status"].get("conditions") or [], "Progressing")
    if cond is not None and cond.get("reason") == du.TIMED_OUT:
        return
    paused_exists = cond is not None and cond.get("reason") == du.PAUSED
    paused = bool((d.get("spec") or {}).get("paused"))
    if paused and not paused_exists:
        du.set_condition(
            d["status"],
            du.new_condition("Progressing", "Unknown", du.PAUSED, "Deployment is paused", p.now),
        )
    elif not paused and paused_exists:
        du.set_condition(
            d["status"],
            du.new_condition("Progressing", "Unknown", du.RESUMED, "Deployment is resumed", p.now),
        )


__all__ = ["reconcile_deployment", "fmt_time"]
