"""The LimitRanger admission plugin as pure functions: a namespace's LimitRanges fill in
what containers leave out, then refuse pods and claims outside their bounds.

The docs' tasks "Configure Default Memory Requests and Limits", "Configure Minimum and
Maximum CPU Constraints" and "Limit Storage Consumption" meet both halves, and a learner
who sets a quota'd namespace's LimitRange wrong meets the refusals, so both follow
plugin/pkg/admission/limitranger (Kubernetes 1.37) closely:

* ``mutate_pod``: the mutating half (PodMutateLimitFunc). Container-type ``default`` and
  ``defaultRequest`` fill what each container and init container leaves out, and the pod is
  annotated with what was set (``kubernetes.io/limit-ranger``), the trace that a request
  came from the namespace and not from the pod's author.
* ``pod_denial`` and ``claim_denial``: the validating half (PodValidateLimitFunc,
  PersistentVolumeClaimValidateLimitFunc). Each is the text after ``... is forbidden: `` or
  None. Container-type bounds hold for every container, Pod-type bounds for the pod as the
  scheduler counts it (sidecars summed, the largest init container, pod-level resources
  overriding cpu and memory), PersistentVolumeClaim-type bounds for a claim's storage
  request. On an update (a pods/resize, a claim's expansion) a value the old object already
  held is not checked again.

The API server reads a namespace's LimitRanges in name order and stops at the first that
refuses; several refusals from one LimitRange are joined as Go's utilerrors aggregate joins
them (``[a, b]``), resources in name order where Go's map order is random.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from kubesim.core import podlevel
from kubesim.core.objects import Obj, deepcopy, meta
from kubesim.core.quantity import canonical, parse_or_none

LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"

Texts = dict[str, str]


def _in_name_order(limitranges: list[Obj]) -> list[Obj]:
    return sorted(limitranges, key=lambda lr: meta(lr).get("name", ""))


def _items(limitrange: Obj, kind: str) -> list[Obj]:
    limits = (limitrange.get("spec") or {}).get("limits") or []
    return [item for item in limits if isinstance(item, dict) and item.get("type") == kind]


# --- the mutating half ----------------------------------------------------------------------


def mutate_pod(pod: Obj, limitranges: list[Obj]) -> Obj:
    """Each Container-type limit's `default` fills missing limits and `defaultRequest`
    missing requests (a missing request with a limit known takes the limit, as API
    defaulting does), in containers and init containers alike. Returns a new pod; the input
    is left alone."""
    out = deepcopy(pod)
    defaults: dict[str, str] = {}
    default_requests: dict[str, str] = {}
    for lr in _in_name_order(limitranges):
        for item in _items(lr, "Container"):
            for k, v in (item.get("default") or {}).items():
                defaults.setdefault(k, str(v))
            for k, v in (item.get("defaultRequest") or {}).items():
                default_requests.setdefault(k, str(v))
    if not defaults and not default_requests:
        return out
    spec = out.get("spec") or {}
    notes: list[str] = []
    for key, label in (("containers", "container"), ("initContainers", "init container")):
        for c in spec.get(key) or []:
            if isinstance(c, dict) and isinstance(c.get("resources", {}), dict):
                notes.extend(_fill(c, defaults, default_requests, label))  # else: validation says
    if notes:
        annotations = out.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)
    return out


def _fill(c: Obj, defaults: Texts, default_requests: Texts, label: str) -> list[str]:
    """mergeContainerResources for one container; returns its part of the annotation."""
    res = c.setdefault("resources", {})
    limits = res.get("limits") or {}
    requests = res.get("requests") or {}
    set_limits = sorted(k for k in defaults if k not in limits)
    set_requests = sorted(k for k in default_requests if k not in requests)
    for k in set_limits:
        limits[k] = defaults[k]
    for k in set_requests:
        requests[k] = default_requests[k]
    for k, v in limits.items():
        if k not in requests:
            requests[k] = v
            if k in set_limits:  # LimitRange defaulting: defaultRequest = default
                set_requests = sorted({*set_requests, k})
    if limits:
        res["limits"] = limits
    if requests:
        res["requests"] = requests
    name = c.get("name", "")
    notes = []
    if set_requests:
        notes.append(f"{', '.join(set_requests)} request for {label} {name}")
    if set_limits:
        notes.append(f"{', '.join(set_limits)} limit for {label} {name}")
    return notes


# --- the validating half --------------------------------------------------------------------


def _quantities(values: object) -> dict[str, tuple[Fraction, str]]:
    """A resource list as exact amounts with the text Quantity.String() prints for each."""
    out: dict[str, tuple[Fraction, str]] = {}
    for name, raw in (values or {}).items() if isinstance(values, dict) else ():
        parsed = parse_or_none(raw)
        if parsed is not None:
            out[name] = (parsed.value, canonical(parsed))
    return out


Bounds = dict[str, tuple[Fraction, str]]


def _min(
    kind: str, name: str, bound: tuple[Fraction, str], requests: Bounds, limits: Bounds
) -> str | None:
    """minConstraint."""
    floor, shown = bound
    if name not in requests:
        return f"minimum {name} usage per {kind} is {shown}.  No request is specified"
    if requests[name][0] < floor:
        return f"minimum {name} usage per {kind} is {shown}, but request is {requests[name][1]}"
    if name in limits and limits[name][0] < floor:
        return f"minimum {name} usage per {kind} is {shown}, but limit is {limits[name][1]}"
    return None


def _max(
    kind: str, name: str, bound: tuple[Fraction, str], requests: Bounds, limits: Bounds
) -> str | None:
    """maxConstraint."""
    ceiling, shown = bound
    if name not in limits:
        return f"maximum {name} usage per {kind} is {shown}.  No limit is specified"
    if limits[name][0] > ceiling:
        return f"maximum {name} usage per {kind} is {shown}, but limit is {limits[name][1]}"
    if name in requests and requests[name][0] > ceiling:
        return f"maximum {name} usage per {kind} is {shown}, but request is {requests[name][1]}"
    return None


def _ratio(
    kind: str, name: str, bound: tuple[Fraction, str], requests: Bounds, limits: Bounds
) -> str | None:
    """limitRequestRatioConstraint; the ratio shown to six decimals, rounded half to even."""
    most, shown = bound
    head = f"{name} max limit to request ratio per {kind} is {shown}"
    request = abs(requests[name][0]) if name in requests else Fraction(0)
    limit = abs(limits[name][0]) if name in limits else Fraction(0)
    if request == 0:
        return f"{head}, but no request is specified or request is 0"
    if limit == 0:
        return f"{head}, but no limit is specified or limit is 0"
    if limit > request * most:
        micro = round(limit / request * 1_000_000)
        return f"{head}, but provided ratio is {micro // 1_000_000}.{micro % 1_000_000:06d}"
    return None


Check = Callable[[str, str, tuple[Fraction, str], Bounds, Bounds], "str | None"]
_CHECKS: tuple[tuple[str, Check], ...] = (
    ("min", _min),
    ("max", _max),
    ("maxLimitRequestRatio", _ratio),
)


def _unchanged(name: str, new: tuple[Bounds, Bounds], old: tuple[Bounds, Bounds] | None) -> bool:
    """resourceUnchanged: neither the request nor the limit of `name` moved."""
    if old is None:
        return False
    return all(
        (name in a) == (name in b) and (name not in a or a[name][0] == b[name][0])
        for a, b in zip(new, old, strict=True)
    )


def _check(
    item: Obj, kind: str, new: tuple[Bounds, Bounds], old: tuple[Bounds, Bounds] | None
) -> list[str]:
    errors: list[str] = []
    for field, check in _CHECKS:
        for name, bound in sorted(_quantities(item.get(field)).items()):
            if _unchanged(name, new, old):
                continue
            why = check(kind, name, bound, *new)
            if why:
                errors.append(why)
    return errors


def _container_bounds(c: Obj) -> tuple[Bounds, Bounds]:
    res = c.get("resources") or {}
    return _quantities(res.get("requests")), _quantities(res.get("limits"))


def _pod_bounds(pod: Obj) -> tuple[Bounds, Bounds]:
    """podRequests and podLimits: the containers' aggregate, pod-level cpu and memory over
    it (LimitRanger's own copy supports no hugepages at the pod level)."""
    spec = pod.get("spec") or {}
    own = podlevel.stated(spec)
    out: list[Bounds] = []
    for part in ("requests", "limits"):
        values = {n: (v, podlevel.text(n, v)) for n, v in podlevel.aggregate(spec, part).items()}
        stated = _quantities(own.get(part))
        values.update({n: v for n, v in stated.items() if n in podlevel.CPU_MEMORY})
        out.append(values)
    return out[0], out[1]


def _named(containers: object) -> dict[str, Obj]:
    return {c.get("name", ""): c for c in containers or [] if isinstance(c, dict)}  # type: ignore[attr-defined]


def _pod_errors(limitrange: Obj, pod: Obj, old: Obj | None) -> list[str]:
    errors: list[str] = []
    spec = pod.get("spec") or {}
    old_spec = (old or {}).get("spec") or {}
    for item in _items(limitrange, "Container"):
        for key in ("containers", "initContainers"):
            before = _named(old_spec.get(key))
            for c in spec.get(key) or []:
                was = before.get(c.get("name", ""))
                then = _container_bounds(was) if old is not None and was is not None else None
                errors.extend(_check(item, "Container", _container_bounds(c), then))
    for item in _items(limitrange, "Pod"):
        then = _pod_bounds(old) if old is not None else None
        errors.extend(_check(item, "Pod", _pod_bounds(pod), then))
    return errors


def _aggregate(errors: list[str]) -> str | None:
    """utilerrors.NewAggregate(errs).Error(): one message alone, several deduplicated in
    brackets."""
    unique = list(dict.fromkeys(errors))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def pod_denial(pod: Obj, limitranges: list[Obj], old: Obj | None = None) -> str | None:
    """Why the first of the namespace's LimitRanges refuses `pod` (created, or resized
    from `old`), or None."""
    for lr in _in_name_order(limitranges):
        why = _aggregate(_pod_errors(lr, pod, old))
        if why:
            return why
    return None


def claim_denial(claim: Obj, limitranges: list[Obj], old: Obj | None = None) -> str | None:
    """Why the first of the namespace's LimitRanges refuses `claim`'s storage request
    (created, or updated from `old`), or None. Only requests count: a claim's limits are
    not read as the user's ask."""
    requests = _quantities(((claim.get("spec") or {}).get("resources") or {}).get("requests"))
    before = None
    if old is not None:
        was = ((old.get("spec") or {}).get("resources") or {}).get("requests")
        before = _quantities(was)
    for lr in _in_name_order(limitranges):
        errors: list[str] = []
        for item in _items(lr, "PersistentVolumeClaim"):
            for field, check in (("min", _min), ("max", _max_request)):
                for name, bound in sorted(_quantities(item.get(field)).items()):
                    if (
                        before is not None
                        and name in requests
                        and name in before
                        and (requests[name][0] == before[name][0])
                    ):
                        continue
                    why = check("PersistentVolumeClaim", name, bound, requests, {})
                    if why:
                        errors.append(why)
        if why_all := _aggregate(errors):
            return why_all
    return None


def _max_request(
    kind: str, name: str, bound: tuple[Fraction, str], requests: Bounds, _: Bounds
) -> str | None:
    """maxRequestConstraint: a claim's maximum reads its request."""
    ceiling, shown = bound
    if name not in requests:
        return f"maximum {name} usage per {kind} is {shown}.  No request is specified"
    if requests[name][0] > ceiling:
        return f"maximum {name} usage per {kind} is {shown}, but request is {requests[name][1]}"
    return None
