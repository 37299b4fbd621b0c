"""One clock for every timestamp kubesim writes, and for every wait on cluster time.

Controllers compare ages and deadlines against the same clock that stamps
`creationTimestamp`, so a test can swap in a `FrozenClock` and a course run can scale
time (`--time-scale 10` makes a 30 s grace period pass in 3 s of wall time).

`VirtualClock` (tests only, `--virtual-time`) goes further, after kopf's looptime: when
nothing in kubesim is in flight in real time (no *hold*: a request being served, a pod
starting or terminating, a probe running, a store write still settling), cluster time
jumps to the earliest pending cluster-time deadline. The waiting itself (the event loop)
is `kubesim.client.timers`: this module stays pure bookkeeping, so every layer can read
the time and register holds.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

Busy = Callable[[], str | None]  # a hold as a callable: why it holds now, or None


class Clock:
    """Real time, optionally running `scale` times faster from the moment it was made."""

    virtual = False

    def __init__(self, *, scale: float = 1.0) -> None:
        self.scale = scale
        self.skipped = 0.0  # cluster seconds jumped over (only a VirtualClock jumps)
        self._origin_wall = time.time()
        self._origin_mono = time.monotonic()
        self._holds: dict[str, int] = {}
        self._busy: dict[str, Busy] = {}
        self._held_since_tick = False

    def monotonic(self) -> float:
        """Cluster seconds since the clock was made: what cluster-time deadlines count in."""
        return (time.monotonic() - self._origin_mono) * self.scale + self.skipped

    def timestamp(self) -> float:
        """Seconds since the epoch in cluster time."""
        return self._origin_wall + self.monotonic()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), tz=UTC)

    def rfc3339(self, delta_seconds: float = 0.0) -> str:
        """`now` (+ delta) as Kubernetes writes metav1.Time: whole seconds, `Z` suffix."""
        return format_time(self.now() + timedelta(seconds=delta_seconds))

    def rfc3339_micro(self) -> str:
        """metav1.MicroTime, used by events.k8s.io `eventTime` and Lease renew times."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def wall_seconds(self, cluster_seconds: float) -> float:
        """How long `cluster_seconds` take in real time when nothing is skipped: what a real
        duration handed outside the event loop (a probe's timeout, a grace period a process
        gets) is, and every cluster-time wait's real-time fallback."""
        return cluster_seconds / self.scale if self.scale > 0 else cluster_seconds

    def work_seconds(self, cluster_seconds: float) -> float:
        """The real time a piece of real work (a probe's request or command) gets for a
        budget in cluster seconds: scaled with the clock, like every timer."""
        return self.wall_seconds(cluster_seconds)

    # -- holds: real time in flight ------------------------------------------------------

    @contextlib.contextmanager
    def hold(self, reason: str) -> Iterator[None]:
        """While inside, cluster time may not jump (a request served, a probe running)."""
        self._holds[reason] = self._holds.get(reason, 0) + 1
        self._held_since_tick = True
        try:
            yield
        finally:
            self._held_since_tick = True  # it held during this tick's interval too
            left = self._holds[reason] - 1
            if left:
                self._holds[reason] = left
            else:
                del self._holds[reason]

    # -- clients: someone waiting on cluster time (only a VirtualClock cares) ----------------

    def asked(self) -> None:
        """A client sent a request."""

    @contextlib.contextmanager
    def streaming(self) -> Iterator[None]:
        """A client holds a watch (or a log, exec or attach stream) open."""
        yield

    def add_hold(self, name: str, busy: Busy) -> None:
        """Register a component's hold: `busy()` says why it holds now, or None. The clock
        calls it; the component never needs the clock to know about it."""
        self._busy[name] = busy

    def remove_hold(self, name: str) -> None:
        self._busy.pop(name, None)

    def holds(self) -> list[str]:
        """Why time may not jump now (empty: kubesim is quiescent). A hold active at any moment
        since the last `take_holds` counts."""
        reasons = sorted(self._holds)
        if self._held_since_tick and not reasons:
            reasons.append("held since the last tick")
        for name, busy in list(self._busy.items()):
            why = busy()
            if why:
                reasons.append(f"{name}: {why}")
        return reasons

    def take_holds(self) -> list[str]:
        """`holds()`, then start a new tick."""
        reasons = self.holds()
        self._held_since_tick = False
        return reasons


def revision_hold(revision: Callable[[], int]) -> Busy:
    """A hold while a counter moves (the store's revision): a write since the last look
    means something is still settling (watchers to tell, controllers to answer)."""
    seen = [revision()]

    def written() -> str | None:
        now = revision()
        if now == seen[0]:
            return None
        seen[0] = now
        return "written since the last tick"

    return written


MAX_SPEED = 50.0  # cluster seconds per real second, at most, while the skipper jumps
# real seconds without a client's request (and no watch, log stream or exec open) after
# which nobody is waiting on the cluster, and the skipper stops jumping until one asks
UNOBSERVED_AFTER = 2.0


class VirtualClock(Clock):
    """Cluster time = real elapsed x scale + `skipped`; `tick` jumps `skipped` forward to the
    earliest pending deadline when no hold is active. Every waiter also keeps its real-time
    fallback (`wall_seconds`), so a missing jump only slows a test, never hangs it.

    `max_speed` bounds a jump by the real time since the previous tick: while quiescent,
    cluster time runs at most that many times faster than real time, so the states a real
    observer polls for (a back-off between two pulls, a condition during its transition
    period) still last in proportion to their cluster time. None: unbounded (unit tests).

    `unobserved_after`: a jump is for a client that waits (a poll, a watch, `kubectl wait`).
    Once no client has asked anything for that many real seconds, and none holds a stream
    open, cluster time runs at its scale alone until the next request: an idle cluster jumping
    at `max_speed` does that many times the work (heartbeats, probes, metrics scrapes) for
    nobody, CPU a test machine shares with the tests. None: always jump (unit tests).
    """

    virtual = True

    def __init__(
        self,
        *,
        scale: float = 1.0,
        max_speed: float | None = MAX_SPEED,
        unobserved_after: float | None = None,
    ) -> None:
        super().__init__(scale=scale)
        self.max_speed = max_speed
        self.unobserved_after = unobserved_after
        self._deadlines: dict[int, tuple[float, Callable[[], None]]] = {}
        self._ids = itertools.count()
        self._last_tick = time.monotonic()
        self._last_asked = time.monotonic()
        self._streams = 0

    def asked(self) -> None:
        """A client sent a request: someone may be waiting on cluster time."""
        self._last_asked = time.monotonic()

    @contextlib.contextmanager
    def streaming(self) -> Iterator[None]:
        """A client holds a watch (or a log, exec or attach stream) open: it is waiting."""
        self._streams += 1
        try:
            yield
        finally:
            self._streams -= 1
            self._last_asked = time.monotonic()

    def observed(self) -> bool:
        """Whether a client asked within `unobserved_after` or holds a stream open."""
        if self.unobserved_after is None or self._streams:
            return True
        return time.monotonic() - self._last_asked <= self.unobserved_after

    def work_seconds(self, cluster_seconds: float) -> float:
        """On virtual time processes keep real time, and a probe holds the clock while it
        runs: its timeout is the real seconds it says, not a scaled-down share that a busy
        machine would miss."""
        return cluster_seconds

    def add_deadline(self, at: float, wake: Callable[[], None]) -> int:
        """Call `wake` once cluster time (`monotonic`) reaches `at`; returns a token."""
        token = next(self._ids)
        self._deadlines[token] = (at, wake)
        return token

    def remove_deadline(self, token: int) -> None:
        self._deadlines.pop(token, None)

    def next_deadline(self) -> float | None:
        return min((at for at, _ in self._deadlines.values()), default=None)

    def tick(self) -> float:
        """One skipper tick: wake what is due; if nothing holds, jump to the earliest deadline
        (or as far towards it as `max_speed` allows) and wake what is due then. Returns the
        cluster seconds skipped."""
        real = time.monotonic()
        since, self._last_tick = real - self._last_tick, real
        self._wake_due()
        if not self.observed():
            return 0.0  # no jump to make, so no holds to ask (each kubelet's walks its pods)
        reasons = self.take_holds()
        earliest = self.next_deadline()
        if reasons or earliest is None:
            return 0.0
        gap = earliest - self.monotonic()
        if self.max_speed is not None:
            gap = min(gap, max(self.max_speed - self.scale, 0.0) * since)
        if gap > 0:
            self.skipped += gap
        self._wake_due()
        return max(gap, 0.0)

    def _wake_due(self) -> None:
        now = self.monotonic()
        due = sorted((at, token) for token, (at, _) in self._deadlines.items() if at <= now + 1e-9)
        for _, token in due:
            entry = self._deadlines.pop(token, None)
            if entry is not None:
                entry[1]()


class FrozenClock(Clock):
    """A clock that only moves when a test calls `advance`."""

    def __init__(self, at: datetime | None = None) -> None:
        super().__init__()
        self._at = (at or datetime(2026, 11, 24, 16, 0, 0, tzinfo=UTC)).timestamp()

    def timestamp(self) -> float:
        return self._at

    def advance(self, seconds: float) -> None:
        self._at += seconds


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse metav1.Time / MicroTime as written by Kubernetes."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
