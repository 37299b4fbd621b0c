"""The runner: every check of an exercise (or a lab) against one snapshot, with `within`.

All checks are tried once; those that fail and still have time are retried after a
back-off (0.1 s doubling to 1 s, never a tight loop), refreshing only the LISTs they read.
A check that runs out of time reports its *last* mismatches, never a bare timeout
(Chainsaw's habit). Evidence is gathered once, for the checks that finally failed.

Time goes through a `Clock` so tests drive it; the real one sleeps on an Event, so a
`stop()` from another thread (a notebook's cancel) ends the wait at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from checker._client import ReadOnlyClient
from checker._errors import UnknownIdError
from checker._evaluate import Outcome, evaluate
from checker._evidence import gather
from checker._labfile import Check, Exercise, Lab
from checker._results import CheckResult, ExerciseResult, GradeReport, LabResult
from checker._snapshot import Snapshot

FIRST_DELAY = 0.1
MAX_DELAY = 1.0
# A failing check stops waiting early once what it waits on has been settled and unchanged
# this long: an object nobody creates, a Deployment whose rollout is over.
QUIET_SECONDS = 5.0


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """Monotonic time and a stop-aware sleep."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        self._stop.wait(max(0.0, seconds))

    def stop(self) -> None:
        self._stop.set()


def backoff_delays(first: float = FIRST_DELAY, cap: float = MAX_DELAY):
    """0.1, 0.2, 0.4, 0.8, 1.0, 1.0, ... seconds."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


@dataclass
class _Pending:
    lab: Lab
    exercise: Exercise
    check: Check
    deadline: float
    attempts: int = 0
    outcome: Outcome | None = None
    seconds: float = 0.0  # from the start of the run to this check's last attempt
    quiet_since: float | None = None  # when its settled outcome was first seen unchanged
    gave_up: float | None = None  # seconds of quiet after which it stopped waiting

    def settled_for(self, before: Outcome | None, now: float) -> float:
        """How long this check's outcome has been settled and unchanged."""
        out = self.outcome
        same = (
            out is not None
            and before is not None
            and out.settled is not None
            and out.settled == before.settled
            and out.field_errors == before.field_errors
        )
        if not same:
            self.quiet_since = now if out is not None and out.settled is not None else None
            return 0.0
        if self.quiet_since is None:
            self.quiet_since = now
        return now - self.quiet_since


Key = tuple[str, str, str]  # (lab id, exercise id, check name)


def about_running(check: Check) -> bool:
    """Whether events and logs can explain this check: it is about things running (a status,
    pods, a service's answer, a log), not about what a manifest says."""
    if check.http is not None or check.log is not None:
        return True
    tree = check.tree
    return tree is not None and ("status" in tree or tree.get("kind") == "Pod")


# Told once, when the first attempt left checks failing with time to spare: how many, and
# the longest any of them may still wait (seconds). A silent two-minute wait looks hung.
OnWait = Callable[[int, float], None]


def _run_checks(
    client: ReadOnlyClient,
    work: list[tuple[Lab, list[Exercise]]],
    *,
    clock: Clock,
    snapshot: Snapshot | None = None,
    wait: bool = True,
    on_wait: OnWait | None = None,
) -> dict[Key, CheckResult]:
    """All checks of all the given exercises in one retry loop, so `within` deadlines run
    side by side (grading seven labs waits as long as the slowest check, not their sum)."""
    snapshot = snapshot or Snapshot(client)
    start = clock.now()
    todo = [
        _Pending(lab=lab, exercise=e, check=c, deadline=start + (c.within if wait else 0.0))
        for lab, exercises in work
        for e in exercises
        for c in e.checks
    ]
    delays = backoff_delays()
    pending = list(todo)
    while True:
        before = {id(item): item.outcome for item in pending}
        for item in pending:
            item.attempts += 1
            item.outcome = evaluate(item.check, item.lab, snapshot)
        now = clock.now()
        for item in pending:
            item.seconds = now - start
            quiet = item.settled_for(before[id(item)], now)
            if quiet >= QUIET_SECONDS and item.deadline > now:
                item.gave_up = quiet
                item.deadline = now
        pending = [
            p for p in pending if p.outcome and p.outcome.status != "passed" and p.deadline > now
        ]
        if not pending:
            break
        if on_wait is not None:
            on_wait(len(pending), max(p.deadline for p in pending) - now)
            on_wait = None
        wait = min(next(delays), min(p.deadline for p in pending) - now)
        clock.sleep(wait)
        stale = set().union(*(p.outcome.keys for p in pending if p.outcome))
        snapshot.forget(stale)
    results: dict[Key, CheckResult] = {}
    for item in todo:
        out = item.outcome
        assert out is not None
        failed = out.status == "failed"
        evidence = gather(snapshot, out.subject) if failed and about_running(item.check) else ()
        detail = out.detail
        if failed and item.gave_up is not None:
            early = (
                f"Stopped waiting after {item.seconds:.0f}s of its {item.check.within:g}s: "
                "nothing it depends on changed (the object does not exist, or the rollout is "
                "over). Check again once you have changed something."
            )
            detail = f"{detail} {early}" if detail else early
        results[(item.lab.id, item.exercise.id, item.check.name)] = CheckResult(
            name=item.check.name,
            message=item.check.message,
            kind=item.check.kind,  # type: ignore[arg-type]
            status=out.status,
            target=out.target,
            field_errors=tuple(out.field_errors),
            detail=detail,
            diff=out.diff,
            evidence=evidence,
            attempts=item.attempts,
            seconds=round(item.seconds, 3),
            guard=item.check.guard,
        )
    return results


def _exercise_result(lab: Lab, exercise: Exercise, results: dict) -> ExerciseResult:
    return ExerciseResult(
        lab_id=lab.id,
        exercise_id=exercise.id,
        title=exercise.title,
        max_points=exercise.points,
        checks=tuple(results[(lab.id, exercise.id, c.name)] for c in exercise.checks),
    )


def run_exercise(
    client: ReadOnlyClient,
    lab: Lab,
    exercise_id: str,
    *,
    clock: Clock | None = None,
    wait: bool = True,
    on_wait: OnWait | None = None,
) -> ExerciseResult:
    """Grade one exercise of a lab against the live cluster."""
    exercise = lab.exercise(exercise_id)
    if exercise is None:
        valid = ", ".join(e.id for e in lab.exercises)
        raise UnknownIdError(
            f"Lab {lab.id} has no exercise {exercise_id!r}; its exercises are: {valid}."
        )
    results = _run_checks(
        client, [(lab, [exercise])], clock=clock or RealClock(), wait=wait, on_wait=on_wait
    )
    return _exercise_result(lab, exercise, results)


def run_lab(
    client: ReadOnlyClient,
    lab: Lab,
    *,
    clock: Clock | None = None,
    snapshot: Snapshot | None = None,
    wait: bool = True,
) -> LabResult:
    """Grade every exercise of a lab; all checks share one snapshot and one retry loop.

    `wait=False` grades the state as it is now, ignoring every check's `within`."""
    results = _run_checks(
        client,
        [(lab, list(lab.exercises))],
        clock=clock or RealClock(),
        snapshot=snapshot,
        wait=wait,
    )
    return _lab_result(lab, results)


def _lab_result(lab: Lab, results: dict[Key, CheckResult]) -> LabResult:
    return LabResult(
        lab_id=lab.id,
        title=lab.title,
        exercises=tuple(_exercise_result(lab, e, results) for e in lab.exercises),
    )


def grade(
    client: ReadOnlyClient,
    labs: dict[str, Lab] | list[Lab],
    *,
    clock: Clock | None = None,
    wait: bool = True,
    on_wait: OnWait | None = None,
) -> GradeReport:
    """Grade every lab, in order, sharing one snapshot (one LIST per kind and namespace)."""
    clock = clock or RealClock()
    started = time.perf_counter()
    snapshot = Snapshot(client)
    items = list(labs.values()) if isinstance(labs, dict) else list(labs)
    checked = _run_checks(
        client,
        [(lab, list(lab.exercises)) for lab in items],
        clock=clock,
        snapshot=snapshot,
        wait=wait,
        on_wait=on_wait,
    )
    results = tuple(_lab_result(lab, checked) for lab in items)
    return GradeReport(
        labs=results,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 3),
        server=client.server,
    )
