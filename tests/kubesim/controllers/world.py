"""An in-memory world for multi-step controller tests: applies actions, fakes a kubelet.

Not a test double of the API server: just enough bookkeeping (names, uids, generations,
creation times) to run the pure decisions in a loop and watch the sizes they produce.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kubesim.controllers import (
    Create,
    Delete,
    Emit,
    Update,
    UpdateStatus,
    reconcile_deployment,
    reconcile_replicaset,
)
from kubesim.core.objects import fmt_time

T0 = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


@dataclass
class World:
    now: datetime = T0
    objs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[str, str, str]] = field(default_factory=list)
    pods_get_ready: bool = True
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj = copy.deepcopy(obj)
        md = obj.setdefault("metadata", {})
        if "name" not in md:
            md["name"] = md["generateName"] + f"{next(self._ids):05d}"
        md.setdefault("namespace", "lab")
        md.setdefault("uid", f"uid-{md['name']}")
        md.setdefault("creationTimestamp", fmt_time(self.now))
        md.setdefault("generation", 1)
        md["resourceVersion"] = str(next(self._ids))
        self.objs[(obj["kind"], md["name"])] = obj
        return obj

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [o for (k, _), o in sorted(self.objs.items()) if k == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        return self.objs[(kind, name)]

    def apply(self, actions: list[Any]) -> None:
        for a in actions:
            if isinstance(a, Create):
                made = self.add(a.obj)
                for e in a.events:
                    self.events.append(
                        (e.reason, e.message.format(name=made["metadata"]["name"]), e.type)
                    )
            elif isinstance(a, Update | UpdateStatus):
                key = (a.obj["kind"], a.obj["metadata"]["name"])
                old = self.objs[key]
                new = copy.deepcopy(a.obj)
                if isinstance(a, Update) and new.get("spec") != old.get("spec"):
                    new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
                if isinstance(a, Update):
                    new["status"] = old.get("status", {})
                new["metadata"]["resourceVersion"] = str(next(self._ids))
                self.objs[key] = new
            elif isinstance(a, Delete):
                self.objs.pop((a.kind, a.name), None)
                for e in a.events:
                    self.events.append((e.reason, e.message, e.type))
            elif isinstance(a, Emit):
                self.events.append((a.event.reason, a.event.message, a.event.type))

    def kubelet(self) -> None:
        """Every pending pod runs; it turns Ready if ``pods_get_ready``."""
        for pod in self.of("Pod"):
            st = pod.setdefault("status", {})
            if st.get("phase") in (None, "Pending"):
                st["phase"] = "Running"
                pod.setdefault("spec", {})["nodeName"] = "kubelab-worker"
                if self.pods_get_ready:
                    st["conditions"] = [
                        {
                            "type": "Ready",
                            "status": "True",
                            "lastTransitionTime": fmt_time(self.now),
                        }
                    ]

    def step(self, seconds: float = 1.0) -> list[float | None]:
        """One round: every deployment, then every replica set, then the kubelet."""
        requeues: list[float | None] = []
        for d in self.of("Deployment"):
            dec = reconcile_deployment(d, self.of("ReplicaSet"), self.of("Pod"), now=self.now)
            self.apply(dec.actions)
            requeues.append(dec.requeue_after)
        for rs in self.of("ReplicaSet"):
            dec = reconcile_replicaset(rs, self.of("Pod"), now=self.now)
            self.apply(dec.actions)
        self.kubelet()
        for rs in self.of("ReplicaSet"):  # observe the kubelet's work
            self.apply(reconcile_replicaset(rs, self.of("Pod"), now=self.now).actions)
        self.now += timedelta(seconds=seconds)
        return requeues

    def sizes(self) -> dict[str, int]:
        return {o["metadata"]["name"]: o["spec"]["replicas"] for o in self.of("ReplicaSet")}
