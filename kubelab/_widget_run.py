"""A check that runs in the background and says, while it runs, what it is waiting for.

`CheckRun` grades one exercise off the caller's thread so a notebook kernel stays free:

1. one pass over every check with `wait=False` (one snapshot, so one LIST per kind): the
   checks that pass now tick at once;
2. each check still failing with a `within` left gets a thread of its own that runs the
   checker on that check alone with `wait=True`; the checker's `on_wait` callback gives its
   deadline (the countdown), and the thread's end is the moment the check ticks or fails.

`stop()` ends every wait at once: each thread's clock jumps to infinity, past every
deadline (also one the checker computes from a clock read only after the stop, when Ctrl-C
lands between the first pass and a retry thread's start), so the checker returns its last
mismatches instead of retrying (a plain stop-aware sleep would
make it retry in a tight loop until the deadline). Observers are called from the worker
threads after every change; they must be quick and thread-safe (ipywidgets are).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import checker


class StoppableClock:
    """`checker.Clock` whose `stop()` ends the current sleep and every deadline with it."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def now(self) -> float:
        return math.inf if self._stop.is_set() else time.monotonic()

    def sleep(self, seconds: float) -> None:
        self._stop.wait(max(0.0, seconds))

    def stop(self) -> None:
        self._stop.set()


@dataclass
class CheckState:
    """What one check is doing now: `checking`, `waiting` (until `deadline`), or its result."""

    name: str
    message: str
    status: str = "checking"
    deadline: float | None = None  # time.monotonic() when it gives up
    result: checker.CheckResult | None = None
    stopped: bool = False


class CheckRun:
    """Grade one exercise in the background; poll `states`, or `wait()` for `result`."""

    def __init__(
        self,
        lab: checker.Lab,
        exercise: checker.Exercise,
        client_factory: Callable[[], checker.ReadOnlyClient],
        *,
        on_change: Callable[[CheckRun], None] | None = None,
    ) -> None:
        self.lab, self.exercise = lab, exercise
        self._client_factory = client_factory
        self._on_change = on_change
        self.states = [CheckState(c.name, c.message) for c in exercise.checks]
        self.result: checker.ExerciseResult | None = None
        self.error: Exception | None = None
        self.started = time.monotonic()
        self.finished: float | None = None
        self._clocks: list[StoppableClock] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._main, name="kubelab-check", daemon=True)

    # -- control ---------------------------------------------------------------------------

    def start(self) -> CheckRun:
        self._thread.start()
        return self

    def stop(self) -> None:
        """End every wait now; the run finishes with each check's last result."""
        self._stopped.set()
        with self._lock:
            for clock in self._clocks:
                clock.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the run has finished (passed, failed, stopped or broken)."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    # -- what the widget shows --------------------------------------------------------------

    def waiting(self) -> list[CheckState]:
        return [s for s in self.states if s.status == "waiting"]

    def seconds_left(self) -> float:
        """The longest time any check may still wait; 0 when none waits."""
        now = time.monotonic()
        return max((s.deadline - now for s in self.waiting() if s.deadline), default=0.0)

    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    # -- the work ------------------------------------------------------------------------

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self)

    def _main(self) -> None:
        try:
            self._grade()
        except Exception as exc:  # noqa: BLE001 - shown to the learner as one paragraph
            self.error = exc
        finally:
            self.finished = time.monotonic()
            self._done.set()
            self._changed()

    def _grade(self) -> None:
        with self._client_factory() as client:
            first = checker.run_exercise(client, self.lab, self.exercise.id, wait=False)
        by_name = {c.name: c for c in first.checks}
        retry = []
        for state, check in zip(self.states, self.exercise.checks, strict=True):
            state.result = by_name[check.name]
            if state.result.passed or check.within <= 0 or self.stopped:
                state.status = state.result.status
            else:
                state.status = "waiting"
                state.deadline = time.monotonic() + check.within
                retry.append((state, check))
        self._changed()
        threads = [
            threading.Thread(target=self._wait_for, args=(s, c), daemon=True) for s, c in retry
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = tuple(s.result for s in self.states if s.result is not None)
        self.result = replace(first, checks=final)

    def _wait_for(self, state: CheckState, check: checker.Check) -> None:
        """One failing check, retried by the checker until it passes or its `within` ends."""
        clock = StoppableClock()
        with self._lock:
            self._clocks.append(clock)
            if self.stopped:
                clock.stop()
        one = self.exercise.model_copy(update={"checks": [check]})
        lab = self.lab.model_copy(update={"exercises": [one]})
        started = time.monotonic()

        def on_wait(_pending: int, seconds: float) -> None:
            state.deadline = time.monotonic() + seconds
            self._changed()

        try:
            with self._client_factory() as client:
                result = checker.run_exercise(client, lab, one.id, clock=clock, on_wait=on_wait)
            got = result.checks[0]
            # a stopped clock reads infinity: keep the real time it took
            state.result = replace(got, seconds=round(time.monotonic() - started, 3))
            state.stopped = self.stopped and not got.passed
            state.status = "stopped" if state.stopped else got.status
        except Exception as exc:  # noqa: BLE001 - the run reports the first such error
            self.error = self.error or exc
            state.status = "error"
            self.stop()  # the cluster is unreachable: the other checks would only wait it out
        self._changed()
