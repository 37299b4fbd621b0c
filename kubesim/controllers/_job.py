"""The Job controller's decision: create pods, count finished ones, finish the Job.

Follows pkg/controller/job (syncJob, manageJob, trackJobStatusAndRemoveFinalizers,
enactJobFinished, backoff_utils) of Kubernetes 1.37, where JobPodReplacementPolicy and
JobManagedBy are GA, so a finishing Job first gets the interim condition
(``SuccessCriteriaMet`` or ``FailureTarget``) and the terminal one (``Complete`` /
``Failed``) only once no pod is left uncounted or terminating.

Pods carry the ``batch.kubernetes.io/job-tracking`` finalizer until they are counted, so
deleting a finished pod never loses it from ``status.succeeded`` / ``status.failed``.
Counting takes two passes, as in Kubernetes: a finished pod's uid goes to
``status.uncountedTerminatedPods`` and its finalizer is removed; the next pass sees the
pod without the finalizer and moves it to the counter.

Simplified, on purpose:
* the pod failure back-off (10 s, 20 s, ... capped at 6 min) is computed from the pods
  that still exist rather than from an in-memory record, which is the same while the
  Job's pods are kept (finished Jobs leave their pods; only a deleted pod drops out);
* duplicated completion indexes are not modelled; podFailurePolicy, successPolicy,
  backoffLimitPerIndex (with maxFailedIndexes and FailIndex rules) and managedBy (a Job
  another controller manages is left alone, but for its TTL) are;
* backoffLimitPerIndex reads an index's failure count from its last failed pod, which
  stays while the Job does (kubesim never deletes a finished Job's pods), where upstream
  keeps that pod's tracking finalizer until its replacement exists;
* at most 500 pods are created or deleted per pass (MaxPodCreateDeletePerSync) with no
  slow-start batching.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kubesim.core.objects import (
    Obj,
    annotations_of,
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
    pod_active,
    pod_ready,
    selector_matches,
    uid,
)

from ._actions import Action, Create, Decision, Delete, Emit, Event, Update, UpdateStatus, delete_of
from ._actions import object_ref as ref
from ._replicaset import pods_to_delete

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
INDEX_FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count"
INDEX_IGNORED_FAILURE_COUNT = "batch.kubernetes.io/job-index-ignored-failure-count"
DEFAULT_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_BACKOFF = 360.0  # MaxJobPodFailureBackOff
MAX_POD_CREATE_DELETE = 500  # MaxPodCreateDeletePerSync

BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")
COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")
POD_FAILURE_POLICY = "PodFailurePolicy"  # JobReasonPodFailurePolicy
MAX_FAILED_INDEXES_EXCEEDED = (
    "MaxFailedIndexesExceeded",
    "Job has exceeded the specified maximal number of failed indexes",
)
FAILED_INDEXES = ("FailedIndexes", "Job has failed indexes")
SUCCESS_POLICY = "SuccessPolicy"  # JobReasonSuccessPolicy


# --- small predicates ---------------------------------------------------------------------


def _spec(job: Obj) -> Obj:
    return job.get("spec") or {}


def _status(job: Obj) -> Obj:
    return job.get("status") or {}


def _cond_true(job: Obj, ctype: str) -> Obj | None:
    c = get_condition(_status(job).get("conditions") or [], ctype)
    return c if c is not None and c.get("status") == "True" else None


def finished_as(job: Obj) -> str | None:
    """getFinishedStatus: `Complete` or `Failed` once that condition is True, else None."""
    for ctype in ("Complete", "Failed"):
        if _cond_true(job, ctype) is not None:
            return ctype
    return None


def job_finished(job: Obj) -> bool:
    """util.IsJobFinished: a Complete or Failed condition that is True."""
    return finished_as(job) is not None


def _suspended(job: Obj) -> bool:
    return bool(_spec(job).get("suspend"))


def _indexed(job: Obj) -> bool:
    return _spec(job).get("completionMode") == "Indexed"


def _only_replace_failed(job: Obj) -> bool:
    return _spec(job).get("podReplacementPolicy") == "Failed"


def _has_finalizer(pod: Obj) -> bool:
    return TRACKING_FINALIZER in (meta(pod).get("finalizers") or [])


def pod_failed(pod: Obj, job: Obj) -> bool:
    """isPodFailed: Failed, or (unless only failed pods are replaced) deleted unfinished."""
    if phase(pod) == "Failed":
        return True
    if _only_replace_failed(job):
        return False
    return deleting(pod) and phase(pod) != "Succeeded"


def match_pod_failure_policy(job: Obj, pod: Obj) -> tuple[str | None, bool]:
    """matchPodFailurePolicy: (the FailJob message, or None; whether the failure counts
    towards backoffLimit). The first rule that matches decides: Ignore does not count
    (a pod evicted by a drain, its DisruptionTarget matched), FailJob fails the Job at once
    (an exit code that retrying will not fix), Count counts as without a policy, FailIndex
    counts and fails the pod's index (backoffLimitPerIndex)."""
    message, counts, _ = _match_policy(job, pod)
    return message, counts


def _match_policy(job: Obj, pod: Obj) -> tuple[str | None, bool, str | None]:
    """`match_pod_failure_policy` and the matching rule's action (None: no rule matched)."""
    policy = _spec(job).get("podFailurePolicy")
    if not policy:
        return None, True, None
    where = f"{meta(pod).get('namespace')}/{name(pod)}"
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            container = _exit_code_match(pod, rule["onExitCodes"])
            if container is None:
                continue
            code = container["state"]["terminated"]["exitCode"]
            why = (
                f"Container {container['name']} for pod {where} failed with exit code {code} "
                f"matching FailJob rule at index {index}"
            )
        elif rule.get("onPodConditions") is not None:
            condition = _condition_match(pod, rule["onPodConditions"])
            if condition is None:
                continue
            why = f"Pod {where} has condition {condition['type']} matching FailJob rule at index {index}"
        else:
            continue
        if action == "Ignore":
            return None, False, action
        if action == "FailJob":
            return why, True, action
        if action in ("Count", "FailIndex"):
            return None, True, action
    return None, True, None


def _exit_code_match(pod: Obj, requirement: Obj) -> Obj | None:
    """matchOnExitCodes: a terminated container (then an init container) whose non-zero
    exit code is In / NotIn the rule's values, of the named container if one is named."""
    status = pod.get("status") or {}
    values = requirement.get("values") or []
    wanted = requirement.get("containerName")
    for statuses in (status.get("containerStatuses"), status.get("initContainerStatuses")):
        for cs in statuses or []:
            ended = (cs.get("state") or {}).get("terminated")
            if ended is None or (wanted is not None and cs.get("name") != wanted):
                continue
            code = ended.get("exitCode")
            if code and (code in values) == (requirement.get("operator") == "In"):
                return cs
    return None


def _condition_match(pod: Obj, patterns: list[Obj]) -> Obj | None:
    """matchOnPodConditions: the pod's first condition of a pattern's type and status."""
    for condition in (pod.get("status") or {}).get("conditions") or []:
        for pattern in patterns:
            want = (pattern.get("type"), pattern.get("status") or "True")
            if (condition.get("type"), condition.get("status")) == want:
                return condition
    return None


def _counts(job: Obj, pod: Obj) -> bool:
    return match_pod_failure_policy(job, pod)[1]


def _fail_job_message(job: Obj, pods: list[Obj]) -> str | None:
    """getFailJobMessage: the message of the first failed pod a FailJob rule matches."""
    for pod in pods:
        if pod_failed(pod, job):
            message, _ = match_pod_failure_policy(job, pod)
            if message is not None:
                return message
    return None


def _terminating(pod: Obj) -> bool:
    """controller.IsPodTerminating: being deleted and not yet in a terminal phase."""
    return deleting(pod) and phase(pod) not in ("Succeeded", "Failed")


def completion_index(pod: Obj) -> int:
    """The pod's completion index annotation, or -1 when missing or not a number."""
    raw = annotations_of(pod).get(COMPLETION_INDEX)
    try:
        return int(raw) if raw is not None else -1
    except ValueError:
        return -1


def _per_index_limit(job: Obj) -> int | None:
    """spec.backoffLimitPerIndex, which only an Indexed Job may set."""
    limit = _spec(job).get("backoffLimitPerIndex")
    return int(limit) if limit is not None and _indexed(job) else None


def _failure_counts(pod: Obj) -> tuple[int, int]:
    """The index-failure-count and index-ignored-failure-count annotations (0 when absent
    or not a non-negative number, as parseInt32 reads them)."""
    counts = []
    for key in (INDEX_FAILURE_COUNT, INDEX_IGNORED_FAILURE_COUNT):
        raw = annotations_of(pod).get(key, "")
        counts.append(int(raw) if raw.isdigit() and int(raw) <= 2**31 - 1 else 0)
    return counts[0], counts[1]


def index_failed(job: Obj, pod: Obj) -> bool:
    """isIndexFailed: the pod failed and either a FailIndex rule matched it or its index
    has used up backoffLimitPerIndex (the failures its annotation counts)."""
    if not pod_failed(pod, job):
        return False
    _, counts, action = _match_policy(job, pod)
    if action == "FailIndex":
        return True
    limit = _per_index_limit(job)
    return counts and limit is not None and _failure_counts(pod)[0] >= limit


def _last_failed_per_index(job: Obj, pods: list[Obj], done: set[int]) -> dict[int, Obj]:
    """getPodsWithDelayedDeletionPerIndex: for each index not done (succeeded, failed or
    running), its last failed pod, whose counts the replacement carries on."""
    total = int(_spec(job).get("completions") or 0)
    last: dict[int, Obj] = {}
    for pod in pods:
        ix = completion_index(pod)
        if not 0 <= ix < total or ix in done or not pod_failed(pod, job):
            continue
        seen = last.get(ix)
        if seen is None or (
            sum(_failure_counts(seen)) <= sum(_failure_counts(pod))
            and finished_time(pod) >= finished_time(seen)
        ):
            last[ix] = pod
    return last


def _new_failure_counts(job: Obj, replaced: Obj | None) -> tuple[int, int]:
    """getNewIndexFailureCounts: the replaced pod's counts, plus its own failure (ignored
    when a podFailurePolicy rule says it does not count)."""
    if replaced is None:
        return 0, 0
    failures, ignored = _failure_counts(replaced)
    if match_pod_failure_policy(job, replaced)[1]:
        return failures + 1, ignored
    return failures, ignored + 1


def _index_backoff(replaced: Obj | None, now: datetime) -> float:
    """getRemainingTimePerIndex: the back-off of the index's failures so far, from when its
    last pod finished."""
    if replaced is None:
        return 0.0
    elapsed = (now - finished_time(replaced)).total_seconds()
    return max(0.0, backoff_delay(sum(_failure_counts(replaced)) + 1) - elapsed)


def match_success_policy(job: Obj, succeeded: set[int]) -> str | None:
    """matchSuccessPolicy: the message of the first rule the succeeded indexes satisfy
    (all of its succeededIndexes, or succeededCount of them, or succeededCount of any)."""
    policy = _spec(job).get("successPolicy")
    if not policy or not succeeded:
        return None
    total = int(_spec(job).get("completions") or 0)
    for index, rule in enumerate(policy.get("rules") or []):
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") is not None:
            try:
                wanted = parse_indexes(rule["succeededIndexes"], total)
            except ValueError:
                continue
            if not wanted:
                continue
            got = len(wanted & succeeded)
            if got == len(wanted) or (count is not None and got >= int(count)):
                return f"Matched rules at index {index}"
        elif count is not None and len(succeeded) >= int(count):
            return f"Matched rules at index {index}"
    return None


# --- back-off -----------------------------------------------------------------------------


def backoff_delay(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive failures: 10 s doubling, capped 6 min."""
    if failures <= 0:
        return 0.0
    delay = DEFAULT_BACKOFF
    for _ in range(1, failures):
        delay *= 2
        if delay >= MAX_BACKOFF:
            return MAX_BACKOFF
    return delay


def finished_time(pod: Obj) -> datetime:
    """getFinishedTime: last container finish, Ready=False transition, deletion, creation."""
    st = pod.get("status") or {}
    statuses = st.get("containerStatuses") or []
    finishes = [
        parse_time(((c.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        for c in statuses
    ]
    if statuses and all(f is not None for f in finishes):
        return max(f for f in finishes if f is not None)
    for c in st.get("conditions") or []:
        if c.get("type") == "Ready" and c.get("status") == "False":
            t = parse_time(c.get("lastTransitionTime"))
            if t is not None:
                return t
    gone = parse_time(meta(pod).get("deletionTimestamp"))
    if gone is not None:
        return gone - timedelta(seconds=int(meta(pod).get("deletionGracePeriodSeconds") or 0))
    return parse_time(meta(pod).get("creationTimestamp")) or datetime.min


def remaining_backoff(job: Obj, pods: list[Obj], *, now: datetime) -> float:
    """Seconds before a failed pod may be replaced: failures since the last success count."""
    successes = [finished_time(p) for p in pods if phase(p) == "Succeeded"]
    last_success = max(successes) if successes else None
    failures = sorted(finished_time(p) for p in pods if pod_failed(p, job))
    if last_success is not None:
        failures = [t for t in failures if t > last_success]
    if not failures:
        return 0.0
    elapsed = (now - failures[-1]).total_seconds()
    return max(0.0, backoff_delay(len(failures)) - elapsed)


# --- conditions ---------------------------------------------------------------------------


def _condition(ctype: str, status: str, reason: str, message: str, now: datetime) -> Obj:
    stamp = fmt_time(now)
    return {
        "type": ctype,
        "status": status,
        "lastProbeTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def _ensure_condition(
    conds: list[Obj], ctype: str, status: str, reason: str, message: str, now: datetime
) -> bool:
    """ensureJobConditionStatus: update in place or append (never append a False)."""
    for i, c in enumerate(conds):
        if c.get("type") == ctype:
            if (c.get("status"), c.get("reason"), c.get("message")) != (status, reason, message):
                conds[i] = _condition(ctype, status, reason, message, now)
                return True
            return False
    if status != "False":
        conds.append(_condition(ctype, status, reason, message, now))
        return True
    return False


# --- indexes ------------------------------------------------------------------------------


def parse_indexes(text: str | None, completions: int | None = None) -> set[int]:
    """``"0-2,5"`` -> {0, 1, 2, 5} (status.completedIndexes); with `completions`, only the
    indexes below it, each interval clipped before it is expanded (parseIndexesFromString),
    so `0-2000000000` costs what the Job's own indexes cost."""
    out: set[int] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        last = int(hi or lo)
        if completions is not None:
            last = min(last, completions - 1)
        out.update(range(int(lo), last + 1))
    return out


def format_indexes(indexes: set[int]) -> str:
    """{0, 1, 2, 5, 7, 8} -> ``"0-2,5,7,8"``: runs of three or more as ranges, ascending
    (orderedIntervals.String writes a run of two as two indexes)."""
    parts: list[str] = []
    run: list[int] = []
    for ix in sorted(indexes):
        if run and ix == run[-1] + 1:
            run.append(ix)
            continue
        if run:
            parts.append(_interval(run))
        run = [ix]
    if run:
        parts.append(_interval(run))
    return ",".join(parts)


def _interval(run: list[int]) -> str:
    if len(run) > 2:
        return f"{run[0]}-{run[-1]}"
    return ",".join(str(ix) for ix in run)


# --- pods ---------------------------------------------------------------------------------


def job_pods(job: Obj, pods: list[Obj]) -> list[Obj]:
    """The Job's pods: those it controls (by uid), in its namespace."""
    ns, job_uid = meta(job).get("namespace"), uid(job)
    return [
        p
        for p in pods
        if meta(p).get("namespace") == ns and (controller_ref(p) or {}).get("uid") == job_uid
    ]


def _orphans(job: Obj, pods: list[Obj]) -> list[Obj]:
    sel = _spec(job).get("selector")
    ns = meta(job).get("namespace")
    return [
        p
        for p in pods
        if meta(p).get("namespace") == ns
        and controller_ref(p) is None
        and not deleting(p)
        and selector_matches(sel, labels(p))
    ]


def _new_pod(job: Obj, index: int | None, *, counts: tuple[int, int] | None = None) -> Create:
    """The pod from the template: job labels, tracking finalizer, controller ref; an
    Indexed Job's pod also gets its index (annotation, label, hostname, env), and with
    backoffLimitPerIndex its index's failure `counts` (failed, ignored)."""
    tpl = deepcopy(_spec(job).get("template") or {})
    tmeta = tpl.get("metadata") or {}
    pod_labels = dict(tmeta.get("labels") or {})
    # the API's defaulting labels the template; a template saved without them still
    # yields pods the Job's selector and `kubectl get pods -l job-name=` find
    for key in ("batch.kubernetes.io/job-name", "job-name"):
        pod_labels.setdefault(key, name(job))
    for key in ("batch.kubernetes.io/controller-uid", "controller-uid"):
        pod_labels.setdefault(key, uid(job) or "")
    annotations = dict(tmeta.get("annotations") or {})
    finalizers = [f for f in tmeta.get("finalizers") or [] if f != TRACKING_FINALIZER]
    finalizers.append(TRACKING_FINALIZER)
    spec = tpl.get("spec") or {}
    generate = f"{name(job)}-"
    if index is not None:
        annotations[COMPLETION_INDEX] = str(index)
        pod_labels[COMPLETION_INDEX] = str(index)
        if counts is not None:  # addIndexFailureCountAnnotation
            annotations[INDEX_FAILURE_COUNT] = str(counts[0])
            if counts[1] > 0:
                annotations[INDEX_IGNORED_FAILURE_COUNT] = str(counts[1])
        spec["hostname"] = f"{name(job)}-{index}"
        generate = f"{name(job)}-{index}-"
        env_var = {
            "name": "JOB_COMPLETION_INDEX",
            "valueFrom": {
                "fieldRef": {
                    "apiVersion": "v1",
                    "fieldPath": f"metadata.labels['{COMPLETION_INDEX}']",
                }
            },
        }
        for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
            env = c.setdefault("env", [])
            if not any(e.get("name") == "JOB_COMPLETION_INDEX" for e in env):
                env.append(env_var)
    pod_meta: Obj = {
        "generateName": generate,
        "namespace": meta(job).get("namespace"),
        "labels": pod_labels,
        "finalizers": finalizers,
        "ownerReferences": [owner_ref_to(job)],
    }
    if annotations:
        pod_meta["annotations"] = annotations
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}
    return Create(
        pod,
        events=(Event(ref(job), "Normal", "SuccessfulCreate", "Created pod: {name}"),),
        slow_start=True,
    )


def _delete_pod(job: Obj, pod: Obj) -> Delete:
    return delete_of(
        pod, events=(Event(ref(job), "Normal", "SuccessfulDelete", f"Deleted pod: {name(pod)}"),)
    )


def _without_finalizer(pod: Obj) -> Update:
    body = deepcopy(pod)
    body["metadata"]["finalizers"] = [
        f for f in meta(pod).get("finalizers") or [] if f != TRACKING_FINALIZER
    ]
    return Update(body)


def release_pods(pods: list[Obj]) -> list[Action]:
    """Remove the tracking finalizer from pods whose Job is gone or going, so the garbage
    collector (or anyone) can delete them (the orphan-pod path of the real controller)."""
    return [_without_finalizer(p) for p in pods if _has_finalizer(p)]


# --- TTL after finished -------------------------------------------------------------------


def ttl_remaining(job: Obj, *, now: datetime) -> float | None:
    """Seconds until a finished Job with ttlSecondsAfterFinished expires (<= 0: expired);
    None when it has no TTL or is not finished (ttlafterfinished controller)."""
    ttl = _spec(job).get("ttlSecondsAfterFinished")
    if ttl is None or not job_finished(job):
        return None
    cond = _cond_true(job, "Complete") or _cond_true(job, "Failed") or {}
    finish = parse_time(_status(job).get("completionTime")) or parse_time(
        cond.get("lastTransitionTime")
    )
    if finish is None:
        return None
    return (finish + timedelta(seconds=int(ttl)) - now).total_seconds()


# --- the decision -------------------------------------------------------------------------


JOB_CONTROLLER = "kubernetes.io/job-controller"  # batchv1.JobControllerName


def reconcile_job(job: Obj, pods: list[Obj], *, now: datetime) -> Decision:
    """One syncJob pass over the namespace's ``pods``."""
    if _spec(job).get("managedBy") not in (None, JOB_CONTROLLER):
        # managedByExternalController: its own controller syncs it, finalizers included;
        # only the ttl-after-finished controller still acts on it once it has finished
        return _finished(job, [], now) if job_finished(job) else Decision()
    if deleting(job):
        return Decision(release_pods(job_pods(job, pods)))
    if job_finished(job):
        return _finished(job, job_pods(job, pods), now)

    actions: list[Action] = []
    mine = job_pods(job, pods)
    for orphan in _orphans(job, pods):  # ClaimPods: adopt matching orphans
        adopted = deepcopy(orphan)
        meta(adopted).setdefault("ownerReferences", []).append(owner_ref_to(job))
        actions.append(Update(adopted))
        mine.append(adopted)

    spec = _spec(job)
    updated = deepcopy(job)
    st = updated.setdefault("status", {})
    conds: list[Obj] = st.setdefault("conditions", [])
    uncounted = st.get("uncountedTerminatedPods") or {}
    unc_ok = list(uncounted.get("succeeded") or [])
    unc_failed = list(uncounted.get("failed") or [])

    # counted: uncounted pods whose finalizer is gone move to the counters
    with_fin = {uid(p) for p in mine if _has_finalizer(p)}
    st["succeeded"] = int(st.get("succeeded") or 0) + sum(1 for u in unc_ok if u not in with_fin)
    st["failed"] = int(st.get("failed") or 0) + sum(1 for u in unc_failed if u not in with_fin)
    unc_ok = [u for u in unc_ok if u in with_fin]
    unc_failed = [u for u in unc_failed if u in with_fin]

    active_pods = [p for p in mine if pod_active(p)]
    active = len(active_pods)
    ready = sum(1 for p in active_pods if pod_ready(p))
    terminating = sum(1 for p in mine if _terminating(p))
    indexed = _indexed(job)
    completions = spec.get("completions")
    tracked = [p for p in mine if _has_finalizer(p)]
    if indexed:
        tracked = [p for p in tracked if 0 <= completion_index(p) < int(completions or 0)]
    new_ok = [p for p in tracked if phase(p) == "Succeeded" and uid(p) not in unc_ok + unc_failed]
    new_failed = [
        p for p in tracked if pod_failed(p, job) and uid(p) not in unc_failed and _counts(job, p)
    ]
    succeeded = int(st["succeeded"]) + len(new_ok) + len(unc_ok)
    failed = int(st["failed"]) + len(new_failed) + len(unc_failed)
    succeeded_ix: set[int] = set()
    if indexed:
        succeeded_ix = parse_indexes(st.get("completedIndexes"))
        succeeded_ix |= {
            completion_index(p)
            for p in mine
            if phase(p) == "Succeeded" and 0 <= completion_index(p) < int(completions or 0)
        }
        succeeded = len(succeeded_ix)
    failed_ix: set[int] | None = None  # calculateFailedIndexes, with backoffLimitPerIndex
    if _per_index_limit(job) is not None:
        total = int(completions or 0)
        failed_ix = parse_indexes(st.get("failedIndexes"), total)
        failed_ix |= {completion_index(p) for p in tracked if index_failed(job, p)}

    if st.get("startTime") is None and not _suspended(job):
        st["startTime"] = fmt_time(now)

    requeue: float | None = None
    finished: Obj | None = None  # the interim condition (SuccessCriteriaMet / FailureTarget)
    existing = _cond_true(job, "SuccessCriteriaMet") or _cond_true(job, "FailureTarget")
    fail_job = _fail_job_message(job, mine) if existing is None else None
    if existing is not None:
        finished = existing
    elif fail_job is not None:
        finished = _condition("FailureTarget", "True", POD_FAILURE_POLICY, fail_job, now)
    elif failed > int(spec.get("backoffLimit", 6)) or _past_backoff_on_failure(job, mine):
        finished = _condition("FailureTarget", "True", *BACKOFF_LIMIT_EXCEEDED, now)
    elif _past_deadline(job, st, now):
        finished = _condition("FailureTarget", "True", *DEADLINE_EXCEEDED, now)
    elif spec.get("activeDeadlineSeconds") is not None and not _suspended(job):
        start = parse_time(st.get("startTime")) or now
        left = start + timedelta(seconds=int(spec["activeDeadlineSeconds"])) - now
        requeue = max(left.total_seconds(), 0.0)
    if finished is None and failed_ix is not None:
        most = spec.get("maxFailedIndexes")
        if most is not None and len(failed_ix) > int(most):
            finished = _condition("FailureTarget", "True", *MAX_FAILED_INDEXES_EXCEEDED, now)
        elif failed_ix and len(failed_ix) + len(succeeded_ix) >= int(completions or 0):
            finished = _condition("FailureTarget", "True", *FAILED_INDEXES, now)
    if finished is None and indexed:
        matched = match_success_policy(job, succeeded_ix)
        if matched is not None:
            finished = _condition("SuccessCriteriaMet", "True", SUCCESS_POLICY, matched, now)

    if finished is not None:
        # the Job failed, or met its success policy: its running pods go
        for p in active_pods:
            actions.append(_delete_pod(job, p))
            ready -= 1 if pod_ready(p) else 0
        terminating += active
        active = 0
    elif finished is None:
        if not deleting(job):
            active, ready, terminating, wait, pod_actions = _manage(
                job,
                mine,
                active_pods,
                succeeded,
                succeeded_ix | (failed_ix or set()),
                terminating,
                ready,
                now,
            )
            actions += pod_actions
            if wait is not None:
                requeue = wait if requeue is None else min(requeue, wait)
        want = completions
        complete = (
            succeeded > 0 and active == 0
            if want is None
            else succeeded >= int(want) and active == 0
        )
        if complete:
            finished = _condition("SuccessCriteriaMet", "True", *COMPLETIONS_REACHED, now)
        elif _suspended(job):
            if _ensure_condition(conds, "Suspended", "True", "JobSuspended", "Job suspended", now):
                actions.append(Emit(Event(ref(job), "Normal", "Suspended", "Job suspended")))
        elif _ensure_condition(conds, "Suspended", "False", "JobResumed", "Job resumed", now):
            actions.append(Emit(Event(ref(job), "Normal", "Resumed", "Job resumed")))
            st["startTime"] = fmt_time(now)  # a resumed Job's deadline counts from now

    # tracking: finished pods go to uncountedTerminatedPods and lose their finalizer
    failing = finished is not None and finished.get("type") == "FailureTarget"
    release: list[Obj] = []
    for p in tracked:
        considered_failed = pod_failed(p, job)
        if not (finished is not None or phase(p) == "Succeeded" or considered_failed):
            continue
        release.append(p)
        if phase(p) == "Succeeded" and uid(p) not in unc_failed:
            if not indexed and uid(p) not in unc_ok:
                unc_ok.append(uid(p) or "")
        elif (considered_failed or failing) and uid(p) not in unc_failed and _counts(job, p):
            unc_failed.append(uid(p) or "")
    if indexed:
        st["completedIndexes"] = format_indexes(succeeded_ix)
        st["succeeded"] = len(succeeded_ix)
        unc_ok = []
    if failed_ix is not None:
        st["failedIndexes"] = format_indexes(failed_ix)
    st["uncountedTerminatedPods"] = {
        k: v for k, v in (("succeeded", unc_ok), ("failed", unc_failed)) if v
    }

    terminal: Obj | None = None
    if finished is not None:
        if get_condition(conds, finished["type"]) is None:
            conds.append(finished)
        final_type = "Failed" if finished["type"] == "FailureTarget" else "Complete"
        terminal = _condition(final_type, "True", finished["reason"], finished["message"], now)
    events: list[Action] = []
    if terminal is not None and not unc_ok and not unc_failed and terminating == 0 and not release:
        _ensure_condition(
            conds, terminal["type"], "True", terminal["reason"], terminal["message"], now
        )
        if terminal["type"] == "Complete":
            st["completionTime"] = fmt_time(now)
            if completions is not None and int(st["succeeded"]) > int(completions):
                events.append(
                    Emit(
                        Event(
                            ref(job),
                            "Warning",
                            "TooManySucceededPods",
                            "Too many succeeded pods running after completion count reached",
                        )
                    )
                )
            events.append(Emit(Event(ref(job), "Normal", "Completed", "Job completed")))
        else:
            events.append(Emit(Event(ref(job), "Warning", terminal["reason"], terminal["message"])))
        ttl = ttl_remaining(updated, now=now)
        if ttl is not None:
            requeue = max(ttl, 0.0)

    st["active"] = active
    st["ready"] = ready
    st["terminating"] = terminating
    for k in ("active", "succeeded", "failed"):
        if not st.get(k):
            st.pop(k, None)
    if not conds:
        st.pop("conditions", None)
    out: list[Action] = []
    if updated["status"] != _status(job):
        out.append(UpdateStatus(updated))
    out += actions
    out += [_without_finalizer(p) for p in release]
    out += events
    return Decision(out, requeue)


def _manage(
    job: Obj,
    mine: list[Obj],
    active_pods: list[Obj],
    succeeded: int,
    done_ix: set[int],
    terminating: int,
    ready: int,
    now: datetime,
) -> tuple[int, int, int, float | None, list[Action]]:
    """manageJob: (active, ready, terminating, requeue, actions) after deleting surplus
    pods or creating missing ones, respecting the failure back-off. `done_ix`: an Indexed
    Job's indexes that need no pod (succeeded, or failed past backoffLimitPerIndex)."""
    spec = _spec(job)
    active = len(active_pods)
    if _suspended(job):
        doomed = active_pods
    else:
        parallelism = int(spec.get("parallelism", 1))
        completions = spec.get("completions")
        if completions is None:
            want = active if succeeded > 0 else parallelism
        else:
            want = max(0, min(int(completions) - succeeded, parallelism))
        surplus = max(active - want, 0)
        doomed = pods_to_delete(active_pods, active_pods, surplus, now=now) if surplus else []
        if not doomed:
            return _create(job, active_pods, want, done_ix, terminating, ready, mine, now)
    doomed = doomed[:MAX_POD_CREATE_DELETE]
    ready -= sum(1 for p in doomed if pod_ready(p))
    actions: list[Action] = [_delete_pod(job, p) for p in doomed]
    return active - len(doomed), ready, terminating + len(doomed), None, actions


def _create(
    job: Obj,
    active_pods: list[Obj],
    want: int,
    done_ix: set[int],
    terminating: int,
    ready: int,
    mine: list[Obj],
    now: datetime,
) -> tuple[int, int, int, float | None, list[Action]]:
    active = len(active_pods)
    held = terminating if _only_replace_failed(job) else 0
    diff = want - held - active
    if diff <= 0:
        return active, ready, terminating, None, []
    per_index = _per_index_limit(job) is not None
    wait = 0.0 if per_index else remaining_backoff(job, mine, now=now)
    if wait > 0:
        return active, ready, terminating, wait, []
    diff = min(diff, MAX_POD_CREATE_DELETE)
    if not _indexed(job):
        return active + diff, ready, terminating, None, [_new_pod(job, None) for _ in range(diff)]
    total = int(_spec(job).get("completions") or 0)
    taken = done_ix | {completion_index(p) for p in active_pods}
    indexes = [ix for ix in range(total) if ix not in taken][:diff]
    if not per_index:
        creates: list[Action] = [_new_pod(job, ix) for ix in indexes]
        return active + len(indexes), ready, terminating, None, creates
    # getPodCreationInfoForIndependentIndexes: each index waits out its own back-off
    replaced = _last_failed_per_index(job, mine, taken)
    waits = {ix: _index_backoff(replaced.get(ix), now) for ix in indexes}
    ready_now = [ix for ix in indexes if waits[ix] <= 0]
    if not ready_now:
        return active, ready, terminating, min(waits.values(), default=None), []
    creates = [
        _new_pod(job, ix, counts=_new_failure_counts(job, replaced.get(ix))) for ix in ready_now
    ]
    return active + len(ready_now), ready, terminating, None, creates


def _past_backoff_on_failure(job: Obj, pods: list[Obj]) -> bool:
    """pastBackoffLimitOnFailure: restarts of running/pending pods reach the limit."""
    template = (_spec(job).get("template") or {}).get("spec") or {}
    if template.get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for p in pods:
        if phase(p) in ("Running", "Pending"):
            st = p.get("status") or {}
            for c in [
                *(st.get("initContainerStatuses") or []),
                *(st.get("containerStatuses") or []),
            ]:
                restarts += int(c.get("restartCount") or 0)
    limit = int(_spec(job).get("backoffLimit", 6))
    return restarts > 0 if limit == 0 else restarts >= limit


def _past_deadline(job: Obj, st: Obj, now: datetime) -> bool:
    deadline = _spec(job).get("activeDeadlineSeconds")
    start = parse_time(st.get("startTime"))
    if deadline is None or start is None or _suspended(job):
        return False
    return (now - start).total_seconds() >= int(deadline)


def _finished(job: Obj, mine: list[Obj], now: datetime) -> Decision:
    """A finished Job keeps its pods (releasing any still tracked) until its TTL, if any,
    expires; then it is deleted in the background, its pods going with it."""
    actions: list[Action] = release_pods(mine)
    left = ttl_remaining(job, now=now)
    if left is None:
        return Decision(actions)
    if left > 0:
        return Decision(actions, left)
    actions.append(delete_of(job, propagation="Background"))
    return Decision(actions)


__all__: list[Any] = [
    "reconcile_job",
    "release_pods",
    "ttl_remaining",
    "job_finished",
    "backoff_delay",
    "remaining_backoff",
    "finished_time",
    "parse_indexes",
    "format_indexes",
    "job_pods",
]
