"""Workload validation (pkg/apis/apps and batch validation): Deployments, ReplicaSets,
DaemonSets, StatefulSets, Jobs and CronJobs, plus the label-selector rules they share.

Each validator takes the new object and the old one (None on create) and returns field
errors in the order the real validators emit them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kubesim.apiserver.validation.errors import (
    FieldError,
    GoLiteral,
    forbidden,
    invalid,
    label_selector_literal,
    not_supported,
    required,
    too_long,
    too_many,
)
from kubesim.apiserver.validation.names import (
    is_dns1123_subdomain,
    is_label_value,
    is_qualified_name,
    regex_error,
    validate_labels,
)
from kubesim.apiserver.validation.pod import validate_pod_spec
from kubesim.core.cron import CronError, parse_schedule, time_zone_errors

Obj = dict[str, Any]
Validator = Callable[[Obj, Obj | None], list[FieldError]]

_SELECTOR_OPS = ["In", "NotIn", "Exists", "DoesNotExist"]
_PERCENT_RE = re.compile(r"^[0-9]+%$")


# --- shared pieces ----------------------------------------------------------------------


def _nonneg(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def validate_label_selector(selector: Any, path: str) -> list[FieldError]:
    if not isinstance(selector, dict):
        return []
    errs = validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        p = f"{path}.matchExpressions[{i}]"
        if not isinstance(expr, dict):
            continue
        op = expr.get("operator")
        values = expr.get("values") or []
        if op in ("In", "NotIn") and not values:
            errs.append(
                required(f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'")
            )
        elif op in ("Exists", "DoesNotExist") and values:
            errs.append(
                forbidden(
                    f"{p}.values",
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
        elif op not in _SELECTOR_OPS:
            errs.append(not_supported(f"{p}.operator", op, _SELECTOR_OPS))
        errs.extend(
            invalid(f"{p}.key", expr.get("key", ""), m)
            for m in is_qualified_name(expr.get("key", ""))
        )
    return errs


def selector_matches(selector: Obj, labels: dict[str, str]) -> bool:
    """LabelSelectorAsSelector(selector).Matches(labels)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and (not present or labels[key] not in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _selector_empty(selector: Obj) -> bool:
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def int_or_percent(value: Any, path: str) -> list[FieldError]:
    """ValidatePositiveIntOrPercent."""
    if isinstance(value, str):
        if not _PERCENT_RE.match(value):
            return [
                invalid(
                    path,
                    value,
                    regex_error(
                        "a valid percent string must be a numeric string followed by an ending '%'",
                        "[0-9]+%",
                        "1%",
                        "93%",
                    ),
                )
            ]
        return []
    return _nonneg(value, path)


def not_over_100(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, str) and _PERCENT_RE.match(value) and int(value[:-1]) > 100:
        return [invalid(path, GoLiteral(value), "must not be greater than 100%")]
    return []


def _is_zero(value: Any) -> bool:
    return value in (0, "0%") or (
        isinstance(value, str) and _PERCENT_RE.match(value) is not None and int(value[:-1]) == 0
    )


def _template_for_controller(
    spec: Obj,
    path: str,
    *,
    kind_word: str,
    restart: list[str] | None,
    pod_spec: bool = True,
) -> list[FieldError]:
    """ValidatePodTemplateSpecForReplicaSet and friends: selector vs labels, pod spec.
    ValidatePodTemplateSpecForStatefulSet skips the pod spec (`pod_spec=False`): its
    volume mounts may name volumeClaimTemplates, so its pods are validated at creation."""
    errs: list[FieldError] = []
    template = spec.get("template")
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = {}
    if not isinstance(template, dict):
        return [required(f"{path}.template")]
    tmeta = template.get("metadata") or {}
    labels = tmeta.get("labels") or {}
    if not _selector_empty(selector) and not selector_matches(selector, labels):
        errs.append(
            invalid(
                f"{path}.template.metadata.labels",
                labels,
                "`selector` does not match template `labels`",
            )
        )
    errs.extend(validate_labels(labels, f"{path}.template.metadata.labels"))
    tspec = template.get("spec")
    if pod_spec:
        errs.extend(validate_pod_spec(tspec, f"{path}.template.spec", is_pod=False))
    if isinstance(tspec, dict):
        policy = tspec.get("restartPolicy")
        if restart is not None and policy not in restart:
            errs.append(not_supported(f"{path}.template.spec.restartPolicy", policy, restart))
        if tspec.get("activeDeadlineSeconds") is not None and kind_word:
            errs.append(
                forbidden(
                    f"{path}.template.spec.activeDeadlineSeconds",
                    f"activeDeadlineSeconds in {kind_word} is not Supported",
                )
            )
    return errs


def _selector_required(spec: Obj, path: str, *, kind: str) -> list[FieldError]:
    selector = spec.get("selector")
    if selector is None:
        return [required(f"{path}.selector")]
    errs = validate_label_selector(selector, f"{path}.selector")
    if isinstance(selector, dict) and _selector_empty(selector):
        errs.append(
            invalid(
                f"{path}.selector",
                label_selector_literal(selector),
                f"empty selector is invalid for {kind}",
            )
        )
    return errs


def _immutable_selector(obj: Obj, old: Obj | None) -> list[FieldError]:
    if old is None:
        return []
    new_sel = (obj.get("spec") or {}).get("selector")
    old_sel = (old.get("spec") or {}).get("selector")
    if new_sel != old_sel:
        return [invalid("spec.selector", label_selector_literal(new_sel), "field is immutable")]
    return []


# --- workloads ------------------------------------------------------------------------------


def validate_deployment(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs = _nonneg(spec.get("replicas"), "spec.replicas")
    errs.extend(_selector_required(spec, "spec", kind="deployment"))
    errs.extend(_template_for_controller(spec, "spec", kind_word="ReplicaSet", restart=["Always"]))
    strategy = spec.get("strategy") or {}
    kind = strategy.get("type")
    if kind not in ("Recreate", "RollingUpdate"):
        errs.append(not_supported("spec.strategy.type", kind, ["Recreate", "RollingUpdate"]))
    elif kind == "Recreate" and strategy.get("rollingUpdate") is not None:
        errs.append(
            forbidden(
                "spec.strategy.rollingUpdate",
                "may not be specified when strategy `type` is 'Recreate'",
            )
        )
    rolling = strategy.get("rollingUpdate")
    if kind == "RollingUpdate" and isinstance(rolling, dict):
        p = "spec.strategy.rollingUpdate"
        unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
        errs.extend(int_or_percent(unavailable, f"{p}.maxUnavailable"))
        errs.extend(int_or_percent(surge, f"{p}.maxSurge"))
        if _is_zero(unavailable) and _is_zero(surge):
            errs.append(
                invalid(
                    f"{p}.maxUnavailable",
                    GoLiteral(str(unavailable)),
                    "may not be 0 when `maxSurge` is 0",
                )
            )
        errs.extend(not_over_100(unavailable, f"{p}.maxUnavailable"))
    errs.extend(_nonneg(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"))
    errs.extend(_nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    deadline = spec.get("progressDeadlineSeconds")
    errs.extend(_nonneg(deadline, "spec.progressDeadlineSeconds"))
    ready = spec.get("minReadySeconds") or 0
    if isinstance(deadline, int) and deadline <= ready:
        errs.append(
            invalid(
                "spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"
            )
        )
    errs.extend(_immutable_selector(obj, old))
    return errs


def validate_replicaset(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs = _nonneg(spec.get("replicas"), "spec.replicas")
    errs.extend(_nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    errs.extend(_selector_required(spec, "spec", kind="deployment"))
    errs.extend(_template_for_controller(spec, "spec", kind_word="ReplicaSet", restart=["Always"]))
    errs.extend(_immutable_selector(obj, old))
    return errs


def validate_daemonset(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs = _selector_required(spec, "spec", kind="daemonset")
    errs.extend(_template_for_controller(spec, "spec", kind_word="", restart=["Always"]))
    strategy = (spec.get("updateStrategy") or {}).get("type")
    if strategy not in ("OnDelete", "RollingUpdate"):
        errs.append(
            not_supported("spec.updateStrategy.type", strategy, ["OnDelete", "RollingUpdate"])
        )
    errs.extend(_nonneg(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"))
    errs.extend(_immutable_selector(obj, old))
    return errs


def validate_statefulset(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs: list[FieldError] = []
    policy = spec.get("podManagementPolicy")
    if policy not in ("OrderedReady", "Parallel"):
        errs.append(not_supported("spec.podManagementPolicy", policy, ["OrderedReady", "Parallel"]))
    errs.extend(_nonneg(spec.get("replicas"), "spec.replicas"))
    errs.extend(_selector_required(spec, "spec", kind="statefulset"))
    errs.extend(
        _template_for_controller(
            spec, "spec", kind_word="StatefulSet", restart=["Always"], pod_spec=False
        )
    )
    strategy = spec.get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    if strategy.get("type") == "OnDelete" and rolling is not None:
        errs.append(
            invalid(
                "spec.updateStrategy.rollingUpdate",
                _rolling_literal(rolling),
                "only allowed for updateStrategy 'RollingUpdate'",
            )
        )
    errs.extend(_immutable_selector(obj, old))
    if old is not None and _fixed_spec(spec) != _fixed_spec(old.get("spec") or {}):
        errs.append(forbidden("spec", _STATEFULSET_UPDATE))
    return errs


# ValidateStatefulSetUpdate: what an update may change; anything else of the spec is fixed
_STATEFULSET_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
_STATEFULSET_UPDATE = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden"
)


def _fixed_spec(spec: Obj) -> Obj:
    return {k: v for k, v in spec.items() if k not in _STATEFULSET_MUTABLE}


def _rolling_literal(rolling: Obj) -> GoLiteral:
    """A RollingUpdateStatefulSetStrategy as field.Error prints it (%#v of the internal
    struct: Partition an int32, MaxUnavailable a pointer)."""
    unavailable = rolling.get("maxUnavailable")
    pointer = "(nil)" if unavailable is None else "(0xc000a1c0f0)"
    return GoLiteral(
        f"apps.RollingUpdateStatefulSetStrategy{{Partition:{int(rolling.get('partition') or 0)}, "
        f"MaxUnavailable:(*intstr.IntOrString){pointer}}}"
    )


_JOB_RESTART = ["OnFailure", "Never"]


def _job_spec(spec: Obj, path: str, *, generated: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    for key in ("parallelism", "completions", "backoffLimit"):
        errs.extend(_nonneg(spec.get(key), f"{path}.{key}"))
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and deadline <= 0:
        errs.append(
            invalid(f"{path}.activeDeadlineSeconds", deadline, "must be greater than or equal to 1")
        )
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        errs.append(not_supported(f"{path}.completionMode", mode, ["NonIndexed", "Indexed"]))
    errs.extend(_per_index_errors(spec, path))
    if generated:
        # without manualSelector the server generates the selector itself
        if spec.get("selector") is None and spec.get("manualSelector"):
            errs.append(required(f"{path}.selector"))
        errs.extend(_template_for_controller(spec, path, kind_word="", restart=None))
    else:
        template = spec.get("template")
        if not isinstance(template, dict):
            errs.append(required(f"{path}.template"))
        else:
            errs.extend(
                validate_labels(
                    (template.get("metadata") or {}).get("labels"),
                    f"{path}.template.metadata.labels",
                )
            )
            errs.extend(
                validate_pod_spec(template.get("spec"), f"{path}.template.spec", is_pod=False)
            )
    template_spec = (spec.get("template") or {}).get("spec")
    if isinstance(template_spec, dict):
        policy = template_spec.get("restartPolicy")
        if policy not in _JOB_RESTART:
            errs.append(
                required(
                    f"{path}.template.spec.restartPolicy", 'valid values: "OnFailure", "Never"'
                )
            )
    return errs


def _per_index_errors(spec: Obj, path: str) -> list[FieldError]:
    """validateJobSpec's rules for backoffLimitPerIndex, maxFailedIndexes, FailIndex rules
    and successPolicy: all of them need an Indexed Job."""
    errs: list[FieldError] = []
    indexed = spec.get("completionMode") == "Indexed"
    per_index, most = spec.get("backoffLimitPerIndex"), spec.get("maxFailedIndexes")
    for key in ("backoffLimitPerIndex", "maxFailedIndexes"):
        errs.extend(_nonneg(spec.get(key), f"{path}.{key}"))
        if spec.get(key) is not None and not indexed:
            errs.append(invalid(f"{path}.{key}", spec[key], "requires indexed completion mode"))
    if most is not None and per_index is None:
        errs.append(required(f"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    completions = spec.get("completions")
    if indexed and isinstance(most, int) and isinstance(completions, int) and most > completions:
        errs.append(
            invalid(f"{path}.maxFailedIndexes", most, "must be less than or equal to completions")
        )
    rules = (spec.get("podFailurePolicy") or {}).get("rules") or []
    for i, rule in enumerate(rules):
        if isinstance(rule, dict) and rule.get("action") == "FailIndex" and per_index is None:
            errs.append(
                invalid(
                    f"{path}.podFailurePolicy.rules[{i}].action",
                    "FailIndex",
                    "requires the backoffLimitPerIndex to be set",
                )
            )
    policy = spec.get("successPolicy")
    if policy is not None and not indexed:
        errs.append(invalid(f"{path}.successPolicy", policy, "requires indexed completion mode"))
    elif isinstance(policy, dict):
        errs.extend(_success_policy_errors(policy, completions, f"{path}.successPolicy"))
    return errs


MAX_SUCCESS_POLICY_RULES = 20  # maxSuccessPolicyRule


def _success_policy_errors(policy: Obj, completions: Any, path: str) -> list[FieldError]:
    """validateSuccessPolicy and validateSuccessPolicyRule."""
    rules = policy.get("rules") or []
    errs: list[FieldError] = []
    if not rules:
        errs.append(
            required(
                f"{path}.rules",
                "at least one rules must be specified when the successPolicy is specified",
            )
        )
    if len(rules) > MAX_SUCCESS_POLICY_RULES:
        errs.append(too_many(f"{path}.rules", len(rules), MAX_SUCCESS_POLICY_RULES))
    total = completions if isinstance(completions, int) else 0
    for i, rule in enumerate(r for r in rules if isinstance(r, dict)):
        where = f"{path}.rules[{i}]"
        indexes, count = rule.get("succeededIndexes"), rule.get("succeededCount")
        named = 0
        if isinstance(indexes, str):
            try:
                named = indexes_total(indexes, total)
            except ValueError as exc:
                errs.append(
                    invalid(
                        f"{where}.succeededIndexes",
                        indexes,
                        f"error parsing succeededIndexes: {exc}",
                    )
                )
        if isinstance(count, int):
            errs.extend(_nonneg(count, f"{where}.succeededCount"))
            if count > total:
                errs.append(
                    invalid(
                        f"{where}.succeededCount",
                        count,
                        f"must be less than or equal to {total} (the number of specified "
                        "completions)",
                    )
                )
            if indexes is not None and count > named:
                errs.append(
                    invalid(
                        f"{where}.succeededCount",
                        count,
                        f"must be less than or equal to {named} (the number of indexes in the "
                        "specified succeededIndexes field)",
                    )
                )
        if indexes is None and count is None:
            errs.append(
                required(
                    where, "at least one of succeededCount or succeededIndexes must be specified"
                )
            )
    return errs


def indexes_total(text: str, completions: int) -> int:
    """validateIndexesFormat: how many indexes `0,2-3` names, or ValueError in its words."""
    if not text:
        return 0
    last: int | None = None
    total = 0
    for interval in text.split(","):
        limits = interval.split("-")
        if len(limits) > 2:
            raise ValueError(
                f'the fragment "{interval}" violates the requirement that an index interval '
                "can have at most two parts separated by '-'"
            )
        bounds = []
        for limit in limits:
            if not re.fullmatch(r"[+-]?\d+", limit):
                raise ValueError(f'cannot convert string to integer for index: "{limit}"')
            if int(limit) >= completions:
                raise ValueError(f'too large index: "{limit}"')
            bounds.append(int(limit))
        first, end = bounds[0], bounds[-1]
        if len(bounds) == 2 and first >= end:
            raise ValueError(f"non-increasing order, previous: {first}, current: {end}")
        if last is not None and last >= first:
            raise ValueError(f"non-increasing order, previous: {last}, current: {first}")
        total += end - first + 1
        last = end
    return total


_HTTP_PATH = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"
MAX_MANAGED_BY = 63  # maxManagedByLength


def _managed_by_errors(spec: Obj, old_spec: Obj | None, path: str) -> list[FieldError]:
    """validateJobSpec's managedBy (IsDomainPrefixedPath, at most 63 bytes), immutable on
    update; the same for a CronJob's job template."""
    value = spec.get("managedBy")
    errs: list[FieldError] = []
    if isinstance(value, str):
        host, slash, rest = value.partition("/")
        if not value:
            errs.append(required(path))
        elif not slash or not host or not rest:
            errs.append(
                invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')
            )
        else:
            errs.extend(invalid(path, host, m) for m in is_dns1123_subdomain(host))
            if not re.fullmatch(_HTTP_PATH, rest):
                errs.append(invalid(path, rest, regex_error("Invalid path", _HTTP_PATH)))
        if len(value) > MAX_MANAGED_BY:
            errs.append(too_long(path, MAX_MANAGED_BY))
    if old_spec is not None and value != old_spec.get("managedBy"):
        errs.append(invalid(path, value, "field is immutable"))
    return errs


def validate_job(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs = _job_spec(spec, "spec", generated=True)
    old_spec = (old.get("spec") or {}) if old is not None else None
    errs.extend(_managed_by_errors(spec, old_spec, "spec.managedBy"))
    for key, value in (
        ((spec.get("template") or {}).get("metadata") or {}).get("labels", {}).items()
    ):
        if key.endswith("job-name"):
            errs.extend(
                invalid("spec.template.metadata.labels", value, m) for m in is_label_value(value)
            )
    if old is not None:
        old_spec = old.get("spec") or {}
        if spec.get("selector") != old_spec.get("selector"):
            errs.append(
                invalid(
                    "spec.selector",
                    label_selector_literal(spec.get("selector")),
                    "field is immutable",
                )
            )
        if spec.get("completionMode") != old_spec.get("completionMode"):
            errs.append(
                invalid("spec.completionMode", spec.get("completionMode"), "field is immutable")
            )
    return errs


def _schedule_errors(schedule: str, time_zone: Any, old: Obj | None) -> list[FieldError]:
    """validateScheduleFormat: robfig's ParseStandard error, and TZ in the schedule only on
    an object that already had it (and then never with spec.timeZone)."""
    errs: list[FieldError] = []
    try:
        parse_schedule(schedule)
    except CronError as exc:
        errs.append(invalid("spec.schedule", schedule, str(exc)))
    had_tz = "TZ" in str(((old or {}).get("spec") or {}).get("schedule") or "")
    if had_tz and "TZ" in schedule and time_zone is not None:
        errs.append(
            invalid(
                "spec.schedule",
                schedule,
                "cannot use both timeZone field and TZ or CRON_TZ in schedule",
            )
        )
    elif not had_tz and "TZ" in schedule:
        errs.append(
            invalid(
                "spec.schedule",
                schedule,
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            )
        )
    return errs


def validate_cronjob(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs: list[FieldError] = []
    schedule = spec.get("schedule")
    time_zone = spec.get("timeZone")
    if not schedule:
        errs.append(required("spec.schedule"))
    elif isinstance(schedule, str):
        errs.extend(_schedule_errors(schedule, time_zone, old))
    old_zone = ((old or {}).get("spec") or {}).get("timeZone")
    if isinstance(time_zone, str) and (old is None or old_zone != time_zone):  # when it changes
        errs.extend(invalid("spec.timeZone", time_zone, m) for m in time_zone_errors(time_zone))
    policy = spec.get("concurrencyPolicy")
    if policy not in ("Allow", "Forbid", "Replace"):
        errs.append(not_supported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]))
    job_template = spec.get("jobTemplate")
    if not isinstance(job_template, dict):
        errs.append(required("spec.jobTemplate"))
    else:
        job_spec = job_template.get("spec") or {}
        errs.extend(_job_spec(job_spec, "spec.jobTemplate.spec", generated=False))
        errs.extend(_managed_by_errors(job_spec, None, "spec.jobTemplate.spec.managedBy"))
        if job_spec.get("selector") is not None:  # ValidateJobTemplateSpec
            errs.append(
                invalid(
                    "spec.jobTemplate.spec.selector",
                    label_selector_literal(job_spec["selector"]),
                    "`selector` will be auto-generated",
                )
            )
    name = (obj.get("metadata") or {}).get("name") or ""
    if len(name) > 52:
        errs.append(invalid("metadata.name", name, "must be no more than 52 characters"))
    return errs
