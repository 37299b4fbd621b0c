"""The one way a kubesim loop waits on cluster time.

`sleep(clock, s)`, `wait(clock, event, s)` and `Timer(clock, s, callback)` count in
cluster seconds. On a plain `Clock` they wait `clock.wall_seconds(s)` of real time (so
`--time-scale` speeds every timer). On a `VirtualClock` they also register their deadline
with the clock, and the skipper (`run_skipper`, one task per server) wakes them as soon
as it jumps cluster time to them; the real-time wait stays as the fallback, so a hold
that never ends only slows a test down.

It lives here, not beside the clock in `kubesim.core`, because the core is pure (no event
loop); every layer that waits (client, kubelet, controller manager, scheduler, cluster)
sits above this one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from kubesim.core.clock import Clock, VirtualClock

SKIPPER_TICK = 0.02  # real seconds between two looks at the holds (looptime's "idle")


class Timer:
    """`callback()` once `cluster_seconds` have passed in cluster time; `cancel()` stops it."""

    def __init__(self, clock: Clock, cluster_seconds: float, callback: Callable[[], None]) -> None:
        self.clock = clock
        self.when = clock.monotonic() + cluster_seconds  # cluster seconds, as `monotonic`
        self._callback = callback
        self._done = False
        loop = asyncio.get_running_loop()
        self._handle = loop.call_later(max(clock.wall_seconds(cluster_seconds), 0.0), self._fire)
        self._token: int | None = None
        if isinstance(clock, VirtualClock):
            self._token = clock.add_deadline(self.when, self._fire)

    @property
    def pending(self) -> bool:
        return not self._done

    def _fire(self) -> None:
        if self._done:
            return
        self.cancel()
        self._callback()

    def cancel(self) -> None:
        self._done = True
        self._handle.cancel()
        if self._token is not None and isinstance(self.clock, VirtualClock):
            self.clock.remove_deadline(self._token)
            self._token = None


async def sleep(clock: Clock, cluster_seconds: float) -> None:
    """Sleep `cluster_seconds` of cluster time."""
    if cluster_seconds <= 0:
        await asyncio.sleep(0)
        return
    if not isinstance(clock, VirtualClock):
        await asyncio.sleep(clock.wall_seconds(cluster_seconds))
        return
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    timer = Timer(clock, cluster_seconds, lambda: _settle(done))
    try:
        await done
    finally:
        timer.cancel()


async def wait(clock: Clock, event: asyncio.Event, cluster_seconds: float) -> bool:
    """Wait for `event` at most `cluster_seconds` of cluster time; True if it is set."""
    if event.is_set():
        return True
    if cluster_seconds <= 0:
        await asyncio.sleep(0)
        return event.is_set()
    timed_out: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    timer = Timer(clock, cluster_seconds, lambda: _settle(timed_out))
    waiter = asyncio.ensure_future(event.wait())
    pending: set[asyncio.Future[Any]] = {waiter, timed_out}
    try:
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
        waiter.cancel()
        timed_out.cancel()
    return event.is_set()


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def run_skipper(clock: VirtualClock, tick: float = SKIPPER_TICK) -> None:
    """The skipper: every `tick` of real time, wake what is due and, when nothing holds,
    jump cluster time to the next deadline. Runs until cancelled."""
    while True:
        await asyncio.sleep(tick)
        clock.tick()
