"""Evidence for a failed check: what a person would look at next, and how to see it.

Around the failing object (the closest candidate, the object that should be absent, or the
Service of an http check): the newest events of the object, its ReplicaSets and pods
(matched on the `involvedObject` fields `kubectl describe` selects by, from the run's one
LIST of events per namespace), and the last log lines of containers that are not ready
(also `--previous` after a restart), each log read once per run.
"""

from __future__ import annotations

from typing import Any

from checker._results import Evidence
from checker._snapshot import Snapshot

MAX_EVENTS = 10
LOG_LINES = 20
MAX_LOG_PODS = 3
_WORKLOADS = {"ReplicaSet", "StatefulSet", "DaemonSet", "Job"}


def _owned_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    uid = owner["metadata"].get("uid")
    refs = obj["metadata"].get("ownerReferences") or []
    return any(
        (uid and r.get("uid") == uid)
        or (r.get("kind") == owner.get("kind") and r.get("name") == owner["metadata"].get("name"))
        for r in refs
    )


def _selects(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    if not selector:
        return False
    # a workload's LabelSelector has matchLabels; a Service's selector is the map itself
    structured = "matchLabels" in selector or "matchExpressions" in selector
    match = selector.get("matchLabels") if structured else selector
    if not isinstance(match, dict) or not match:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in match.items())


def involved(subject: dict[str, Any], snapshot: Snapshot) -> tuple[list[dict], list[dict]]:
    """(objects whose events matter, pods whose logs matter) around a failing object."""
    kind = subject.get("kind")
    ns = subject["metadata"].get("namespace")
    objects = [subject]
    pods: list[dict] = []
    if kind == "Pod":
        pods = [subject]
    elif kind in {"Deployment", *_WORKLOADS, "Service"} and ns:
        all_pods = snapshot.objects_of("v1", "Pod", ns)
        selector = (subject.get("spec") or {}).get("selector")
        if kind == "Deployment":
            rss = [
                r for r in snapshot.objects_of("apps/v1", "ReplicaSet", ns) if _owned_by(r, subject)
            ]
            objects += rss
            pods = [p for p in all_pods if any(_owned_by(p, r) for r in rss)]
        elif kind in _WORKLOADS:
            pods = [p for p in all_pods if _owned_by(p, subject)]
        if not pods:
            pods = [p for p in all_pods if _selects(selector, p["metadata"].get("labels"))]
        objects += pods
    return objects[:10], pods


def _when(event: dict[str, Any]) -> str:
    return str(
        event.get("lastTimestamp")
        or (event.get("series") or {}).get("lastObservedTime")
        or event.get("eventTime")
        or event["metadata"].get("creationTimestamp")
        or ""
    )


def _describe(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    ns = f" -n {meta['namespace']}" if meta.get("namespace") else ""
    return f"kubectl describe {obj.get('kind', '').lower()} {meta.get('name')}{ns}"


def _about(event: dict[str, Any], obj: dict[str, Any]) -> bool:
    """kubectl describe's field selector (involvedObject name, namespace, kind, uid), applied
    here to the namespace's events so that one LIST serves every object and every check."""
    meta = obj["metadata"]
    involved_object = event.get("involvedObject") or {}
    wanted = {
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "kind": obj.get("kind"),
        "uid": meta.get("uid"),
    }
    return all(involved_object.get(k) == v for k, v in wanted.items() if v)


def _events(snapshot: Snapshot, objects: list[dict]) -> list[Evidence]:
    found: list[tuple[str, dict, dict]] = []
    for obj in objects:
        namespace = obj["metadata"].get("namespace")
        for event in snapshot.objects_of("v1", "Event", namespace):
            if _about(event, obj):
                found.append((_when(event), obj, event))
    newest = sorted(found, key=lambda t: t[0], reverse=True)[:MAX_EVENTS]
    pieces: list[Evidence] = []
    for obj in objects:
        lines = [
            f"{when}  {e.get('type', '')}  {e.get('reason', '')}  "
            f"{obj.get('kind')}/{obj['metadata'].get('name')}: {str(e.get('message', '')).strip()}"
            for when, o, e in newest
            if o is obj
        ]
        if lines:
            title = f"Events of {obj.get('kind')}/{obj['metadata'].get('name')}"
            pieces.append(Evidence("events", title, _describe(obj), tuple(lines)))
    return pieces


def _logs(snapshot: Snapshot, pods: list[dict]) -> list[Evidence]:
    pieces: list[Evidence] = []
    for pod in pods[:MAX_LOG_PODS]:
        meta = pod["metadata"]
        status = pod.get("status") or {}
        statuses = (status.get("initContainerStatuses") or []) + (
            status.get("containerStatuses") or []
        )
        for cs in statuses:
            if cs.get("ready"):
                continue
            runs = [False] + ([True] if cs.get("restartCount", 0) > 0 else [])
            for previous in runs:
                text = snapshot.log(
                    meta["namespace"],
                    meta["name"],
                    cs["name"],
                    tail_lines=LOG_LINES,
                    previous=previous,
                )
                if not text or not text.strip():
                    continue
                flag = " --previous" if previous else ""
                command = (
                    f"kubectl logs {meta['name']} -c {cs['name']} -n {meta['namespace']}{flag}"
                )
                when = "previous run" if previous else "current run"
                title = f"Logs of {meta['name']}/{cs['name']} ({when})"
                lines = tuple(text.rstrip("\n").splitlines()[-LOG_LINES:])
                pieces.append(Evidence("logs", title, command, lines))
    return pieces


def gather(snapshot: Snapshot, subject: dict[str, Any] | None) -> tuple[Evidence, ...]:
    """Events and logs around `subject`; empty when there is no object to look around."""
    if not subject or not (subject.get("metadata") or {}).get("name"):
        return ()
    objects, pods = involved(subject, snapshot)
    return tuple(_events(snapshot, objects) + _logs(snapshot, pods))
