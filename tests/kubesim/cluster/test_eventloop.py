"""kubesim's event loop (kubesim/cluster/eventloop.py): a socket's work runs before the
cluster's queued work, the cluster's work still all runs, and asyncio behaves as usual."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Coroutine
from typing import Any

from kubesim.cluster.eventloop import SLICE_SECONDS, PriorityLoop


def _run(main: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=PriorityLoop) as runner:
        return runner.run(main)


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_readable_socket_is_served_before_the_queued_cluster_work() -> None:
    async def main() -> tuple[int, list[str]]:
        loop = asyncio.get_running_loop()
        order: list[str] = []
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        answered = loop.create_future()

        def readable() -> None:
            ours.recv(16)
            loop.remove_reader(ours.fileno())

            async def handler() -> None:  # a request's task: created by foreground code
                order.append("request")
                await asyncio.sleep(0)
                order.append("answer")
                answered.set_result(None)

            loop.create_task(handler())

        loop.add_reader(ours.fileno(), readable)

        def work(i: int) -> None:
            _busy(0.001)
            order.append(f"work{i}")

        for i in range(200):  # 200 ms of the cluster's work, already queued
            loop.call_soon(work, i)
        theirs.send(b"GET")
        await answered
        done_before = sum(1 for o in order[: order.index("answer")] if o.startswith("work"))
        await asyncio.sleep(0.3)
        ours.close()
        theirs.close()
        return done_before, order

    done_before, order = _run(main())
    # served after one slice of the work, not after all of it (asyncio's own order)
    assert done_before <= SLICE_SECONDS / 0.001 + 2, done_before
    assert [o for o in order if o.startswith("work")] == [f"work{i}" for i in range(200)]


def test_a_request_that_keeps_yielding_does_not_stop_the_cluster() -> None:
    async def main() -> int:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        spins = 0

        async def spinner() -> None:
            nonlocal spins
            while True:
                spins += 1
                await asyncio.sleep(0)

        def readable() -> None:
            ours.recv(16)
            loop.remove_reader(ours.fileno())
            loop.create_task(spinner())

        loop.add_reader(ours.fileno(), readable)
        theirs.send(b"x")
        await asyncio.sleep(0.05)  # background: a timer, then this task's steps
        ticks = 0
        for _ in range(20):
            await asyncio.sleep(0.001)
            ticks += 1
        ours.close()
        theirs.close()
        assert spins > 0
        return ticks

    assert _run(main()) == 20


def test_timers_tasks_and_threads_work_as_on_asyncio() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        seen: list[str] = []
        loop.call_later(0.02, seen.append, "later")
        await asyncio.gather(asyncio.sleep(0.03), asyncio.to_thread(seen.append, "thread"))
        result = await asyncio.wait_for(asyncio.shield(asyncio.sleep(0, "shielded")), 1)
        seen.append(result)
        return seen

    assert sorted(_run(main())) == ["later", "shielded", "thread"]
