"""ResourceQuota usage and admission as pure functions (LimitRange is `limitranger`).

* ``quota_status``: what the resourcequota controller writes (``hard`` mirrors
  ``spec.hard``; ``used`` for each hard resource) from the namespace's objects.
* ``quota_denial``: the ResourceQuota admission plugin's verdict on a create, worded as
  kube-apiserver's (apiserver/pkg/admission/plugin/resourcequota/controller.go and the pod
  evaluator in pkg/quota/v1/evaluator/core/pods.go). The API answers 403 Forbidden with
  ``<resource> "<name>" is forbidden: <verdict>``.

Quantities are printed the way ``resource.Quantity.String()`` prints a sum: in the format
family (binary or decimal) of the first quantity added, canonicalised.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from kubesim.core import podlevel
from kubesim.core.objects import (
    Obj,
    deleting,
    meta,
    parse_time,
    pod_finished,
    quantity,
)
from kubesim.core.quantity_print import canonical

# pods.go validationSet: quota on these makes every container state them.
_VALIDATION_SET = (
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
)
_BINARY = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
# Object-count names that predate count/<resource>.
_LEGACY_COUNTS = {
    "services": "services",
    "configmaps": "configmaps",
    "secrets": "secrets",
    "persistentvolumeclaims": "persistentvolumeclaims",
    "replicationcontrollers": "replicationcontrollers",
    "resourcequotas": "resourcequotas",
}


# --- quantities ---------------------------------------------------------------------------


class _Sum:
    """A running quantity sum that remembers the format of its first term."""

    def __init__(self) -> None:
        self.value = Decimal(0)
        self.binary: bool | None = None

    def add(self, q: str | int | float) -> None:
        if self.binary is None:
            self.binary = str(q).strip().endswith(_BINARY)
        self.value += quantity(q)

    def text(self) -> str:
        return format_quantity(self.value, binary=bool(self.binary))


def format_quantity(value: Decimal, *, binary: bool = False) -> str:
    """Quantity.String() of `value` in the binary or decimal SI family."""
    if binary and value == value.to_integral_value() and value >= 1024 and value % 1024 == 0:
        return canonical(f"{int(value) // 1024}Ki")
    milli = value * 1000
    if milli == milli.to_integral_value():
        return canonical(f"{int(milli)}m")
    nano = (value * 10**9).to_integral_value(rounding="ROUND_CEILING")
    return canonical(f"{int(nano)}n")


# --- what a pod uses ------------------------------------------------------------------------


def _container_usage(c: Obj) -> dict[str, str]:
    """podComputeUsageHelper for one container: which quota names it states."""
    res = c.get("resources") or {}
    requests, limits = res.get("requests") or {}, res.get("limits") or {}
    out: dict[str, str] = {"pods": "1"}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in requests:
            out[name] = out[f"requests.{name}"] = str(requests[name])
        if name in limits:
            out[f"limits.{name}"] = str(limits[name])
    return out


def stuck_after(pod: Obj) -> datetime | None:
    """When a terminating pod stops being charged: its deletionTimestamp (already the
    delete plus the grace period) plus the grace period again. A pod stuck terminating (its
    node lost) would otherwise hold quota its replacements need (QuotaV1Pod)."""
    grace = meta(pod).get("deletionGracePeriodSeconds")
    deleted = parse_time(meta(pod).get("deletionTimestamp"))
    if deleted is None or grace is None:
        return None
    return deleted + timedelta(seconds=int(grace))


def recount_after(pods: list[Obj], now: datetime) -> float | None:
    """Seconds until the next pod stops being charged (`stuck_after`), a second past it
    since the pod still counts at that instant: nothing else makes the quota controller
    look again then. None when no terminating pod is still charged."""
    later = [t for pod in pods if (t := stuck_after(pod)) is not None and t >= now]
    return (min(later) - now).total_seconds() + 1.0 if later else None


def _charged(pod: Obj, now: datetime | None) -> bool:
    """QuotaV1Pod: not finished, and not terminating for longer than twice its grace."""
    if pod_finished(pod):
        return False
    until = stuck_after(pod)
    return now is None or until is None or now <= until


def pod_usage(pod: Obj, now: datetime | None = None) -> dict[str, str]:
    """PodUsageFunc: count/pods always; compute resources while the pod is charged (see
    `_charged`; without `now`, a terminating pod counts until it is gone). Requests and
    limits are the sum over containers, at least the largest init container."""
    out = {"count/pods": "1"}
    if not _charged(pod, now):
        return out
    spec = pod.get("spec") or {}
    totals: dict[str, _Sum] = {}
    for c in spec.get("containers") or []:
        for key, q in _container_usage(c).items():
            if key != "pods":
                totals.setdefault(key, _Sum()).add(q)
    for c in spec.get("initContainers") or []:
        for key, q in _container_usage(c).items():
            if key == "pods":
                continue
            have = totals.get(key)
            if have is None or quantity(q) > have.value:
                s = _Sum()
                s.add(q)
                totals[key] = s
    out["pods"] = "1"
    out.update({k: s.text() for k, s in totals.items()})
    for name in podlevel.CPU_MEMORY:  # pod-level resources replace the containers' sums
        request = podlevel.pod_value(spec, "requests", name)
        limit = podlevel.pod_value(spec, "limits", name)
        if request is not None:
            out[name] = out[f"requests.{name}"] = request
        if limit is not None:
            out[f"limits.{name}"] = limit
    return out


def matches_scopes(quota: Obj, pod: Obj) -> bool:
    spec = quota.get("spec") or {}
    scopes = list(spec.get("scopes") or [])
    for expr in (spec.get("scopeSelector") or {}).get("matchExpressions") or []:
        scopes.append(expr.get("scopeName", ""))
    best_effort = all(
        not ((c.get("resources") or {}).get("requests") or (c.get("resources") or {}).get("limits"))
        for c in (pod.get("spec") or {}).get("containers") or []
    )
    terminating = (pod.get("spec") or {}).get("activeDeadlineSeconds") is not None
    checks = {
        "BestEffort": best_effort,
        "NotBestEffort": not best_effort,
        "Terminating": terminating,
        "NotTerminating": not terminating,
    }
    return all(checks.get(s, True) for s in scopes)


def object_usage(obj: Obj, resource: str, now: datetime | None = None) -> dict[str, str]:
    """What one object of `resource` (``pods``, ``deployments.apps``) counts against quota."""
    if resource == "pods":
        return pod_usage(obj, now)
    out = {f"count/{resource}": "1"}
    if resource in _LEGACY_COUNTS:
        out[_LEGACY_COUNTS[resource]] = "1"
    if resource == "services":
        stype = (obj.get("spec") or {}).get("type")
        ports = len((obj.get("spec") or {}).get("ports") or [])
        if stype in ("NodePort", "LoadBalancer"):
            out["services.nodeports"] = str(ports)
        if stype == "LoadBalancer":
            out["services.loadbalancers"] = "1"
    return out


# --- the controller's status ---------------------------------------------------------------


def quota_status(quota: Obj, objects: dict[str, list[Obj]], now: datetime | None = None) -> Obj:
    """status.hard and status.used of `quota` from the namespace's objects by resource, as
    of `now` (a pod stuck terminating stops being charged)."""
    hard = dict((quota.get("spec") or {}).get("hard") or {})
    sums: dict[str, _Sum] = {}
    for resource, objs in objects.items():
        for obj in objs:
            if deleting(obj) and resource == "pods" and pod_finished(obj):
                continue
            if resource == "pods" and not matches_scopes(quota, obj):
                continue
            for key, q in object_usage(obj, resource, now).items():
                if key in hard:
                    sums.setdefault(key, _Sum()).add(q)
    used = {key: sums[key].text() if key in sums else "0" for key in hard}
    return {"hard": hard, "used": used}


# --- admission ------------------------------------------------------------------------------


def _pretty(values: dict[str, str]) -> str:
    return ",".join(f"{k}={canonical(str(values[k]))}" for k in sorted(values))


def _constraints(pod: Obj, hard: list[str]) -> str | None:
    """podEvaluator.Constraints: quota on cpu/memory makes every container state them."""
    required = sorted(set(hard) & set(_VALIDATION_SET))
    if not required:
        return None
    missing: dict[str, list[str]] = {}
    spec = pod.get("spec") or {}
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        stated = _container_usage(c)
        for r in required:
            if r not in stated and c.get("name", "") not in missing.setdefault(r, []):
                missing[r].append(c.get("name", ""))
    parts = [f"{r} for: {','.join(sorted(names))}" for r, names in sorted(missing.items()) if names]
    return f"must specify {'; '.join(parts)}" if parts else None


def quota_denial(
    obj: Obj,
    quotas: list[Obj],
    usage: dict[str, dict[str, str]] | None = None,
    *,
    resource: str = "pods",
    requested: dict[str, str] | None = None,
) -> str | None:
    """None when creating `obj` fits every quota of its namespace, else the reason text
    that follows `... is forbidden: `. `usage` overrides a quota's status.used by quota
    name (default: the status the quota controller wrote); `requested` what `obj` adds
    (default: all it uses, as on a create)."""
    ns = meta(obj).get("namespace")
    requested_all = object_usage(obj, resource) if requested is None else requested
    for quota in sorted(quotas, key=lambda q: meta(q).get("name", "")):
        if meta(quota).get("namespace") not in (None, ns):
            continue
        if resource == "pods" and not matches_scopes(quota, obj):
            continue
        name = meta(quota).get("name", "")
        status = quota.get("status") or {}
        hard = dict(status.get("hard") or (quota.get("spec") or {}).get("hard") or {})
        used = dict((usage or {}).get(name) or status.get("used") or {})
        if resource == "pods":
            why = _constraints(obj, list(hard))
            if why:
                return f"failed quota: {name}: {why}"
        relevant = sorted(k for k in hard if k in requested_all)
        if not relevant:
            continue
        unknown = [k for k in relevant if k not in used]
        if unknown:
            return f"status unknown for quota: {name}, resources: {','.join(unknown)}"
        exceeded = [
            k
            for k in relevant
            if quantity(used[k]) + quantity(requested_all[k]) > quantity(hard[k])
        ]
        if exceeded:
            return (
                f"exceeded quota: {name}, "
                f"requested: {_pretty({k: requested_all[k] for k in exceeded})}, "
                f"used: {_pretty({k: used[k] for k in exceeded})}, "
                f"limited: {_pretty({k: hard[k] for k in exceeded})}"
            )
    return None


def resize_denial(pod: Obj, old: Obj, quotas: list[Obj]) -> str | None:
    """The ResourceQuota plugin on a `pods/resize`: what the resize adds to the pod's
    usage (only what grows: checkQuotas' deltaUsage) must fit every quota, in the create's
    words with that growth as `requested`."""
    before = object_usage(old, "pods")
    grown: dict[str, str] = {}
    for key, value in object_usage(pod, "pods").items():
        more = quantity(value) - quantity(before.get(key, "0"))
        if more > 0:
            binary = str(value).strip().endswith(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))
            grown[key] = format_quantity(more, binary=binary)
    if not grown:
        return None
    return quota_denial(pod, quotas, resource="pods", requested=grown)
