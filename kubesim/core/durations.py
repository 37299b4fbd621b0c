"""Ages as kubectl shows them: Kubernetes' `duration.HumanDuration` and timestamp parsing.

Every AGE, LAST SEEN, DURATION and `RESTARTS (12s ago)` cell goes through here, so the
rounding rules must be exactly apimachinery's (`k8s.io/apimachinery/pkg/util/duration`):
seconds up to 2 minutes, `XmYs` below 10 minutes, whole minutes up to 3 hours, `XhYm` below
8 hours, whole hours below 2 days, `XdYh` below 8 days, days below 2 years, then `XyYd`
below 8 years. Go truncates toward zero, and so do we.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

UNKNOWN = "<unknown>"


def human_duration(seconds: float) -> str:
    """Format a duration the way `duration.HumanDuration` does (2-3 significant figures).

    A clock skew of up to two seconds into the future reads as `0s`; anything further
    in the future is `<invalid>`, as in Kubernetes.
    """
    whole = math.trunc(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 60 * 2:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


def parse_time(value: object) -> datetime | None:
    """Parse an RFC 3339 `Time` or `MicroTime` as stored; None when absent or unreadable.

    A printer never fails on a bad timestamp: the real one would show `<unknown>` for a
    zero time, and an unreadable value is treated the same way.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def since(value: object, *, now: datetime) -> str:
    """`translateTimestampSince`: the age of a timestamp at `now`, `<unknown>` if unset."""
    moment = parse_time(value)
    if moment is None:
        return UNKNOWN
    return human_duration((_aware(now) - moment).total_seconds())


def between(start: object, end: object) -> str:
    """HumanDuration of `end - start` (a Job's DURATION once it completed)."""
    first, last = parse_time(start), parse_time(end)
    if first is None or last is None:
        return UNKNOWN
    return human_duration((last - first).total_seconds())


def rfc3339(value: object) -> str:
    """A timestamp re-rendered as Go's `time.RFC3339` in UTC (the default table's cell)."""
    moment = parse_time(value)
    if moment is None:
        return "0001-01-01T00:00:00Z"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
