"""Events expire `--event-ttl` after their last write, as kube-apiserver's etcd leases do."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kubesim.__main__ import main
from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.client.recorder import EventRecorder
from kubesim.cluster import event_ttl
from kubesim.cluster.event_ttl import (
    KIND_EVENT_TTL,
    EventExpiry,
    expired,
    parse_duration,
)
from kubesim.core.clock import FrozenClock
from kubesim.store.sqlite import Store


@pytest.mark.parametrize(
    "text, seconds",
    [
        pytest.param("24h", 86400.0, id="kind-config"),
        pytest.param("1h0m0s", 3600.0, id="upstream-default-as-go-prints-it"),
        pytest.param("1h30m", 5400.0, id="hours-and-minutes"),
        pytest.param("90s", 90.0, id="seconds"),
        pytest.param("1500ms", 1.5, id="milliseconds"),
    ],
)
def test_event_ttl_takes_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "24", "1d", "h", "0s", "-1h", "1h 30m"])
def test_a_bad_event_ttl_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="duration|above zero"):
        parse_duration(text)


def test_serve_refuses_a_bad_event_ttl_with_a_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--state-dir", "/nonexistent", "--kubeconfig", "/x", "--event-ttl", "1d"])
    err = capsys.readouterr().err
    assert "'1d' is not a duration" in err and "Traceback" not in err


def _event(name: str, last: str, *, created: str = "2026-01-01T00:00:00Z") -> dict:
    return {
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": created},
        "lastTimestamp": last,
    }


def test_an_event_expires_ttl_after_its_last_write_not_its_creation() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 2, 0, 30, tzinfo=UTC)
    old = _event("old", "2026-01-01T00:10:00Z")
    bumped = _event("bumped", "2026-01-01T01:00:00Z")  # created with old, repeated later
    fresh = _event("fresh", "2026-01-02T00:00:00Z", created="2026-01-02T00:00:00Z")

    gone = expired([old, bumped, fresh], now=now, ttl=KIND_EVENT_TTL)

    assert [e["metadata"]["name"] for e in gone] == ["old"]


async def test_the_sweeper_deletes_events_once_the_clock_passes_the_ttl(tmp_path: Path) -> None:
    clock = FrozenClock()
    api = Api(Store(tmp_path / "s.db"), clock=clock)
    bootstrap(api)
    recorder = EventRecorder(api, component="kubelet")
    ref = {"apiVersion": "v1", "kind": "Pod", "name": "web", "namespace": "default", "uid": "u"}
    recorder.record_ref(ref, "Normal", "Pulled", "first")
    clock.advance(1800)
    recorder.record_ref(ref, "Normal", "Started", "second")
    events = api.resource("", "v1", "events")
    expiry = EventExpiry(api, ttl=3600)

    clock.advance(1799)
    assert await expiry.sweep() == 0
    clock.advance(2)
    assert await expiry.sweep() == 1
    assert [e["reason"] for e in api.list(events, "default").objects()] == ["Started"]
    clock.advance(1800)
    assert await expiry.sweep() == 1
    assert api.list(events, "default").objects() == []


def _recorded(tmp_path: Path, count: int) -> tuple[Api, FrozenClock]:
    clock = FrozenClock()
    api = Api(Store(tmp_path / "s.db"), clock=clock)
    bootstrap(api)
    recorder = EventRecorder(api, component="kubelet")
    for i in range(count):
        ref = {"apiVersion": "v1", "kind": "Pod", "name": f"p{i}", "namespace": "default"}
        recorder.record_ref({**ref, "uid": f"u{i}"}, "Normal", "Pulled", f"event {i}")
    return api, clock


async def test_a_sweep_reads_page_by_page_and_misses_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_ttl, "SWEEP_PAGE", 2)
    api, clock = _recorded(tmp_path, 3)
    clock.advance(1800)
    recorder = EventRecorder(api, component="kubelet")
    ref = {"apiVersion": "v1", "kind": "Pod", "name": "late", "namespace": "default", "uid": "l"}
    recorder.record_ref(ref, "Normal", "Started", "late")
    clock.advance(1801)
    # 3 expired events over 2 pages, the fourth still within its hour
    assert await EventExpiry(api, ttl=3600).sweep() == 3
    events = api.list(api.resource("", "v1", "events"), "default").objects()
    assert [e["reason"] for e in events] == ["Started"]


async def test_a_sweep_lets_the_event_loop_run_between_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_ttl, "SWEEP_PAGE", 2)
    api, clock = _recorded(tmp_path, 6)
    clock.advance(3601)
    turns: list[int] = []

    async def other_task() -> None:
        while True:
            turns.append(len(turns))
            await asyncio.sleep(0)

    other = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    before = len(turns)
    assert await EventExpiry(api, ttl=3600).sweep() == 6
    other.cancel()
    assert len(turns) - before >= 2  # 3 pages: the loop ran the other task between them
