"""A shared cache of one resource kept by list+watch, like client-go's informers.

Controllers read from caches (no LIST per reconcile) and are told which keys changed.
The cache holds the store's objects (read-only: copy before changing).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubesim.core.errors import ApiError

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api
    from kubesim.core.resources import Resource

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)


def key_of(obj: Obj) -> Key:
    meta = obj["metadata"]
    return (meta.get("namespace") or "", meta["name"])


class Informer:
    def __init__(self, api: Api, res: Resource, *, field_selector: str = "") -> None:
        self.api = api
        self.res = res
        self.field_selector = field_selector
        self.cache: dict[Key, Obj] = {}
        self.synced = asyncio.Event()
        self._handlers: list[Callable[[str, Obj, Obj | None], None]] = []

    def on_change(self, handler: Callable[[str, Obj, Obj | None], None]) -> None:
        """handler(event_type, obj, previous) is called for every change after sync, and for
        every object at sync as ADDED."""
        self._handlers.append(handler)

    def items(self) -> list[Obj]:
        return list(self.cache.values())

    def get(self, namespace: str, name: str) -> Obj | None:
        return self.cache.get((namespace, name))

    async def run(self) -> None:
        while True:
            try:
                await self._list_and_watch()
            except ApiError:
                await asyncio.sleep(0.2)  # e.g. 410 Gone: relist, as an informer does

    async def _list_and_watch(self) -> None:
        result = self.api.list(self.res, None, field_selector=self.field_selector)
        fresh = {key_of(o): o for o in result.objects()}
        for key in set(self.cache) - set(fresh):
            self._emit("DELETED", self.cache.pop(key), None)
        for key, obj in fresh.items():
            previous = self.cache.get(key)
            self.cache[key] = obj
            self._emit("ADDED" if previous is None else "MODIFIED", obj, previous)
        self.synced.set()
        watch = self.api.watch(
            self.res,
            None,
            resource_version=result.resource_version,
            field_selector=self.field_selector,
        )
        try:
            while True:
                event = await watch.next()
                if event is None:
                    return
                if event.type in ("BOOKMARK", "ERROR"):
                    continue
                key = key_of(event.obj)
                previous = self.cache.get(key)
                if event.type == "DELETED":
                    self.cache.pop(key, None)
                else:
                    self.cache[key] = event.obj
                self._emit(event.type, event.obj, previous)
        finally:
            watch.close()

    def _emit(self, kind: str, obj: Obj, previous: Obj | None) -> None:
        for handler in self._handlers:
            with contextlib.suppress(Exception):
                handler(kind, obj, previous)
