"""The event loop kubesim serves from: the API's requests first, the cluster's work in slices.

On a real cluster kube-apiserver has CPU of its own; in kubesim the API server, the
controllers, the scheduler and the kubelets share one event loop, and asyncio runs every
callback that is ready before it looks at the sockets again. While 2,000 pods were created
(issue 21) an iteration of the loop held 5 ms of the cluster's work at the median and 44 ms
at the 99th percentile, and a GET needs a few iterations: 35 ms at the median, 100 to 160 ms
at p99, although the GET itself costs a millisecond.

`PriorityLoop` changes only the order in which ready callbacks run:

- *foreground* callbacks run first, whenever one is ready: a socket or pipe that became
  readable or writable (the selector's callbacks), the steps of tasks created by foreground
  code (aiohttp's connection and request tasks start from the listening socket's accept), and
  plain callbacks foreground code schedules;
- *background* callbacks (everything else: the controllers, the scheduler, the kubelets'
  workers, timers) run in slices of at most `SLICE_SECONDS` per iteration (at least one
  callback each), after which the loop polls the sockets again; and between two of them
  foreground work runs for at most `FOREGROUND_SECONDS`, so requests cannot starve the
  cluster either.

Nothing is dropped or reordered within its class, and the loop never idles while work is
ready, so the cluster does the same work; a request waits at most for the callback running
when it arrives and one slice. The timer and selector handling are CPython's own
(`BaseEventLoop._run_once`, 3.11 to 3.13), which this module follows step by step.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import threading
import time
import weakref
from asyncio import base_events, events
from collections.abc import Callable, Coroutine, Generator
from contextvars import Context
from typing import Any

SLICE_SECONDS = 0.005
FOREGROUND_SECONDS = 0.05


class PriorityLoop(asyncio.SelectorEventLoop):
    """A selector event loop that serves I/O-driven work before the cluster's own."""

    def __init__(self, slice_seconds: float = SLICE_SECONDS) -> None:
        super().__init__()
        self.slice_seconds = slice_seconds
        self._foreground: collections.deque[events.Handle] = collections.deque()
        self._foreground_tasks: weakref.WeakSet[asyncio.Future[Any]] = weakref.WeakSet()
        self._in_foreground = False
        self._starting_foreground = False
        self._loop_thread = threading.get_ident()
        self.set_task_factory(self._task)

    def _task(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
        **kwargs: Any,
    ) -> asyncio.Task[Any]:
        """Tasks inherit the class of the code that creates them."""
        if not self._in_foreground:
            return asyncio.Task(coro, loop=loop, **kwargs)
        self._starting_foreground = True  # the constructor schedules the task's first step
        try:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        finally:
            self._starting_foreground = False
        self._foreground_tasks.add(task)
        return task

    def _is_foreground(self, callback: Callable[..., Any]) -> bool:
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, asyncio.Task):  # a task's step or wake-up: the task's class
            return self._starting_foreground or owner in self._foreground_tasks
        return self._in_foreground and threading.get_ident() == self._loop_thread

    def _call_soon(
        self, callback: Callable[..., Any], args: Any, context: Context | None
    ) -> events.Handle:
        if not self._is_foreground(callback):
            return super()._call_soon(callback, args, context)  # type: ignore[misc]
        handle = events.Handle(callback, args, self, context)
        self._foreground.append(handle)
        return handle

    def _add_callback(self, handle: events.Handle) -> None:
        """The selector's callbacks: a socket or pipe is ready."""
        if not handle._cancelled:  # type: ignore[attr-defined]
            self._foreground.append(handle)

    def _run_foreground(self) -> None:
        """Until none is ready (what they schedule included: a request's whole chain, from
        its socket to its handler's answer), or for at most `FOREGROUND_SECONDS`, so that a
        foreground task that keeps yielding cannot stop the cluster."""
        self._in_foreground = True
        deadline = time.perf_counter() + FOREGROUND_SECONDS
        try:
            while self._foreground:
                handle = self._foreground.popleft()
                if not handle._cancelled:  # type: ignore[attr-defined]
                    handle._run()  # type: ignore[attr-defined]
                if time.perf_counter() >= deadline:
                    break
        finally:
            self._in_foreground = False

    def _run_once(self) -> None:
        me: Any = self  # BaseEventLoop's private state, which typeshed does not declare
        base: Any = base_events
        # CPython's timer bookkeeping, unchanged
        scheduled = me._scheduled
        sched_count = len(scheduled)
        if (
            sched_count > base._MIN_SCHEDULED_TIMER_HANDLES
            and me._timer_cancelled_count / sched_count > base._MIN_CANCELLED_TIMER_HANDLES_FRACTION
        ):
            kept = []
            for handle in scheduled:
                if handle._cancelled:
                    handle._scheduled = False
                else:
                    kept.append(handle)
            heapq.heapify(kept)
            me._scheduled = scheduled = kept
            me._timer_cancelled_count = 0
        else:
            while scheduled and scheduled[0]._cancelled:
                me._timer_cancelled_count -= 1
                handle = heapq.heappop(scheduled)
                handle._scheduled = False

        ready = me._ready
        timeout = None
        if ready or self._foreground or me._stopping:
            timeout = 0.0
        elif scheduled:
            when = scheduled[0]._when
            timeout = min(max(0.0, when - self.time()), base.MAXIMUM_SELECT_TIMEOUT)

        event_list = me._selector.select(timeout)
        me._process_events(event_list)
        event_list = None

        end_time = self.time() + me._clock_resolution
        while scheduled:
            handle = scheduled[0]
            if handle._when >= end_time:
                break
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            ready.append(handle)

        # the policy: foreground first; background for one slice (at least one callback),
        # the rest stays ready for the next iteration, after the sockets are polled again
        self._run_foreground()
        deadline = time.perf_counter() + self.slice_seconds
        for _ in range(len(ready)):
            handle = ready.popleft()
            if handle._cancelled:
                continue
            handle._run()
            self._run_foreground()
            if time.perf_counter() >= deadline:
                break
        handle = None
