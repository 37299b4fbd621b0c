"""ValidateLimitRange: a LimitRange whose bounds contradict themselves is refused when it is
written, not found out when a pod meets it.

It runs after defaulting (`default` from `max`, `defaultRequest` from `default` or `min`),
as kube-apiserver's does, so a `max` below an explicit `defaultRequest` is reported against
both the derived default and the max. Bad values print as Go prints a `resource.Quantity`
passed by value to field.Invalid (`%#v` of the struct), which is what kubectl shows.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from kubesim.apiserver.validation.errors import (
    FieldError,
    GoLiteral,
    duplicate,
    forbidden,
    invalid,
    required,
)
from kubesim.apiserver.validation.names import is_qualified_name
from kubesim.apiserver.validation.pod import is_container_resource, overcommit_allowed
from kubesim.core.quantity import Quantity, canonical, parse_or_none

_TYPES = ("Container", "PersistentVolumeClaim", "Pod")
_BINARY_EXPONENT = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}


def go_quantity(q: Quantity) -> GoLiteral:
    """`%#v` of a resource.Quantity, its canonical string cached (`s`), as the int64 amount
    the parser keeps: the digits and their power of ten."""
    text = canonical(q)
    if q.format == "BinarySI" and text.endswith(tuple(_BINARY_EXPONENT)):
        value, scale = int(q.value), 0
    else:
        value, scale = _digits(q.value)
    return GoLiteral(
        f"resource.Quantity{{i:resource.int64Amount{{value:{value}, scale:{scale}}}, "
        f'd:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:"{text}", Format:"{q.format}"}}'
    )


def _digits(value: Fraction) -> tuple[int, int]:
    """The canonical form's mantissa and power of ten (500m -> 500, -3; 2k -> 2, 3)."""
    scale = -9
    mantissa = value * 10**9
    while scale < 18 and mantissa.denominator == 1 and mantissa.numerator % 1000 == 0:
        mantissa /= 1000
        scale += 3
    if mantissa == 0:
        return 0, 0
    return int(mantissa), scale


def _resource_name(kind: str, name: str, path: str) -> list[FieldError]:
    """validateLimitRangeResourceName: Pod and Container bounds name container resources."""
    if kind not in ("Pod", "Container"):
        return []
    if is_container_resource(name):
        return []
    return [invalid(path, name, "must be a standard resource for containers")]


def _type_name(kind: Any, path: str) -> list[FieldError]:
    text = kind if isinstance(kind, str) else ""
    problems = is_qualified_name(text)
    if problems:
        return [invalid(path, text, message) for message in problems]
    if "/" not in text and text not in _TYPES:
        return [invalid(path, text, "must be a standard limit type or fully qualified")]
    return []


def _item(item: Any, idx: str, seen: set[str]) -> list[FieldError]:
    if not isinstance(item, dict):
        return []
    kind = item.get("type")
    errs = _type_name(kind, f"{idx}.type")
    if isinstance(kind, str):
        if kind in seen:
            errs.append(duplicate(f"{idx}.type", kind))
        seen.add(kind)
    fields = ["max", "min"]
    if kind == "Pod":
        errs.extend(
            forbidden(f"{idx}.{key}", "may not be specified when `type` is 'Pod'")
            for key in ("default", "defaultRequest")
            if item.get(key)
        )
    else:
        fields += ["default", "defaultRequest"]
    fields.append("maxLimitRequestRatio")
    values: dict[str, dict[str, Quantity]] = {}
    for key in fields:
        raw = item.get(key)
        for name, q in raw.items() if isinstance(raw, dict) else ():
            errs.extend(_resource_name(str(kind), name, f"{idx}.{key}[{name}]"))
            parsed = parse_or_none(q)
            if parsed is not None:
                values.setdefault(key, {})[name] = parsed
    bounded = {*values.get("min", {}), *values.get("max", {})}
    if kind == "PersistentVolumeClaim" and "storage" not in bounded:
        errs.append(
            required(
                f"{idx}.limits",
                "either minimum or maximum storage value is required, but neither was provided",
            )
        )
    for name in sorted({n for by_name in values.values() for n in by_name}):
        errs.extend(_bounds(name, {k: v[name] for k, v in values.items() if name in v}, idx))
    return errs


def _bounds(name: str, q: dict[str, Quantity], idx: str) -> list[FieldError]:
    """min <= defaultRequest <= default <= max, and a ratio in [1, max/min]."""
    errs: list[FieldError] = []
    lo, hi = q.get("min"), q.get("max")
    default, request, ratio = (
        q.get("default"),
        q.get("defaultRequest"),
        q.get("maxLimitRequestRatio"),
    )

    def bad(field: str, value: Quantity, message: str) -> None:
        errs.append(invalid(f"{idx}.{field}[{name}]", go_quantity(value), message))

    if lo and hi and lo.value > hi.value:
        bad("min", lo, f"min value {lo} is greater than max value {hi}")
    if request and lo and lo.value > request.value:
        bad(
            "defaultRequest",
            request,
            f"min value {lo} is greater than default request value {request}",
        )
    if request and hi and request.value > hi.value:
        bad(
            "defaultRequest",
            request,
            f"default request value {request} is greater than max value {hi}",
        )
    if request and default and request.value > default.value:
        bad(
            "defaultRequest",
            request,
            f"default request value {request} is greater than default limit value {default}",
        )
    if default and lo and lo.value > default.value:
        bad("default", lo, f"min value {lo} is greater than default value {default}")
    if default and hi and default.value > hi.value:
        bad("default", hi, f"default value {default} is greater than max value {hi}")
    if ratio and ratio.value < 1:
        bad("maxLimitRequestRatio", ratio, f"ratio {ratio} is less than 1")
    if ratio and lo and hi and lo.value and ratio.value > hi.value / lo.value:
        bad(
            "maxLimitRequestRatio",
            ratio,
            f"ratio {ratio} is greater than max/min = {float(hi.value / lo.value):f}",
        )
    if default and request and not overcommit_allowed(name) and default.value != request.value:
        bad(
            "defaultRequest",
            request,
            f"default value {default} must equal to defaultRequest value {request} in {name}",
        )
    return errs


def validate_limitrange(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    limits = spec.get("limits") if isinstance(spec, dict) else None
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, item in enumerate(limits if isinstance(limits, list) else []):
        errs.extend(_item(item, f"spec.limits[{i}]", seen))
    return errs
