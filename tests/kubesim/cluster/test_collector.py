"""The collector policy (kubesim/cluster/collector.py): a full pass freezes its survivors, so
the next ones skip them; the periodic pass over everything still frees a cycle that became
garbage after it was frozen (else memory would grow over a long run)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from kubesim.cluster import collector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def policy() -> Iterator[None]:
    collector.install()
    try:
        yield
    finally:
        collector.uninstall()


def test_a_full_pass_freezes_its_survivors(policy: None) -> None:
    gc.collect()
    assert gc.get_freeze_count() > 0
    kept = [Node() for _ in range(1000)]
    before = gc.get_freeze_count()
    gc.collect()
    assert gc.get_freeze_count() >= before + len(kept)


def test_a_frozen_cycle_waits_for_the_pass_over_everything(policy: None) -> None:
    ref = cycle()
    holder = [ref()]
    gc.collect()  # the cycle survives (held) and is frozen
    holder.clear()
    gc.collect()
    assert ref() is not None, "a full pass walked the frozen objects"
    collector.collect_everything()
    assert ref() is None


def test_young_garbage_cycles_are_still_freed_by_the_automatic_passes(policy: None) -> None:
    gc.collect()
    ref = cycle()  # never frozen: garbage before any pass
    gc.collect()
    assert ref() is None


def test_the_policy_ends_with_the_server() -> None:
    async def briefly() -> None:
        task = asyncio.create_task(collector.run(every=0.01))
        await asyncio.sleep(0.05)
        assert collector._freeze_survivors in gc.callbacks
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(briefly())
    assert collector._freeze_survivors not in gc.callbacks
    assert gc.get_freeze_count() == 0
