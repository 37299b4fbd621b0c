"""Events expire: kube-apiserver's `--event-ttl` (default 1 h) as kubesim's own sweeper.

A real API server stores every Event write under an etcd lease of `--event-ttl`, so an Event
disappears that long after it was last written (created, or bumped by its recorder: count
and lastTimestamp), whoever wrote it (kine, k3s's store, runs the same as a TTL sweep). Here
`expired` decides from the stored object which events are past their time (the latest of
creationTimestamp, lastTimestamp, eventTime, series.lastObservedTime and the managedFields
times, i.e. its last write) and `EventExpiry.run` deletes them on the cluster's clock, at
least every `SWEEP_SECONDS` and never less often than a tenth of the TTL. It reads the events
a page of `SWEEP_PAGE` at a time and lets the event loop run between pages: with 2,000
replicas there are thousands of events, and decoding them all at once held the loop (and so
every API request) for 0.2 to 0.3 s of CPU a minute.

The course's kind cluster sets `--event-ttl=24h` (manifests/cluster/kind.yaml), so that is
`python -m kubesim serve`'s default; `--event-ttl 1h` gives upstream's own default.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from kubesim.apiserver.api import DeleteOptions
from kubesim.client import timers
from kubesim.core.errors import ApiError, Gone
from kubesim.core.objects import parse_time

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]
log = logging.getLogger("kubesim.cluster")

UPSTREAM_EVENT_TTL = 3600.0  # kube-apiserver --event-ttl default
KIND_EVENT_TTL = 24 * 3600.0  # manifests/cluster/kind.yaml sets event-ttl: 24h
SWEEP_SECONDS = 60.0
SWEEP_PAGE = 500  # events read (and decoded) per step of a sweep

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration as kube-apiserver's flags take it (`24h`, `1h30m`, `90s`).

    Raises ValueError with the reason for anything else."""
    value = text.strip()
    pos, total = 0, 0.0
    for match in _GO_DURATION.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        raise ValueError(
            f"{text!r} is not a duration: write it as Go does, a number and a unit "
            "(h, m, s or ms), such as 24h, 1h30m or 90s"
        )
    if total <= 0:
        raise ValueError(f"{text!r}: the event TTL must be above zero")
    return total


def last_written(event: Obj) -> datetime | None:
    """When the event was last written, as far as the stored object tells."""
    md = event.get("metadata") or {}
    stamps = [
        md.get("creationTimestamp"),
        event.get("lastTimestamp"),
        event.get("eventTime"),
        (event.get("series") or {}).get("lastObservedTime"),
        *[(m or {}).get("time") for m in md.get("managedFields") or []],
    ]
    times = [t for t in (parse_time(s) for s in stamps if s) if t is not None]
    return max(times) if times else None


def expired(events: list[Obj], *, now: datetime, ttl: float) -> list[Obj]:
    """The events whose lease of ``ttl`` seconds from their last write has run out."""
    limit = timedelta(seconds=ttl)
    out = []
    for event in events:
        written = last_written(event)
        if written is not None and now - written >= limit:
            out.append(event)
    return out


class EventExpiry:
    """Deletes expired core/v1 Events (events.k8s.io/v1 is the same storage)."""

    def __init__(self, api: Api, *, ttl: float = KIND_EVENT_TTL) -> None:
        self.api = api
        self.ttl = ttl
        self._events = api.resource("", "v1", "events")

    async def sweep(self) -> int:
        """Delete the expired events, letting the event loop run between pages."""
        gone = 0
        for page in self._pages():
            gone += self._delete_expired(page)
            await asyncio.sleep(0)
        return gone

    def _pages(self) -> Iterator[list[Obj]]:
        """Every event, a page at a time (a deleted event does not move the continue
        position; a compaction that outdates it ends this sweep, the next starts over)."""
        token = ""
        while True:
            try:
                result = self.api.list(self._events, None, limit=SWEEP_PAGE, continue_token=token)
            except Gone:
                return
            yield result.objects()
            token = result.continue_token or ""
            if not token:
                return

    def _delete_expired(self, events: list[Obj]) -> int:
        gone = 0
        for event in expired(events, now=self.api.clock.now(), ttl=self.ttl):
            md = event["metadata"]
            with contextlib.suppress(ApiError):  # written again or deleted meanwhile
                self.api.delete(
                    self._events,
                    md.get("namespace"),
                    md["name"],
                    options=DeleteOptions(
                        preconditions={"resourceVersion": md.get("resourceVersion")}
                    ),
                )
                gone += 1
        return gone

    async def run(self) -> None:
        period = min(SWEEP_SECONDS, self.ttl / 10)
        while True:
            try:
                await self.sweep()
            except Exception:  # the sweeper must never stop the cluster
                log.exception("event expiry sweep failed")
            await timers.sleep(self.api.clock, period)


__all__ = [
    "EventExpiry",
    "KIND_EVENT_TTL",
    "UPSTREAM_EVENT_TTL",
    "expired",
    "last_written",
    "parse_duration",
]
