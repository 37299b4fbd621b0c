"""One clock for every timestamp kubesim writes.

Controllers added later compare ages and deadlines against the same clock that stamps
`creationTimestamp`, so a test can swap in a `FrozenClock` and a course run can scale
time (`--time-scale 10` makes a 30 s grace period pass in 3 s of wall time).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Real time, optionally running `scale` times faster from the moment it was made."""

    def __init__(self, *, scale: float = 1.0) -> None:
        self.scale = scale
        self._origin_wall = time.time()
        self._origin_mono = time.monotonic()

    def timestamp(self) -> float:
        """Seconds since the epoch in cluster time."""
        elapsed = time.monotonic() - self._origin_mono
        return self._origin_wall + elapsed * self.scale

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), tz=UTC)

    def rfc3339(self, delta_seconds: float = 0.0) -> str:
        """`now` (+ delta) as Kubernetes writes metav1.Time: whole seconds, `Z` suffix."""
        return format_time(self.now() + timedelta(seconds=delta_seconds))

    def rfc3339_micro(self) -> str:
        """metav1.MicroTime, used by events.k8s.io `eventTime` and Lease renew times."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def wall_seconds(self, cluster_seconds: float) -> float:
        """How long to really sleep for `cluster_seconds` of cluster time."""
        return cluster_seconds / self.scale if self.scale > 0 else cluster_seconds


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
