"""The CronJob controller's decision: start a Job at each scheduled time, keep the history.

Follows pkg/controller/cronjob (cronjob_controllerv2.go's sync, cleanupFinishedJobs and
syncCronJob; utils.go's mostRecentScheduleTime, nextScheduleTimeDuration and
getJobFromTemplate2) of Kubernetes 1.37: a Job named `<cronjob>-<scheduled minutes since
the epoch>` for the most recent unmet time (missed older times are not caught up), the
`startingDeadlineSeconds` window, the Allow / Forbid / Replace concurrency policies,
`suspend`, `timeZone`, the successful and failed history limits, and the status
(`active`, `lastScheduleTime`, `lastSuccessfulTime`) with upstream's events and wording.

One difference of shape, not of outcome: upstream adds the new Job to `status.active` in the
same sync, from the create's answer. A decision here cannot know the uid the server will
give, so the pass that creates the Job writes `lastScheduleTime`, and the next pass (its
informer has the Job by then) adds the Job whose name is that time's to `active`, where
upstream would otherwise call it an "UnexpectedJob".
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from kubesim.core.cron import CronError, Schedule, parse_schedule, time_zone
from kubesim.core.objects import (
    Obj,
    controller_ref,
    deepcopy,
    deleting,
    fmt_time,
    meta,
    name,
    owner_ref_to,
    parse_time,
    uid,
)

from ._actions import Action, Create, Decision, Emit, Event, UpdateStatus, delete_of
from ._actions import object_ref as ref
from ._job import finished_as

SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
NEXT_SCHEDULE_DELTA = 0.1  # nextScheduleDelta: 100 ms past the time, for clock skew
TOO_MANY_MISSED = 100


def _spec(cj: Obj) -> Obj:
    return cj.get("spec") or {}


def job_name(cj: Obj, scheduled: datetime) -> str:
    """getJobName: the scheduled time in minutes since the epoch, so one time is one Job."""
    return f"{name(cj)}-{int(scheduled.timestamp()) // 60}"


def jobs_of(cj: Obj, jobs: list[Obj]) -> list[Obj]:
    """getJobsToBeReconciled: the Jobs whose controller is this CronJob, whatever their labels."""
    key = (meta(cj).get("namespace") or "", name(cj))
    return [job for job in jobs if cronjob_key_of_job(job) == key]


def _most_recent(
    cj: Obj, now: datetime, schedule: Schedule, zone: tzinfo, *, with_deadline: bool
) -> tuple[datetime, datetime | None, int]:
    """mostRecentScheduleTime: (earliest time considered, the most recent activation at or
    before `now` or None, how many activations were missed). CronError when the schedule's
    activations are less than a second apart or never come (`0 0 30 2 *`)."""
    status = cj.get("status") or {}
    earliest = parse_time(status.get("lastScheduleTime")) or parse_time(
        meta(cj).get("creationTimestamp")
    )
    assert earliest is not None
    deadline = _spec(cj).get("startingDeadlineSeconds")
    if with_deadline and deadline is not None:
        earliest = max(earliest, now - timedelta(seconds=deadline))
    t1 = schedule.next(earliest, zone)
    t2 = schedule.next(t1, zone) if t1 is not None else None
    if t1 is not None and now < t1:
        return earliest, None, 0
    if t1 is not None and t2 is not None and now < t2:
        return earliest, t1, 0
    between = round((t2 - t1).total_seconds()) if t1 is not None and t2 is not None else 0
    if between < 1 or t1 is None:
        raise CronError("time difference between two schedules is less than 1 second")
    missed = int((now - t1).total_seconds()) // between + 1
    # count back to one interval before the estimate, then let the schedule walk forward:
    # exact for irregular schedules (`30 6-16/4 * * 1-5`) and for `@every`
    recent: datetime | None = None
    t: datetime | None = schedule.next(t1 + timedelta(seconds=(missed - 2) * between), zone)
    while t is not None and t <= now:
        recent, t = t, schedule.next(t, zone)
    return earliest, recent, missed


def _requeue(cj: Obj, now: datetime, schedule: Schedule, zone: tzinfo) -> float | None:
    """nextScheduleTimeDuration: seconds until the activation after the most recent one."""
    try:
        earliest, recent, missed = _most_recent(cj, now, schedule, zone, with_deadline=False)
        base = recent or (earliest if missed == 0 else now)
    except CronError:
        base = now
    following = schedule.next(base, zone)
    if following is None:
        return None
    return (following - now).total_seconds() + NEXT_SCHEDULE_DELTA


def _rfc1123z(t: datetime) -> str:
    """Go's time.RFC1123Z of a UTC time: `Mon, 02 Jan 2006 15:04:05 +0000`."""
    return t.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _rfc3339_in(t: datetime, zone: tzinfo) -> str:
    """Go's time.RFC3339 of `t` in `zone`: `Z` for UTC, else the offset."""
    local = t.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S%z")
    if text.endswith("+0000") and local.utcoffset() == timedelta(0):
        return text[:-5] + "Z"
    return text[:-2] + ":" + text[-2:]


def _new_job(cj: Obj, scheduled: datetime, zone: tzinfo) -> Obj:
    """getJobFromTemplate2: the template's labels, annotations and spec, owned by the CronJob."""
    template = _spec(cj).get("jobTemplate") or {}
    template_meta = template.get("metadata") or {}
    annotations = dict(template_meta.get("annotations") or {})
    annotations[SCHEDULED_TIMESTAMP] = _rfc3339_in(scheduled, zone)
    job_meta: Obj = {
        "name": job_name(cj, scheduled),
        "namespace": meta(cj).get("namespace"),
        "annotations": annotations,
        "ownerReferences": [owner_ref_to(cj)],
    }
    if template_meta.get("labels"):
        job_meta["labels"] = dict(template_meta["labels"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": job_meta,
        "spec": deepcopy(template.get("spec") or {}),
    }


def _cleanup(cj: Obj, jobs: list[Obj], status: Obj) -> list[Action]:
    """cleanupFinishedJobs: delete the oldest finished Jobs beyond each history limit."""
    actions: list[Action] = []
    for condition, limit_field in (
        ("Complete", "successfulJobsHistoryLimit"),
        ("Failed", "failedJobsHistoryLimit"),
    ):
        limit = _spec(cj).get(limit_field)
        if limit is None:
            continue
        done = [j for j in jobs if finished_as(j) == condition]
        done.sort(key=_by_start_time)
        for job in done[: max(0, len(done) - limit)]:
            actions.append(_delete_job(cj, job, status))
    return actions


def _by_start_time(job: Obj) -> tuple[bool, str, str]:
    """byJobStartTime: oldest status.startTime first, Jobs not started last, then by name
    (RFC 3339 times in UTC sort as text)."""
    started = (job.get("status") or {}).get("startTime")
    return started is None, started or "", name(job)


def _delete_job(cj: Obj, job: Obj, status: Obj) -> Action:
    """deleteJob: the Job (its pods follow in the background) and its `active` entry."""
    status["active"] = [a for a in status.get("active") or [] if a.get("uid") != uid(job)]
    return delete_of(
        job,
        propagation="Background",
        events=(Event(ref(cj), "Normal", "SuccessfulDelete", f"Deleted job {name(job)}"),),
    )


def reconcile_cronjob(cj: Obj, jobs: list[Obj], *, now: datetime) -> Decision:
    """One sync of one CronJob; `jobs` are the namespace's Jobs (also any an `active` entry
    names that the informer has not seen yet: upstream asks the API server for those)."""
    mine = jobs_of(cj, jobs)
    status = deepcopy(cj.get("status") or {})
    before = deepcopy(status)
    actions = _cleanup(cj, mine, status)
    more, requeue = _sync(cj, mine, status, now)
    actions += more
    if status != before:  # last, as upstream's one UpdateStatus: a refused create stops
        # the actions here, so a Job that was never made does not count as this time's run
        actions.append(UpdateStatus({**cj, "status": _tidy(status)}))
    return Decision(actions, requeue_after=requeue)


def _tidy(status: Obj) -> Obj:
    return {k: v for k, v in status.items() if v not in (None, [])}


def _sync(
    cj: Obj, mine: list[Obj], status: Obj, now: datetime
) -> tuple[list[Action], float | None]:
    """syncCronJob, writing into `status`; returns the actions and the requeue."""
    actions: list[Action] = []
    me = ref(cj)
    active_uids = {a.get("uid") for a in status.get("active") or []}
    last = parse_time(status.get("lastScheduleTime"))
    ours_last = job_name(cj, last) if last is not None else None
    for job in mine:
        found = uid(job) in active_uids
        finished = finished_as(job)
        if not found and finished is None:
            if name(job) == ours_last:  # the Job this controller's last pass created
                status.setdefault("active", []).append(ref(job))
                active_uids.add(uid(job))
                continue
            actions.append(
                Emit(
                    Event(
                        me,
                        "Warning",
                        "UnexpectedJob",
                        f"Saw a job that the controller did not create or forgot: {name(job)}",
                    )
                )
            )
        elif finished is not None:
            if found:
                status["active"] = [a for a in status["active"] if a.get("uid") != uid(job)]
                actions.append(
                    Emit(
                        Event(
                            me,
                            "Normal",
                            "SawCompletedJob",
                            f"Saw completed job: {name(job)}, condition: {finished}",
                        )
                    )
                )
            done = parse_time((job.get("status") or {}).get("completionTime"))
            best = parse_time(status.get("lastSuccessfulTime"))
            if finished == "Complete" and done is not None and (best is None or done > best):
                status["lastSuccessfulTime"] = fmt_time(done)
    existing = {uid(j) for j in mine}
    for entry in list(status.get("active") or []):
        if entry.get("uid") not in existing:
            status["active"].remove(entry)
            actions.append(
                Emit(
                    Event(
                        me, "Normal", "MissingJob", f"Active job went missing: {entry.get('name')}"
                    )
                )
            )
    if deleting(cj):
        return actions, None
    spec = _spec(cj)
    try:
        zone = time_zone(spec.get("timeZone"))
    except CronError as exc:
        message = f'invalid timeZone: "{spec.get("timeZone")}": {exc}'
        actions.append(Emit(Event(me, "Warning", "UnknownTimeZone", message)))
        return actions, None
    if spec.get("suspend"):
        return actions, None
    schedule_text = str(spec.get("schedule") or "")
    try:
        schedule = parse_schedule(schedule_text)
    except CronError as exc:
        actions.append(
            Emit(
                Event(
                    me,
                    "Warning",
                    "UnparseableSchedule",
                    f'unparseable schedule: "{schedule_text}" : {exc}',
                )
            )
        )
        return actions, None
    view = {**cj, "status": status}
    try:
        _, scheduled, missed = _most_recent(view, now, schedule, zone, with_deadline=True)
    except CronError as exc:
        actions.append(
            Emit(
                Event(
                    me, "Warning", "InvalidSchedule", f"invalid schedule: {schedule_text} : {exc}"
                )
            )
        )
        return actions, None
    if scheduled is None or scheduled > now:
        return actions, _requeue(view, now, schedule, zone)
    if missed > TOO_MANY_MISSED:
        actions.append(
            Emit(
                Event(
                    me,
                    "Warning",
                    "TooManyMissedTimes",
                    "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                    "or check clock skew",
                )
            )
        )
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None and scheduled + timedelta(seconds=deadline) < now:
        actions.append(
            Emit(
                Event(
                    me,
                    "Warning",
                    "MissSchedule",
                    f"Missed scheduled time to start a job: {_rfc1123z(scheduled)}",
                )
            )
        )
        return actions, _requeue(view, now, schedule, zone)
    wanted = job_name(cj, scheduled)
    if wanted in {a.get("name") for a in status.get("active") or []} or last == scheduled:
        return actions, _requeue(view, now, schedule, zone)
    policy = spec.get("concurrencyPolicy") or "Allow"
    if policy == "Forbid" and status.get("active"):
        actions.append(
            Emit(
                Event(
                    me,
                    "Normal",
                    "JobAlreadyActive",
                    "Not starting job because prior execution is running and concurrency "
                    "policy is Forbid",
                )
            )
        )
        return actions, _requeue(view, now, schedule, zone)
    if policy == "Replace":
        by_uid = {uid(j): j for j in mine}
        for entry in list(status.get("active") or []):
            running = by_uid.get(entry.get("uid"))
            if running is not None:
                actions.append(_delete_job(cj, running, status))
    actions.append(
        Create(
            _new_job(cj, scheduled, zone),
            events=(Event(me, "Normal", "SuccessfulCreate", "Created job {name}"),),
            failure="Error creating job",
        )
    )
    status["lastScheduleTime"] = fmt_time(scheduled)
    return actions, _requeue(view, now, schedule, zone)


def schedule_changed(old: Obj, new: Obj) -> bool:
    """updateCronJob's test: a new schedule or time zone waits for its own next time."""
    before, after = _spec(old), _spec(new)
    return (before.get("schedule"), before.get("timeZone")) != (
        after.get("schedule"),
        after.get("timeZone"),
    )


def next_sync_after_schedule_change(cj: Obj, *, now: datetime) -> float | None:
    """updateCronJob: seconds to the new schedule's next time (nextScheduleTimeDuration), so
    a time between the last run and the edit is not started late; None when the schedule or
    zone cannot be read (the sync that follows reports it)."""
    try:
        zone = time_zone(_spec(cj).get("timeZone"))
        schedule = parse_schedule(str(_spec(cj).get("schedule") or ""))
    except CronError:
        return None
    return _requeue(cj, now, schedule, zone)


def cronjob_key_of_job(job: Obj) -> tuple[str, str] | None:
    """The CronJob a Job's changes concern (addJob / updateJob / deleteJob), by its controller."""
    owner = controller_ref(job)
    if owner is None or owner.get("kind") != "CronJob":
        return None
    return meta(job).get("namespace") or "", str(owner.get("name"))
