"""The machinery every kubesim control loop runs on: client-go's work queue, shared
informer caches, and one controller's worker loop.

* A key added while it is being processed is processed once more afterwards, never twice
  at once (the queue's dirty and processing sets).
* A ``Conflict`` (the decision was computed from a stale object) requeues the key at once
  (5 ms, doubling per repeated failure up to 1 s, like client-go's rate limiter).
* Every delay (``add_after``, a sync's ``requeue_after``, the rate limiter's back-off) is in
  *cluster* seconds on the controller's clock (``kubesim.client.timers``), so a sped-up
  clock speeds every timer and a virtual clock jumps over them.
* Before deciding again a controller waits until its informers have seen its own last
  writes (``Caches.caught_up``): without it a ReplicaSet synced twice in a row would create
  its pods twice. client-go calls this "expectations"; here it is a revision watermark.
* A sync may be a coroutine (the controllers that create pods in slow-start batches yield
  to the loop between writes); a ``PartialWrite`` still sets the watermark from what it
  wrote, then requeues like its cause.

The controller manager and the scheduler both build on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesim.client.actuator import PartialWrite, Written
from kubesim.client.informer import Informer
from kubesim.client.timers import Timer
from kubesim.core.clock import Clock
from kubesim.core.errors import ApiError, Conflict

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]
GR = tuple[str, str]  # (group, plural)

log = logging.getLogger("kubesim.controllers")


# --- work queue ---------------------------------------------------------------------------


class WorkQueue:
    """client-go's workqueue: dirty/processing sets give dedupe and one-at-a-time per key."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._queue: deque[Hashable] = deque()
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._ready = asyncio.Event()
        self._timers: dict[Hashable, Timer] = {}
        self._failures: dict[Hashable, int] = {}

    def add(self, key: Hashable) -> None:
        if key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return
        self._queue.append(key)
        self._ready.set()

    def add_after(self, key: Hashable, cluster_seconds: float) -> None:
        """Add `key` after `cluster_seconds` of cluster time; an earlier pending delay for
        the key wins."""
        if cluster_seconds <= 0:
            self.add(key)
            return
        when = self.clock.monotonic() + cluster_seconds
        timer = self._timers.get(key)
        if timer is not None and timer.pending and timer.when <= when:
            return
        if timer is not None:
            timer.cancel()
        self._timers[key] = Timer(self.clock, cluster_seconds, lambda: self._fire(key))

    def add_rate_limited(self, key: Hashable) -> None:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        self.add_after(key, min(0.005 * 2**n, 1.0))

    def forget(self, key: Hashable) -> None:
        self._failures.pop(key, None)

    def _fire(self, key: Hashable) -> None:
        self._timers.pop(key, None)
        self.add(key)

    async def get(self) -> Hashable:
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: Hashable) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._ready.set()

    def __len__(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()


# --- shared informers ---------------------------------------------------------------------


class Caches:
    """One informer per watched resource, and how far each has read (for expectations)."""

    def __init__(self, api: Api, resources: Iterable[tuple[str, str, str]]) -> None:
        self.api = api
        self.informers: dict[GR, Informer] = {}
        self.seen: dict[GR, int] = {}
        self.progress = asyncio.Event()
        for group, version, plural in resources:
            informer = Informer(api, api.resource(group, version, plural))
            gr = (group, plural)
            self.informers[gr] = informer
            self.seen[gr] = 0
            informer.on_change(self._watermark(gr))

    def _watermark(self, gr: GR) -> Callable[[str, Obj, Obj | None], None]:
        def handler(kind: str, obj: Obj, previous: Obj | None) -> None:
            rv = int((obj.get("metadata") or {}).get("resourceVersion") or 0)
            if rv > self.seen[gr]:
                self.seen[gr] = rv
            self.progress.set()

        return handler

    def informer(self, group: str, plural: str) -> Informer:
        return self.informers[(group, plural)]

    def get(self, group: str, plural: str, namespace: str, name: str) -> Obj | None:
        return self.informers[(group, plural)].get(namespace, name)

    def items(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        objs = self.informers[(group, plural)].items()
        if namespace is None:
            return objs
        return [o for o in objs if (o.get("metadata") or {}).get("namespace") == namespace]

    def caught_up(self, expected: dict[GR, int]) -> bool:
        return all(self.seen.get(gr, rev) >= rev for gr, rev in expected.items())

    async def wait_caught_up(self, expected: dict[GR, int], *, timeout: float = 2.0) -> None:
        """Wait (bounded: a write filtered out of a watch never shows) for `expected`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.caught_up(expected):
            left = deadline - loop.time()
            if left <= 0:
                return
            self.progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.progress.wait(), min(left, 0.05))

    async def run(self) -> None:
        await asyncio.gather(*(i.run() for i in self.informers.values()))

    async def synced(self) -> None:
        await asyncio.gather(*(i.synced.wait() for i in self.informers.values()))


SyncResult = tuple[list[Written], float | None]


# --- one controller -----------------------------------------------------------------------


@dataclass
class Controller:
    """A named work queue and its sync function. `sync(key)` returns (writes, requeue), or
    a coroutine that does."""

    name: str
    sync: Callable[[Any], SyncResult | Awaitable[SyncResult]]
    caches: Caches
    queue: WorkQueue = field(default_factory=WorkQueue)
    expected: dict[GR, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.queue.clock = self.caches.api.clock  # its delays count in the cluster's time

    def enqueue(self, key: Hashable) -> None:
        self.queue.add(key)

    async def run(self) -> None:
        try:
            while True:
                key = await self.queue.get()
                try:
                    await self.caches.wait_caught_up(self.expected)
                    self.expected.clear()
                    result = self.sync(key)
                    if inspect.isawaitable(result):
                        result = await result
                    written, requeue = result
                    self._expect(written)
                    self.queue.forget(key)
                    if requeue is not None:
                        self.queue.add_after(key, max(requeue, 0.0))
                except PartialWrite as exc:
                    self._expect(exc.written)
                    if not isinstance(exc.cause, Conflict):
                        log.info("%s: %s: %s", self.name, key, exc.cause.message)
                    self.queue.add_rate_limited(key)
                except Conflict:
                    self.queue.add_rate_limited(key)
                except ApiError as exc:
                    log.info("%s: %s: %s", self.name, key, exc.message)
                    self.queue.add_rate_limited(key)
                except Exception:  # a bug in one sync must not stop the controller
                    log.exception("%s: sync of %s failed", self.name, key)
                    self.queue.add_rate_limited(key)
                finally:
                    self.queue.done(key)
                await asyncio.sleep(0)  # let informers deliver what we just wrote
        finally:
            self.queue.close()

    def _expect(self, written: list[Written]) -> None:
        for w in written:
            gr = (w.group, w.plural)
            if gr in self.caches.informers:
                self.expected[gr] = max(self.expected.get(gr, 0), w.revision)
