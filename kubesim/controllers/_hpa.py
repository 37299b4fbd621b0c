"""The horizontal pod autoscaler's decision for Resource metrics (cpu, memory).

Follows the documented algorithm and pkg/controller/podautoscaler: desired =
ceil(current * usageRatio) over ready pods, a 0.1 tolerance, missing and not-yet-ready pods
counted conservatively, min/max clamping, stabilization windows over a history of
recommendations, and ``behavior`` rate policies over a history of scale events.  The real
controller keeps that history in memory; here it goes in and comes out as ``HpaHistory``.
ContainerResource metrics (one container's cpu or memory, from the same metrics-server) are
computed the same way. Pods, Object and External metrics need a custom or external metrics
adapter, which kind does not install: they fail as they do there (FailedGetPodsMetric,
"no custom metrics API (custom.metrics.k8s.io) registered", and so on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kubesim.core.objects import (
    Obj,
    deepcopy,
    deleting,
    fmt_time,
    labels,
    meta,
    milli,
    name,
    parse_time,
    phase,
    pod_condition,
    selector_matches,
)

from ._actions import Decision, Emit, Event, Scale, UpdateStatus, object_ref

TOLERANCE = 0.1
DOWNSCALE_WINDOW = 300
CPU_INITIALIZATION_PERIOD = timedelta(minutes=5)
INITIAL_READINESS_DELAY = timedelta(seconds=30)
DEFAULT_SCALE_UP = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
DEFAULT_SCALE_DOWN = {
    "stabilizationWindowSeconds": DOWNSCALE_WINDOW,
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


@dataclass(frozen=True)
class HpaHistory:
    """What the controller remembers between passes for one HPA."""

    recommendations: tuple[tuple[datetime, int], ...] = ()
    scale_up_events: tuple[tuple[datetime, int], ...] = ()
    scale_down_events: tuple[tuple[datetime, int], ...] = ()


class MetricError(Exception):
    """A metric could not be computed; ``reason`` is the condition/event reason. The error
    that ends a pass (FailedComputeMetricsReplicas) carries every metric's ``statuses``
    (empty for the failed ones), which the HPA's status still shows."""

    def __init__(self, reason: str, message: str, statuses: list[Obj] | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.statuses = statuses or []


@dataclass
class _State:
    hpa: Obj
    now: datetime
    events: list[Event] = field(default_factory=list)

    def condition(self, ctype: str, status: str, reason: str, message: str) -> None:
        """setCondition: transition time moves only when the status changes."""
        st = self.hpa.setdefault("status", {})
        conds = st.setdefault("conditions", [])
        for c in conds:
            if c["type"] == ctype:
                if c.get("status") != status:
                    c["lastTransitionTime"] = fmt_time(self.now)
                c.update(status=status, reason=reason, message=message)
                return
        conds.append(
            {
                "type": ctype,
                "status": status,
                "lastTransitionTime": fmt_time(self.now),
                "reason": reason,
                "message": message,
            }
        )

    def event(self, etype: Any, reason: str, message: str, *, at: str | None = None) -> None:
        self.events.append(Event(object_ref(self.hpa), etype, reason, message, at=at))


# --- metrics ----------------------------------------------------------------------------


def _usage(metrics: Obj, resource: str, container: str | None = None) -> int:
    """A pod's usage of `resource` (milli): every container's, or the one named."""
    return sum(
        milli((c.get("usage") or {}).get(resource, 0))
        for c in metrics.get("containers") or []
        if container is None or c.get("name") == container
    )


def _pod_usage(
    metrics: dict[str, Obj], resource: str, container: str | None, namespace: str
) -> dict[str, int]:
    """GetResourceMetric: usage per pod; a container metric needs that container in every
    pod's metrics (getContainerMetrics)."""
    if container is not None:
        for pod_name, m in metrics.items():
            if not any(c.get("name") == container for c in m.get("containers") or []):
                raise MetricError(
                    "",
                    f"unable to get metrics for resource {resource}: failed to get container "
                    f"metrics: container {container} not present in metrics for pod "
                    f"{namespace}/{pod_name}",
                )
    return {n: _usage(m, resource, container) for n, m in metrics.items()}


def pod_request(pod: Obj, resource: str, container: str | None = None) -> int:
    """Sum of container requests (milli), or the named container's; a container without
    one makes it unknowable."""
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or [])
    containers += [
        c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"
    ]
    if container is not None:
        containers = [c for c in containers if c.get("name") == container]
    total = 0
    for c in containers:
        req = ((c.get("resources") or {}).get("requests") or {}).get(resource)
        if req is None:
            raise MetricError(
                "FailedGetResourceMetric",
                f"failed to get {resource} utilization: missing request for {resource} "
                f"in container {c.get('name')} of Pod {name(pod)}",
            )
        total += milli(req)
    return total


def _group(
    pods: list[Obj], metrics: dict[str, Obj], resource: str, now: datetime
) -> tuple[int, set[str], set[str], set[str]]:
    """groupPods: (ready count, unready, missing, ignored)."""
    ready, unready, missing, ignored = 0, set(), set(), set()
    for pod in pods:
        n = name(pod)
        if deleting(pod) or phase(pod) == "Failed":
            ignored.add(n)
            continue
        if phase(pod) == "Pending":
            unready.add(n)
            continue
        m = metrics.get(n)
        if m is None:
            missing.add(n)
            continue
        if resource == "cpu":
            cond = pod_condition(pod, "Ready")
            start = parse_time((pod.get("status") or {}).get("startTime"))
            if cond is None or start is None:
                is_unready = True
            else:
                ltt = parse_time(cond.get("lastTransitionTime")) or start
                if start + CPU_INITIALIZATION_PERIOD > now:
                    stamp = parse_time(m.get("timestamp")) or now
                    window = _duration(m.get("window", "15s"))
                    is_unready = cond.get("status") == "False" or stamp < ltt + window
                else:
                    is_unready = (
                        cond.get("status") == "False" and start + INITIAL_READINESS_DELAY > ltt
                    )
            if is_unready:
                unready.add(n)
                continue
        ready += 1
    return ready, unready, missing, ignored


def _duration(s: str | None) -> timedelta:
    if not s:
        return timedelta(0)
    total = 0.0
    for num, unit in __import__("re").findall(r"([0-9.]+)(ms|s|m|h)", s):
        total += float(num) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return timedelta(seconds=total)


def _ratio(
    metrics: dict[str, int], requests: dict[str, int], target: int
) -> tuple[float, int, int]:
    used = sum(metrics.values())
    req = sum(requests[n] for n in metrics if n in requests)
    if req == 0:
        raise MetricError("FailedGetResourceMetric", "no metrics returned matched known pods")
    utilization = int(used * 100 / req)
    return utilization / target, utilization, used // len(metrics)


def resource_replicas(
    current: int,
    target_utilization: int,
    resource: str,
    pods: list[Obj],
    metrics: dict[str, Obj],
    *,
    now: datetime,
    container: str | None = None,
) -> tuple[int, int, int]:
    """GetResourceReplicas: (replicas, utilization %, average value in milli-units), of
    every container or of the one named (a ContainerResource metric)."""
    namespace = str(meta(pods[0]).get("namespace") or "") if pods else ""
    try:
        usage = _pod_usage(metrics, resource, container, namespace)
    except MetricError as err:
        raise MetricError("", f"failed to get {resource} utilization: {err}") from None
    if not usage:
        raise MetricError(
            "FailedGetResourceMetric",
            f"failed to get {resource} utilization: unable to get metrics for resource {resource}: "
            "no metrics returned from resource metrics API",
        )
    if not pods:
        raise MetricError(
            "FailedGetResourceMetric",
            f"failed to get {resource} utilization: no pods returned by selector while calculating replica count",
        )
    ready, unready, missing, ignored = _group(pods, metrics, resource, now)
    usage = {n: v for n, v in usage.items() if n not in ignored and n not in unready}
    requests = {name(p): pod_request(p, resource, container) for p in pods}
    usage = {n: v for n, v in usage.items() if n in requests}
    if not usage:
        raise MetricError(
            "FailedGetResourceMetric",
            f"failed to get {resource} utilization: did not receive metrics for targeted pods (pods might be unready)",
        )
    ratio, utilization, average = _ratio(usage, requests, target_utilization)
    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if abs(1.0 - ratio) <= TOLERANCE:
            return current, utilization, average
        return math.ceil(ratio * ready), utilization, average
    if missing:
        if ratio < 1.0:
            fallback = max(100, target_utilization)
            for n in missing:
                usage[n] = requests[n] * fallback // 100
        elif ratio > 1.0:
            for n in missing:
                usage[n] = 0
    if scale_up_with_unready:
        for n in unready:
            usage[n] = 0
    new_ratio, _, _ = _ratio(usage, requests, target_utilization)
    if abs(1.0 - new_ratio) <= TOLERANCE or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, utilization, average
    replicas = math.ceil(new_ratio * len(usage))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current, utilization, average
    return replicas, utilization, average


def format_milli(m: int) -> str:
    """resource.NewMilliQuantity(m, DecimalSI).String()."""
    if m % 1000:
        return f"{m}m"
    v = m // 1000
    for suffix in ("", "k", "M", "G", "T", "P"):
        if v % 1000 or v == 0:
            return f"{v}{suffix}"
        v //= 1000
    return f"{v}E"


# --- stabilization and rate limits ------------------------------------------------------


def _behavior(hpa: Obj) -> tuple[Obj, Obj] | None:
    b = (hpa.get("spec") or {}).get("behavior")
    if b is None:
        return None
    up = {**DEFAULT_SCALE_UP, **(b.get("scaleUp") or {})}
    down = {**DEFAULT_SCALE_DOWN, **(b.get("scaleDown") or {})}
    if up.get("stabilizationWindowSeconds") is None:
        up["stabilizationWindowSeconds"] = 0
    if down.get("stabilizationWindowSeconds") is None:
        down["stabilizationWindowSeconds"] = DOWNSCALE_WINDOW
    return up, down


def _change_in_period(events: tuple[tuple[datetime, int], ...], period: int, now: datetime) -> int:
    cutoff = now - timedelta(seconds=period)
    return sum(change for t, change in events if t > cutoff)


def _scale_up_limit(current: int, hist: HpaHistory, rules: Obj, now: datetime) -> int:
    if rules.get("selectPolicy") == "Disabled":
        return current
    pick, result = (min, 2**31 - 1) if rules.get("selectPolicy") == "Min" else (max, -(2**31))
    for pol in rules.get("policies") or []:
        start = (
            current
            - _change_in_period(hist.scale_up_events, pol["periodSeconds"], now)
            + _change_in_period(hist.scale_down_events, pol["periodSeconds"], now)
        )
        if pol["type"] == "Pods":
            proposed = start + pol["value"]
        else:
            proposed = math.ceil(start * (1 + pol["value"] / 100))
        result = pick(result, proposed)
    return result


def _scale_down_limit(current: int, hist: HpaHistory, rules: Obj, now: datetime) -> int:
    if rules.get("selectPolicy") == "Disabled":
        return current
    pick, result = (max, -(2**31)) if rules.get("selectPolicy") == "Min" else (min, 2**31 - 1)
    for pol in rules.get("policies") or []:
        start = (
            current
            - _change_in_period(hist.scale_up_events, pol["periodSeconds"], now)
            + _change_in_period(hist.scale_down_events, pol["periodSeconds"], now)
        )
        if pol["type"] == "Pods":
            proposed = start - pol["value"]
        else:
            proposed = int(start * (1 - pol["value"] / 100))
        result = pick(result, proposed)
    return result


def _record(
    recs: tuple[tuple[datetime, int], ...], value: int, now: datetime, older_than: datetime
) -> tuple[tuple[datetime, int], ...]:
    """Replace one sample older than every window, or append (as the controller does)."""
    out = list(recs)
    old = [i for i, (t, _) in enumerate(out) if t < older_than]
    if old:
        out[old[-1]] = (now, value)
    else:
        out.append((now, value))
    return tuple(out)


def _normalize(
    s: _State, hist: HpaHistory, current: int, desired: int, lo: int, hi: int
) -> tuple[int, HpaHistory]:
    beh = _behavior(s.hpa)
    now = s.now
    if beh is None:
        cutoff = now - timedelta(seconds=DOWNSCALE_WINDOW)
        stabilized = max([desired] + [r for t, r in hist.recommendations if t >= cutoff])
        hist = HpaHistory(
            _record(hist.recommendations, desired, now, cutoff),
            hist.scale_up_events,
            hist.scale_down_events,
        )
        if stabilized != desired:
            s.condition(
                "AbleToScale",
                "True",
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation",
            )
        else:
            s.condition(
                "AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"
            )
        up_limit = max(2 * current, 4)
        if stabilized < lo:
            final, reason, msg = (
                lo,
                "TooFewReplicas",
                "the desired replica count is less than the minimum replica count",
            )
        else:
            if hi > up_limit:
                allowed, reason, msg = (
                    up_limit,
                    "ScaleUpLimit",
                    "the desired replica count is increasing faster than the maximum scale rate",
                )
            else:
                allowed, reason, msg = (
                    hi,
                    "TooManyReplicas",
                    "the desired replica count is more than the maximum replica count",
                )
            if stabilized > allowed:
                final = allowed
            else:
                final, reason, msg = (
                    stabilized,
                    "DesiredWithinRange",
                    "the desired count is within the acceptable range",
                )
        s.condition("ScalingLimited", "False" if final == stabilized else "True", reason, msg)
        return final, hist

    up, down = beh
    up_cut = now - timedelta(seconds=up["stabilizationWindowSeconds"])
    down_cut = now - timedelta(seconds=down["stabilizationWindowSeconds"])
    up_rec, down_rec = desired, desired
    for t, r in hist.recommendations:
        if t > up_cut:
            up_rec = min(r, up_rec)
        if t > down_cut:
            down_rec = max(r, down_rec)
    stabilized = min(max(current, up_rec), down_rec)
    hist = HpaHistory(
        _record(hist.recommendations, desired, now, min(up_cut, down_cut)),
        hist.scale_up_events,
        hist.scale_down_events,
    )
    if stabilized != desired:
        if desired >= current:
            s.condition(
                "AbleToScale",
                "True",
                "ScaleUpStabilized",
                "recent recommendations were lower than current one, applying the lowest recent recommendation",
            )
        else:
            s.condition(
                "AbleToScale",
                "True",
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation",
            )
    else:
        s.condition(
            "AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"
        )
    final, reason, msg = (
        stabilized,
        "DesiredWithinRange",
        "the desired count is within the acceptable range",
    )
    if stabilized > current:
        limit = max(_scale_up_limit(current, hist, up, now), current)
        if hi > limit:
            allowed, lim_reason, lim_msg = (
                limit,
                "ScaleUpLimit",
                "the desired replica count is increasing faster than the maximum scale rate",
            )
        else:
            allowed, lim_reason, lim_msg = (
                hi,
                "TooManyReplicas",
                "the desired replica count is more than the maximum replica count",
            )
        if stabilized > allowed:
            final, reason, msg = allowed, lim_reason, lim_msg
    elif stabilized < current:
        limit = min(_scale_down_limit(current, hist, down, now), current)
        if lo < limit:
            allowed, lim_reason, lim_msg = (
                limit,
                "ScaleDownLimit",
                "the desired replica count is decreasing faster than the maximum scale rate",
            )
        else:
            allowed, lim_reason, lim_msg = (
                lo,
                "TooFewReplicas",
                "the desired replica count is less than the minimum replica count",
            )
        if stabilized < allowed:
            final, reason, msg = allowed, lim_reason, lim_msg
    s.condition("ScalingLimited", "False" if final == stabilized else "True", reason, msg)
    return final, hist


# --- the decision -----------------------------------------------------------------------


def reconcile_hpa(
    hpa: Obj,
    scale_target: Obj,
    pods: list[Obj],
    pod_metrics: dict[str, Obj],
    history: HpaHistory,
    *,
    now: datetime,
) -> tuple[Decision, HpaHistory]:
    """One reconcileAutoscaler pass for an autoscaling/v2 HPA.

    ``scale_target`` is the target object (its spec.replicas and spec.selector are its
    scale); ``pods`` are the namespace's pods; ``pod_metrics`` maps pod name to its
    metrics.k8s.io PodMetrics (containers[].usage).
    """
    s = _State(deepcopy(hpa), now)
    spec = s.hpa.get("spec") or {}
    status = s.hpa.setdefault("status", {})
    lo = int(spec.get("minReplicas") or 1)
    hi = int(spec["maxReplicas"])
    tspec = scale_target.get("spec") or {}
    current = int(tspec.get("replicas", 1))
    selector = tspec.get("selector")
    ns = meta(s.hpa).get("namespace")
    mine = [
        p for p in pods if meta(p).get("namespace") == ns and selector_matches(selector, labels(p))
    ]
    metrics = {n: m for n, m in pod_metrics.items() if n in {name(p) for p in mine}}
    s.condition(
        "AbleToScale",
        "True",
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
    )
    if not history.recommendations:
        # recordInitialRecommendation: the first pass counts the current size as a
        # recommendation, so a new HPA does not scale down within its stabilization window.
        history = HpaHistory(((now, current),), history.scale_up_events, history.scale_down_events)

    metric_statuses: list[Obj] = []
    reason_text = ""
    if current == 0 and lo != 0:
        s.condition(
            "ScalingActive",
            "False",
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero",
        )
        desired, rescale = 0, False
    elif current > hi:
        desired, rescale, reason_text = (
            hi,
            True,
            "Current number of replicas above Spec.MaxReplicas",
        )
    elif current < lo:
        desired, rescale, reason_text = (
            lo,
            True,
            "Current number of replicas below Spec.MinReplicas",
        )
    else:
        try:
            proposal, metric_statuses, metric_name = _compute(s, current, mine, metrics)
        except MetricError as err:
            return _failed(s, hpa, current, metric_statuses, err), history
        if proposal > current:
            reason_text = f"{metric_name} above target"
        elif proposal < current:
            reason_text = "All metrics below target"
        desired, history = _normalize(s, history, current, proposal, lo, hi)
        rescale = desired != current

    actions: list[Any] = []
    if rescale:
        actions.append(Scale(_target_ref(spec, ns), desired))
        s.condition(
            "AbleToScale",
            "True",
            "SucceededRescale",
            f"the HPA controller was able to update the target scale to {desired}",
        )
        # one instant for both, as upstream's single sync stamps them: a check that orders the
        # event before lastScaleTime must not see them a second apart when writing is slow
        s.event(
            "Normal",
            "SuccessfulRescale",
            f"New size: {desired}; reason: {reason_text}",
            at=fmt_time(now),
        )
        beh = _behavior(s.hpa)
        if beh is not None:
            history = _store_event(history, beh, current, desired, now)
        status["lastScaleTime"] = fmt_time(now)
    status["currentReplicas"] = current
    status["desiredReplicas"] = desired
    if metric_statuses:
        status["currentMetrics"] = metric_statuses
    gen = meta(s.hpa).get("generation")
    if gen is not None:
        status["observedGeneration"] = gen
    if s.hpa != hpa:
        actions.insert(0, UpdateStatus(s.hpa))
    actions += [Emit(e) for e in s.events]
    return Decision(actions, requeue_after=15.0), history


def _target_ref(spec: Obj, ns: str | None) -> Obj:
    ref = dict(spec.get("scaleTargetRef") or {})
    ref["namespace"] = ns
    return ref


def _compute(
    s: _State, current: int, pods: list[Obj], metrics: dict[str, Obj]
) -> tuple[int, list[Obj], str]:
    """computeReplicasForMetrics: the largest proposal over all metrics."""
    spec = s.hpa.get("spec") or {}
    proposals: list[int] = []
    statuses: list[Obj] = []
    first_err: MetricError | None = None
    chosen_name = ""
    specs = spec.get("metrics") or []
    ns = str(meta(s.hpa).get("namespace") or "")
    first_condition: tuple[str, str] | None = None
    for m in specs:
        try:
            replicas, metric_status, metric_name = _one_metric(m, current, pods, metrics, s.now, ns)
        except MetricError as err:
            statuses.append({"type": ""})
            s.event("Warning", err.reason, str(err))  # getUnableComputeReplicaCountCondition
            if first_err is None:
                first_condition = (
                    err.reason,
                    f"the HPA was unable to compute the replica count: {err}",
                )
                first_err = MetricError(err.reason, _value_error(m, err))
            continue
        statuses.append(metric_status)
        if not proposals or replicas > max(proposals):
            chosen_name = metric_name
        proposals.append(replicas)
    if first_err is not None and (
        not proposals or len(proposals) < len(specs) and max(proposals) < current
    ):
        assert first_condition is not None
        s.condition("ScalingActive", "False", *first_condition)  # the first invalid metric's
        bad = len(specs) - len(proposals)
        raise MetricError(
            "FailedComputeMetricsReplicas",
            f"invalid metrics ({bad} invalid out of {len(specs)}), first error is: {first_err}",
            statuses,
        ) from None
    s.condition(
        "ScalingActive",
        "True",
        "ValidMetricFound",
        f"the HPA was able to successfully calculate a replica count from {chosen_name}",
    )
    return max(proposals), statuses, chosen_name


# what a metric source answers without an adapter serving it (kind installs none)
NO_CUSTOM_METRICS = (
    "unable to fetch metrics from custom metrics API: no custom metrics API "
    "(custom.metrics.k8s.io) registered"
)


def _one_metric(
    m: Obj, current: int, pods: list[Obj], metrics: dict[str, Obj], now: datetime, ns: str
) -> tuple[int, Obj, str]:
    """computeStatusFor*Metric: (proposal, the currentMetrics entry, the metric's name in
    the ScalingActive message), or MetricError with the reason its event gives."""
    kind = m.get("type")
    if kind == "Pods":
        metric = (m.get("pods") or {}).get("metric") or {}
        raise MetricError(
            "FailedGetPodsMetric", f"unable to get metric {metric.get('name')}: {NO_CUSTOM_METRICS}"
        )
    if kind == "Object":
        obj = m.get("object") or {}
        described = obj.get("describedObject") or {}
        raise MetricError(
            "FailedGetObjectMetric",
            f"unable to get metric {(obj.get('metric') or {}).get('name')}: "
            f"{described.get('kind')} on {ns} {described.get('name')}/{NO_CUSTOM_METRICS}",
        )
    if kind == "External":
        metric = (m.get("external") or {}).get("metric") or {}
        metric_name = metric.get("name")
        raise MetricError(
            "FailedGetExternalMetric",
            f"unable to get external metric {ns}/{metric_name}/"
            f"{go_label_selector(metric.get('selector'))}: unable to fetch metrics from external "
            f"metrics API: the server could not find the requested resource (get "
            f"{metric_name}.external.metrics.k8s.io)",
        )
    if kind not in ("Resource", "ContainerResource"):
        raise MetricError("InvalidMetricSourceType", f'unknown metric source type "{kind}"')
    key = "resource" if kind == "Resource" else "containerResource"
    source = m.get(key) or {}
    res, target = source["name"], source["target"]
    container = source.get("container") if kind == "ContainerResource" else None
    reason = "FailedGetResourceMetric" if container is None else "FailedGetContainerResourceMetric"
    try:
        if target.get("type") == "Utilization":
            replicas, util, avg = resource_replicas(
                current,
                int(target["averageUtilization"]),
                res,
                pods,
                metrics,
                now=now,
                container=container,
            )
            value: Obj = {"averageUtilization": util, "averageValue": format_milli(avg)}
            what = "resource" if container is None else "container resource"
            metric_name = f"{res} {what} utilization (percentage of request)"
        else:
            replicas, avg = _average_value(
                current, milli(target["averageValue"]), res, pods, metrics, container
            )
            value = {"averageValue": format_milli(avg)}
            metric_name = f"{res} resource"
    except MetricError as err:
        raise MetricError(reason, str(err)) from None
    body: Obj = {"name": res, "current": value}
    if container is not None:
        body = {"name": res, "container": container, "current": value}
    return replicas, {"type": kind, key: body}, metric_name


def _value_error(m: Obj, err: MetricError) -> str:
    """computeReplicasForMetric's wrapping of a metric's error, by source type."""
    kind = m.get("type")
    if kind == "Pods":
        return f"failed to get pods metric value: {err}"
    if kind == "Object":
        obj = m.get("object") or {}
        if ((obj.get("target") or {}).get("type")) == "AverageValue":
            name_ = (obj.get("metric") or {}).get("name")
            return f"failed to get object metric value: failed to get {name_} object metric: {err}"
        return f"failed to get object metric value: {err}"
    if kind == "External":
        external = m.get("external") or {}
        name_ = (external.get("metric") or {}).get("name")
        if (external.get("target") or {}).get("type") == "AverageValue":
            inner = f"failed to get {name_} external metric: {err}"
        else:  # a Value target words it the other way round
            inner = f"failed to get external metric {name_}: {err}"
        return f"failed to get {name_} external metric value: {inner}"
    if kind == "ContainerResource":
        return f"failed to get {(m.get('containerResource') or {}).get('container')} container metric value: {err}"
    return f"failed to get {_res(m)} resource metric value: {err}"


def go_label_selector(selector: Obj | None) -> str:
    """How the HPA's error prints a *metav1.LabelSelector with %+v (its String method)."""
    if not selector:
        return "nil"
    labels_text = "".join(
        f"{k}: {v}," for k, v in sorted((selector.get("matchLabels") or {}).items())
    )
    exprs = "".join(
        f"LabelSelectorRequirement{{Key:{e.get('key')},Operator:{e.get('operator')},"
        f"Values:[{' '.join(e.get('values') or [])}],}},"
        for e in selector.get("matchExpressions") or []
    )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels_text}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
    )


def _res(m: Obj) -> str:
    return ((m.get("resource") or {}).get("name")) or str(m.get("type"))


def _average_value(
    current: int,
    target_milli: int,
    resource: str,
    pods: list[Obj],
    metrics: dict[str, Obj],
    container: str | None = None,
) -> tuple[int, int]:
    """GetRawResourceReplicas (averageValue targets): usage over the target, per pod."""
    namespace = str(meta(pods[0]).get("namespace") or "") if pods else ""
    try:
        usage = _pod_usage(metrics, resource, container, namespace)
    except MetricError as err:
        raise MetricError("", f"failed to get {resource} usage: {err}") from None
    if not usage:
        raise MetricError(
            "FailedGetResourceMetric",
            f"failed to get {resource} usage: unable to get metrics for resource {resource}: no metrics returned from resource metrics API",
        )
    ready = len([p for p in pods if name(p) in usage and phase(p) == "Running"]) or len(usage)
    total = sum(usage.values())
    ratio = total / (target_milli * ready)
    if abs(1.0 - ratio) <= TOLERANCE:
        return current, total // len(usage)
    return math.ceil(ratio * ready), total // len(usage)


def _failed(
    s: _State, original: Obj, current: int, statuses: list[Obj], err: MetricError
) -> Decision:
    status = s.hpa.setdefault("status", {})
    status["currentReplicas"] = current
    status.setdefault("desiredReplicas", (original.get("status") or {}).get("desiredReplicas", 0))
    specs = (s.hpa.get("spec") or {}).get("metrics") or []
    status["currentMetrics"] = statuses or err.statuses or [{"type": ""} for _ in specs]
    msg = str(err)
    if err.reason != "FailedComputeMetricsReplicas":
        msg = f"invalid metrics (1 invalid out of {len(specs)}), first error is: failed to get {_res(specs[0]) if specs else ''} resource metric value: {err}"
    s.event("Warning", "FailedComputeMetricsReplicas", msg)
    actions: list[Any] = []
    if s.hpa != original:
        actions.append(UpdateStatus(s.hpa))
    actions += [Emit(e) for e in s.events]
    return Decision(actions, requeue_after=15.0)


def _store_event(
    hist: HpaHistory, beh: tuple[Obj, Obj], prev: int, new: int, now: datetime
) -> HpaHistory:
    up, down = beh
    if new > prev:
        longest = max((p["periodSeconds"] for p in up.get("policies") or []), default=0)
        cutoff = now - timedelta(seconds=longest)
        ev = tuple(e for e in hist.scale_up_events if e[0] > cutoff) + ((now, new - prev),)
        return HpaHistory(hist.recommendations, ev, hist.scale_down_events)
    longest = max((p["periodSeconds"] for p in down.get("policies") or []), default=0)
    cutoff = now - timedelta(seconds=longest)
    ev = tuple(e for e in hist.scale_down_events if e[0] > cutoff) + ((now, prev - new),)
    return HpaHistory(hist.recommendations, hist.scale_up_events, ev)


def hpa_without_target(hpa: Obj, message: str, *, now: datetime) -> Decision:
    """No scale to read (the target is missing or has no scale): AbleToScale=False with
    FailedGetScale, and the warning event, as the HPA controller records them."""
    body = {**hpa, "status": dict(hpa.get("status") or {})}
    old = next(
        (c for c in body["status"].get("conditions") or [] if c.get("type") == "AbleToScale"),
        None,
    )
    conds = [c for c in body["status"].get("conditions") or [] if c.get("type") != "AbleToScale"]
    kept = old["lastTransitionTime"] if old is not None and old.get("status") == "False" else None
    conds.insert(
        0,
        {
            "type": "AbleToScale",
            "status": "False",
            "lastTransitionTime": kept or fmt_time(now),
            "reason": "FailedGetScale",
            "message": f"the HPA controller was unable to get the target's current scale: {message}",
        },
    )
    body["status"]["conditions"] = conds
    body["status"].setdefault("desiredReplicas", 0)
    actions: list[Any] = [Emit(Event(object_ref(hpa), "Warning", "FailedGetScale", message))]
    if body != hpa:
        actions.insert(0, UpdateStatus(body))
    return Decision(actions)
