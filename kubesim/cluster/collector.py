"""Python's garbage collector, paced for a server that must answer while the cluster grows.

kubesim's API server, controllers and kubelets share one event loop, and a full pass of
CPython's cyclic collector stops it for as long as it takes to walk every tracked object.
With 2,000 pods that was 31 ms of CPU at the start growing to 217 ms (409 ms while they were
deleted), every 10 to 15 s while pods were created (issue 21): a GET waited for it.

Nearly everything a full pass walks is long-lived (stored objects, informer caches, pod
workers) and is found alive again each time. So the survivors of each full pass are frozen
(`gc.freeze()`, which CPython's documentation suggests for this): the next automatic passes
walk only what is newer, and their cost follows the allocation rate, not the heap's size.
Frozen objects are never collected, so a cycle that became garbage after its objects were
frozen would be kept: every `UNFROZEN_EVERY` seconds one pass walks everything again
(`gc.unfreeze()`, then a collection), which keeps memory flat over hours (the soak,
`bench/soak.py`) for one long pause every few minutes instead of one every few seconds.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

UNFROZEN_EVERY = 300.0  # real seconds: memory, not cluster time


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def install() -> None:
    """From now on, the survivors of every full pass are frozen."""
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def uninstall() -> None:
    """Back to CPython's own policy, everything collectable again."""
    if _freeze_survivors in gc.callbacks:
        gc.callbacks.remove(_freeze_survivors)
    gc.unfreeze()


def collect_everything() -> int:
    """One pass over every object, frozen ones included; returns what it freed. Its
    survivors are frozen again by the callback."""
    gc.unfreeze()
    return gc.collect()


async def run(every: float = UNFROZEN_EVERY) -> None:
    """The policy for as long as the server runs: freeze after each full pass, walk
    everything every `every` seconds."""
    install()
    try:
        while True:
            await asyncio.sleep(every)
            collect_everything()
    finally:
        uninstall()
