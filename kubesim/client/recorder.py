"""Events as components record them: core/v1 Events, aggregated by (object, reason, message).

A real component's EventRecorder bumps `count` and `lastTimestamp` on a repeat instead of
writing a new Event, which is what `kubectl describe` shows as `(x4 over 2m)`. Names are
`<object>.<hex nanoseconds>` like client-go's.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from kubesim.core.errors import ApiError

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]


def object_ref(obj: Obj, field_path: str = "") -> Obj:
    meta = obj["metadata"]
    ref = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if field_path:
        ref["fieldPath"] = field_path
    return ref


class EventRecorder:
    def __init__(self, api: Api, *, component: str, host: str = "") -> None:
        self.api = api
        self.component = component
        self.host = host
        self._res = api.resource("", "v1", "events")
        self._seen: dict[tuple[str, str, str, str, str], str] = {}

    def record(
        self, obj: Obj, type_: str, reason: str, message: str, *, field_path: str = ""
    ) -> None:
        """Write (or bump) an event; never raises: an event is evidence, not a transaction."""
        with contextlib.suppress(ApiError):
            self._record(object_ref(obj, field_path), type_, reason, message)

    def record_ref(
        self, ref: Obj, type_: str, reason: str, message: str, *, at: str | None = None
    ) -> None:
        with contextlib.suppress(ApiError):
            self._record(ref, type_, reason, message, at=at)

    def _record(
        self, ref: Obj, type_: str, reason: str, message: str, *, at: str | None = None
    ) -> None:
        namespace = ref.get("namespace") or "default"
        key = (
            namespace,
            ref.get("uid", "") or ref["name"],
            ref.get("fieldPath", ""),
            reason,
            message,
        )
        now = at or self.api.clock.rfc3339()
        name = self._seen.get(key)
        if name is not None:
            try:
                current = self.api.get(self._res, namespace, name)
            except ApiError:
                current = None
            if current is not None:
                updated = dict(current)
                updated["count"] = int(current.get("count") or 1) + 1
                updated["lastTimestamp"] = now
                self.api.update(self._res, namespace, name, updated)
                return
        name = f"{ref['name']}.{int(self.api.clock.timestamp() * 1e9):x}"
        event: Obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": {"component": self.component, **({"host": self.host} if self.host else {})},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        self.api.create(self._res, namespace, event)
        self._seen[key] = name
