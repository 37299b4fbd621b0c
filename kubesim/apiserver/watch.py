"""One API-level watch: a store subscription seen through selectors and a version view.

Turns store events into the events a client of kube-apiserver receives: with a selector,
an object that starts matching arrives as ADDED and one that stops matching as DELETED;
`sendInitialEvents` (watch-list) yields the current objects as ADDED and then a BOOKMARK
annotated `k8s.io/initial-events-end: "true"`; with `allowWatchBookmarks`, a quiet watch
gets periodic BOOKMARKs carrying the current revision.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesim.core.resources import Resource
from kubesim.store.sqlite import Row, Watch

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]
BOOKMARK_INTERVAL = 30.0


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED | MODIFIED | DELETED | BOOKMARK | ERROR
    obj: Obj  # shared with the store: read-only
    raw: bytes | None = None  # the object's JSON when no conversion applies

    def line(self) -> bytes:
        body = (
            self.raw
            if self.raw is not None
            else json.dumps(self.obj, separators=(",", ":")).encode()
        )
        return b'{"type":"' + self.type.encode() + b'","object":' + body + b"}\n"


class ApiWatch:
    def __init__(
        self,
        api: Api,
        res: Resource,
        watch: Watch,
        *,
        predicate: Callable[[Obj], bool] | None,
        view: Callable[[Obj], Obj] | None,
        initial: list[Row] | None,
        initial_end_bookmark: bool,
        allow_bookmarks: bool,
        bookmark_interval: float = BOOKMARK_INTERVAL,
    ) -> None:
        self.api = api
        self.res = res
        self._watch = watch
        self._pred = predicate
        self._view = view
        self._pending: list[WatchEvent] = []
        self._allow_bookmarks = allow_bookmarks
        self._bookmark_interval = bookmark_interval
        self._last_sent = time.monotonic()
        if initial is not None:
            for row in initial:
                obj = self._see(row.obj)
                if self._matches(obj):
                    self._pending.append(self._event("ADDED", row, obj))
            if initial_end_bookmark:
                self._pending.append(self._bookmark(watch.last_rev, initial_end=True))

    def _see(self, obj: Obj) -> Obj:
        return self._view(obj) if self._view else obj

    def _matches(self, obj: Obj | None) -> bool:
        return obj is not None and (self._pred is None or self._pred(obj))

    def _event(self, kind: str, row: Row, obj: Obj) -> WatchEvent:
        return WatchEvent(kind, obj, None if self._view else row.raw)

    def _bookmark(self, rev: int, *, initial_end: bool = False) -> WatchEvent:
        meta: Obj = {"resourceVersion": str(rev)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return WatchEvent(
            "BOOKMARK",
            {"kind": self.res.kind, "apiVersion": self.res.api_version, "metadata": meta},
        )

    async def next(self, timeout: float | None = None) -> WatchEvent | None:
        """The next event for the client, or None when `timeout` passes without one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._pending:
                self._last_sent = time.monotonic()
                return self._pending.pop(0)
            wait = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if self._allow_bookmarks:
                until_bookmark = self._bookmark_interval - (time.monotonic() - self._last_sent)
                if until_bookmark <= 0:
                    self._last_sent = time.monotonic()
                    return self._bookmark(self.api.store.revision)
                wait = until_bookmark if wait is None else min(wait, until_bookmark)
            event = await self._watch.next(wait)
            if event is None:
                if self._watch.closed:
                    return None
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                continue
            translated = self._translate(event.type, event.row, event.prev)
            if translated is not None:
                self._last_sent = time.monotonic()
                return translated

    def _translate(self, kind: str, row: Row, prev: Obj | None) -> WatchEvent | None:
        obj = self._see(row.obj)
        if self._pred is None:
            return self._event(kind, row, obj)
        now_match = self._matches(obj)
        was_match = self._matches(self._see(prev)) if prev is not None else False
        if kind == "ADDED":
            return self._event("ADDED", row, obj) if now_match else None
        if kind == "DELETED":
            return self._event("DELETED", row, obj) if (was_match or now_match) else None
        if now_match and was_match:
            return self._event("MODIFIED", row, obj)
        if now_match:
            return self._event("ADDED", row, obj)
        if was_match:
            return self._event("DELETED", row, obj)
        return None

    @property
    def closed(self) -> bool:
        return self._watch.closed

    def close(self) -> None:
        self._watch.close()
