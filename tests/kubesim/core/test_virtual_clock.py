"""The one clock: cluster-time waits (`kubesim.client.timers`) and the VirtualClock that
jumps over them only when nothing holds real time."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.server import Server, _long_lived
from kubesim.client import timers
from kubesim.client.workqueue import WorkQueue
from kubesim.cluster.metrics import MIN_RATE_WINDOW, Metrics
from kubesim.core.clock import Clock, VirtualClock, revision_hold
from kubesim.store.sqlite import Store


def _deadline(clock: VirtualClock, after: float, woken: list[str], name: str) -> None:
    clock.add_deadline(clock.monotonic() + after, lambda: woken.append(name))


def test_a_jump_waits_until_no_hold_is_active_for_a_whole_tick() -> None:
    clock = VirtualClock(max_speed=None)
    woken: list[str] = []
    _deadline(clock, 100.0, woken, "timer")
    with clock.hold("API request"):
        assert clock.tick() == 0.0
        assert woken == []
    # released between two ticks: the tick that saw it still may not jump
    assert clock.tick() == 0.0 and woken == []
    assert clock.tick() > 99.0
    assert woken == ["timer"]
    assert clock.monotonic() >= 100.0 and clock.skipped > 99.0


def test_a_registered_hold_is_asked_at_every_tick() -> None:
    clock = VirtualClock(max_speed=None)
    woken: list[str] = []
    _deadline(clock, 60.0, woken, "timer")
    starting = ["pod default/web: creating"]
    clock.add_hold("kubelet kind-worker", lambda: starting[0] if starting else None)
    assert clock.tick() == 0.0
    assert clock.holds() == ["kubelet kind-worker: pod default/web: creating"]
    starting.clear()
    assert clock.tick() > 59.0 and woken == ["timer"]


def test_a_store_write_holds_one_tick() -> None:
    clock = VirtualClock(max_speed=None)
    revision = [7]
    clock.add_hold("store", revision_hold(lambda: revision[0]))
    woken: list[str] = []
    _deadline(clock, 10.0, woken, "timer")
    revision[0] = 8
    assert clock.tick() == 0.0
    assert clock.tick() > 9.0 and woken == ["timer"]


def test_deadlines_are_reached_in_order_and_shared_ones_together() -> None:
    clock = VirtualClock(max_speed=None)
    woken: list[str] = []
    start = clock.monotonic()
    for name, after in (("thirty", 30.0), ("ten", 10.0), ("twenty", 20.0), ("ten too", 10.0)):
        clock.add_deadline(start + after, lambda name=name: woken.append(name))
    clock.tick()
    assert woken == ["ten", "ten too"]
    clock.tick()
    assert woken[2:] == ["twenty"]
    clock.tick()
    assert woken[3:] == ["thirty"]
    assert 30.0 <= clock.monotonic() - start < 31.0
    assert clock.tick() == 0.0  # nothing pending: nothing to jump to


def test_a_plain_clock_never_jumps_and_counts_holds_all_the_same() -> None:
    clock = Clock(scale=4.0)
    assert not clock.virtual and clock.skipped == 0.0
    with clock.hold("probe in flight"):
        assert clock.holds() == ["probe in flight"]
    assert clock.take_holds() == ["held since the last tick"]
    assert clock.holds() == []


async def test_a_long_sleep_passes_at_once_when_nothing_holds() -> None:
    clock = VirtualClock(max_speed=None)
    skipper = asyncio.create_task(timers.run_skipper(clock, tick=0.01))
    try:
        began = time.monotonic()
        await asyncio.wait_for(timers.sleep(clock, 3600.0), 5.0)
        assert time.monotonic() - began < 5.0
        assert clock.monotonic() >= 3600.0
    finally:
        skipper.cancel()


async def test_with_a_hold_that_never_ends_time_runs_real_and_the_sleeper_still_wakes() -> None:
    clock = VirtualClock(scale=2.0, max_speed=None)
    clock.add_hold("stuck", lambda: "always")
    skipper = asyncio.create_task(timers.run_skipper(clock, tick=0.01))
    try:
        began = time.monotonic()
        await asyncio.wait_for(timers.sleep(clock, 0.6), 5.0)  # 0.3 s of real time at 2x
        assert time.monotonic() - began >= 0.29
        assert clock.skipped == 0.0
    finally:
        skipper.cancel()


async def test_wait_returns_whether_the_event_came_before_the_cluster_deadline() -> None:
    clock = VirtualClock(max_speed=None)
    skipper = asyncio.create_task(timers.run_skipper(clock, tick=0.01))
    try:
        event = asyncio.Event()
        assert await asyncio.wait_for(timers.wait(clock, event, 300.0), 5.0) is False
        asyncio.get_running_loop().call_later(0.05, event.set)
        with clock.hold("API request"):  # no jump meanwhile: the event comes first
            assert await asyncio.wait_for(timers.wait(clock, event, 300.0), 5.0) is True
    finally:
        skipper.cancel()


async def test_the_work_queue_delays_in_cluster_time() -> None:
    clock = VirtualClock(max_speed=None)
    queue = WorkQueue(clock)
    skipper = asyncio.create_task(timers.run_skipper(clock, tick=0.01))
    try:
        queue.add_after("hpa", 15.0)
        queue.add_after("hpa", 300.0)  # a later delay for the same key: the earlier wins
        assert await asyncio.wait_for(queue.get(), 5.0) == "hpa"
        assert 15.0 <= clock.monotonic() < 20.0
    finally:
        skipper.cancel()
        queue.close()


class _Usage:
    def __init__(self) -> None:
        self.cpu_seconds = 0.0
        self.memory_bytes = 64 << 20


def _metrics(clock: Clock, usage: _Usage) -> Metrics:
    """metrics-server's sampler over one node with one container whose usage the test sets."""
    running = SimpleNamespace(usage=lambda: usage, memory_bytes=lambda: usage.memory_bytes)
    worker = SimpleNamespace(running={"app": running}, pod={"metadata": {}})
    kubelet = SimpleNamespace(running=True, workers={"uid-1": worker})
    return Metrics(SimpleNamespace(clock=clock), {"kind-worker": kubelet})  # type: ignore[arg-type]


async def test_a_cpu_rate_divides_by_real_time_not_by_cluster_time_that_jumped() -> None:
    clock = VirtualClock(scale=4.0, max_speed=None)
    usage = _Usage()
    metrics = _metrics(clock, usage)
    metrics.scrape()
    began = time.monotonic()
    await asyncio.sleep(MIN_RATE_WINDOW + 0.1)
    clock.skipped += 900.0  # fifteen cluster minutes jumped over meanwhile
    usage.cpu_seconds = 0.3  # 0.3 CPU seconds in about 0.6 real seconds
    metrics.scrape()
    real = time.monotonic() - began
    cores = metrics._usage[("uid-1", "app")].cpu_nanocores / 1e9
    assert abs(cores - 0.3 / real) < 0.05, cores  # about half a core, not 0.3 / 900


def _request(path: str) -> Any:
    return make_mocked_request("GET", path)


def test_requests_that_stay_open_as_long_as_their_client_likes_hold_no_cluster_time() -> None:
    assert _long_lived(_request("/api/v1/namespaces/default/pods?watch=true"))
    assert _long_lived(_request("/api/v1/watch/namespaces/default/pods"))
    assert _long_lived(_request("/api/v1/namespaces/default/pods/web/log?follow=true"))
    assert _long_lived(_request("/api/v1/namespaces/default/pods/web/portforward"))
    assert not _long_lived(_request("/api/v1/namespaces/default/pods/web/log"))
    assert not _long_lived(_request("/api/v1/namespaces/default/pods/web/exec?command=ls"))
    assert not _long_lived(_request("/api/v1/namespaces/default/pods"))


async def test_a_scrape_right_after_a_jump_keeps_the_rate_it_measured_over_real_time() -> None:
    clock = VirtualClock(max_speed=None)
    usage = _Usage()
    metrics = _metrics(clock, usage)
    metrics.scrape()
    await asyncio.sleep(MIN_RATE_WINDOW + 0.1)
    usage.cpu_seconds = 0.3
    metrics.scrape()
    measured = metrics._usage[("uid-1", "app")].cpu_nanocores
    clock.skipped += 15.0  # the next scrape, at once: one CPU tick more would read as 1/3 core
    usage.cpu_seconds, usage.memory_bytes = 0.31, 96 << 20
    metrics.scrape()
    assert metrics._usage[("uid-1", "app")].cpu_nanocores == measured
    assert metrics._usage[("uid-1", "app")].memory == 96 << 20


def test_while_quiescent_cluster_time_runs_at_most_max_speed_times_real_time() -> None:
    # real time first, before the clock exists: its jumps are bounded from its own creation,
    # so a start read after it came up 50 us short once (50x the microseconds between)
    began = time.monotonic()
    clock = VirtualClock(scale=10.0, max_speed=50.0)
    woken: list[str] = []
    _deadline(clock, 40.0, woken, "stabilization window")
    start = clock.monotonic()
    while not woken:
        time.sleep(0.02)
        clock.tick()
        assert clock.monotonic() - start <= 50.0 * (time.monotonic() - began) + 1e-6
    assert clock.skipped > 0 and woken == ["stabilization window"]


def test_real_work_gets_scaled_time_on_a_scaled_clock_and_real_time_on_a_virtual_one() -> None:
    assert Clock(scale=10.0).work_seconds(1.0) == 0.1
    assert VirtualClock(scale=10.0).work_seconds(1.0) == 1.0


def test_an_unobserved_cluster_keeps_its_scale_until_a_client_asks_again() -> None:
    clock = VirtualClock(max_speed=None, unobserved_after=0.05)
    woken: list[str] = []
    _deadline(clock, 100.0, woken, "heartbeat")
    time.sleep(0.1)  # nobody asked for longer than unobserved_after
    assert clock.tick() == 0.0 and woken == []
    clock.asked()
    assert clock.tick() > 99.0 and woken == ["heartbeat"]


def test_an_open_stream_is_a_client_waiting_however_long_it_lasts() -> None:
    clock = VirtualClock(max_speed=None, unobserved_after=0.05)
    woken: list[str] = []
    with clock.streaming():  # `kubectl wait`'s watch
        time.sleep(0.1)
        _deadline(clock, 100.0, woken, "rollout")
        assert clock.tick() > 99.0 and woken == ["rollout"]
    _deadline(clock, 100.0, woken, "after")
    assert clock.tick() > 99.0  # it just ended: that is asking
    time.sleep(0.1)
    _deadline(clock, 100.0, woken, "later")
    assert clock.tick() == 0.0 and woken == ["rollout", "after"]


def test_without_unobserved_after_the_clock_always_jumps() -> None:
    clock = VirtualClock(max_speed=None)
    woken: list[str] = []
    time.sleep(0.05)
    _deadline(clock, 100.0, woken, "timer")
    assert clock.tick() > 99.0 and woken == ["timer"]


async def test_the_served_api_tells_the_clock_of_each_request_and_each_open_watch(
    tmp_path: Path,
) -> None:
    """A GET is a client asking; a watch is a client waiting for as long as it is open."""
    clock = VirtualClock(max_speed=None, unobserved_after=0.05)
    store = Store(tmp_path / "state.db")
    api = Api(store, clock=clock)
    bootstrap(api)
    auth = {"Authorization": "Bearer t0ken"}
    client = TestClient(TestServer(Server(api, token="t0ken").app()))
    await client.start_server()
    try:
        await asyncio.sleep(0.1)
        assert not clock.observed()
        assert (await client.get("/api/v1/namespaces", headers=auth)).status == 200
        assert clock.observed()
        watch = await client.get("/api/v1/namespaces?watch=true", headers=auth)
        await asyncio.sleep(0.1)
        assert clock.observed(), "an open watch is someone waiting"
        watch.close()
        await asyncio.sleep(0.2)
        assert not clock.observed()
    finally:
        await client.close()
        store.close()
