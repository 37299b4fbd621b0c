"""Label and field selectors: parsing the query strings and matching objects.

Pure functions. Label selectors take the full set-based grammar kubectl sends
(`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`); field selectors take
`=`, `==`, `!=` over the fields each kind supports (the real server refuses others with
`field label not supported: <field>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubesim.core.errors import BadRequest


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # = != in notin exists !exists
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op in ("=", "in"):
            return self.key in labels and labels[self.key] in self.values
        # != and notin match objects without the label too, as in Kubernetes
        return self.key not in labels or labels[self.key] not in self.values


LabelSelector = tuple[Requirement, ...]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9._/-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9._/-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)\s*$")


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside `in (...)` parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def parse_label_selector(text: str | None) -> LabelSelector:
    if not text or not text.strip():
        return ()
    reqs = []
    for part in _split_top_level(text):
        eq = _EQ_RE.match(part)
        if eq:
            key, op, value = eq.groups()
            reqs.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
            continue
        m = _SET_RE.match(part)
        if not m:
            raise BadRequest(f"unable to parse requirement: {_why(part)}")
        bang, key, op, values = m.groups()
        if op:
            vals = tuple(v.strip() for v in values.split(",") if v.strip())
            reqs.append(Requirement(key, op, vals))
        else:
            reqs.append(Requirement(key, "!exists" if bang else "exists"))
    return tuple(reqs)


def _why(part: str) -> str:
    return f"found '{part.strip()}', expected: identifier"


def matches_labels(selector: LabelSelector, labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(req.matches(labels) for req in selector)


def selector_from_match(spec: dict[str, Any] | None) -> LabelSelector:
    """A metav1.LabelSelector (`matchLabels`/`matchExpressions`) as requirements."""
    if not spec:
        return ()
    reqs = [Requirement(k, "=", (str(v),)) for k, v in (spec.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}
    for expr in spec.get("matchExpressions") or []:
        reqs.append(
            Requirement(expr["key"], ops[expr["operator"]], tuple(expr.get("values") or ()))
        )
    return tuple(reqs)


def format_selector(spec: dict[str, Any] | None) -> str:
    """The string form (as in Scale.status.selector): `app=web,tier in (a,b)`."""
    out = []
    for req in selector_from_match(spec):
        if req.op in ("=", "!="):
            out.append(f"{req.key}{req.op}{req.values[0]}")
        elif req.op == "exists":
            out.append(req.key)
        elif req.op == "!exists":
            out.append(f"!{req.key}")
        else:
            out.append(f"{req.key} {req.op} ({','.join(sorted(req.values))})")
    return ",".join(out)


# -- field selectors --------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    op: str  # = or !=
    value: str


FieldSelector = tuple[FieldRequirement, ...]

_COMMON = ("metadata.name", "metadata.namespace")
# Field labels per kind beyond metadata.name/namespace (the fields each strategy's
# GetAttrs / AddFieldLabelConversionFunc accepts).
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.podIPs",
        "status.nominatedNodeName",
    ),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "Secret": ("type",),
    "Node": ("spec.unschedulable",),
    "Namespace": ("status.phase",),
    "ReplicaSet": ("status.replicas",),
    "ReplicationController": ("status.replicas",),
    "Job": ("status.successful",),
    "Service": ("spec.clusterIP", "spec.type"),
    "PersistentVolume": ("name",),
    "PersistentVolumeClaim": ("name",),
}
# events.k8s.io/v1 events are stored as core/v1 events; their field names map across.
_EVENTS_V1_FIELDS = {
    "regarding.kind": "involvedObject.kind",
    "regarding.namespace": "involvedObject.namespace",
    "regarding.name": "involvedObject.name",
    "regarding.uid": "involvedObject.uid",
    "regarding.apiVersion": "involvedObject.apiVersion",
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
}


def parse_field_selector(text: str | None, *, kind: str) -> FieldSelector:
    if not text or not text.strip():
        return ()
    allowed = set(_COMMON) | set(FIELD_LABELS.get(kind, ()))
    reqs = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        for op in ("!=", "==", "="):
            if op in part:
                field, value = part.split(op, 1)
                break
        else:
            raise BadRequest(f"invalid selector: '{text}'; can't understand '{part}'")
        field = _EVENTS_V1_FIELDS.get(field.strip(), field.strip())
        if field not in allowed:
            raise BadRequest(f"field label not supported: {field}")
        reqs.append(FieldRequirement(field, "!=" if op == "!=" else "=", value.strip()))
    return tuple(reqs)


def _field_value(obj: dict[str, Any], field: str) -> str:
    if field == "source":
        return str((obj.get("source") or {}).get("component", ""))
    if field == "name":
        return str(obj.get("metadata", {}).get("name", ""))
    if field == "status.podIPs":
        return ",".join(ip.get("ip", "") for ip in obj.get("status", {}).get("podIPs") or [])
    value: Any = obj
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return "false" if field in ("spec.unschedulable", "spec.hostNetwork") else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches_fields(selector: FieldSelector, obj: dict[str, Any]) -> bool:
    for req in selector:
        equal = _field_value(obj, req.field) == req.value
        if equal != (req.op == "="):
            return False
    return True


def make_filter(
    labels: LabelSelector, fields: FieldSelector
) -> Callable[[dict[str, Any]], bool] | None:
    """One predicate for both selectors, or None when nothing filters."""
    if not labels and not fields:
        return None

    def predicate(obj: dict[str, Any]) -> bool:
        return matches_labels(labels, obj.get("metadata", {}).get("labels")) and matches_fields(
            fields, obj
        )

    return predicate
