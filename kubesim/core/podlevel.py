"""Pod-level resources (`spec.resources` of a Pod; PodLevelResources, on by default since
1.34): the arithmetic every layer shares.

A pod may state cpu, memory and hugepages for all its containers together. Then its
requests and limits are the pod's, not the sum of its containers' (component-helpers'
resource.PodRequests and PodLimits overwrite the aggregate with them), the QoS class is
read from them alone (qos.ComputePodQOS), and a container without a limit of its own runs
under the pod's (kuberuntime's getMemoryLimit and getCPULimit). The API server's defaulting
and validation, the scheduler, ResourceQuota and the kubelet all read them through here.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from kubesim.core.quantity import Quantity, canonical, parse_or_none

Obj = dict[str, Any]
CPU_MEMORY = ("cpu", "memory")


def supported(name: str) -> bool:
    """SupportedPodLevelResources: cpu, memory and hugepages-<size>."""
    return name in CPU_MEMORY or name.startswith("hugepages-")


def _amount(raw: Any) -> Fraction | None:
    parsed = parse_or_none(raw)
    return parsed.value if parsed is not None else None


def text(name: str, value: Fraction) -> str:
    """A sum as the API prints it: memory and hugepages in binary units, cpu in decimal."""
    return canonical(Quantity(value, "DecimalSI" if name == "cpu" else "BinarySI"))


def stated(spec: Obj) -> Obj:
    """The pod's own requests and limits of supported resources ({} when it states none)."""
    resources = spec.get("resources") if isinstance(spec, dict) else None
    if not isinstance(resources, dict):
        return {}
    out: Obj = {}
    for part in ("requests", "limits"):
        values = resources.get(part)
        if isinstance(values, dict):
            kept = {k: v for k, v in values.items() if supported(k)}
            if kept:
                out[part] = kept
    return out


def aggregate(spec: Obj, part: str) -> dict[str, Fraction]:
    """The containers' requests or limits as one pod's: regular containers and sidecars
    summed, a plain init container counted when it alone is larger (it runs before them,
    beside the sidecars started ahead of it)."""
    total: dict[str, Fraction] = {}
    sidecars: dict[str, Fraction] = {}
    peak: dict[str, Fraction] = {}
    for container in spec.get("containers") or []:
        _add(total, _values(container, part))
    for container in spec.get("initContainers") or []:
        values = _values(container, part)
        if container.get("restartPolicy") == "Always":
            _add(sidecars, values)
            _add(total, values)
        else:
            for name, value in values.items():
                peak[name] = max(peak.get(name, Fraction(0)), value + sidecars.get(name, 0))
    for name, value in peak.items():
        total[name] = max(total.get(name, Fraction(0)), value)
    return total


def _values(container: Any, part: str) -> dict[str, Fraction]:
    resources = container.get("resources") if isinstance(container, dict) else None
    values = resources.get(part) if isinstance(resources, dict) else None
    out: dict[str, Fraction] = {}
    for name, raw in (values or {}).items() if isinstance(values, dict) else ():
        amount = _amount(raw)
        if amount is not None:
            out[name] = amount
    return out


def _add(into: dict[str, Fraction], more: dict[str, Fraction]) -> None:
    for name, value in more.items():
        into[name] = into.get(name, Fraction(0)) + value


def default_pod_resources(spec: Obj) -> None:
    """defaultPodRequests and defaultPodLimits: with pod limits, a missing pod request is
    the containers' aggregate request (cpu, memory), else the pod limit; with pod requests
    and no pod limits, a pod limit is the containers' aggregate where every container
    states one. Container values are never defaulted from the pod's. Mutates `spec`."""
    resources = spec.get("resources")
    if not isinstance(resources, dict):
        return
    limits: Obj = resources["limits"] if isinstance(resources.get("limits"), dict) else {}
    requests: Obj = resources["requests"] if isinstance(resources.get("requests"), dict) else {}
    if limits:
        asked = aggregate(spec, "requests")
        filled = dict(requests)
        for name in CPU_MEMORY:
            if name not in filled and name in asked:
                filled[name] = text(name, asked[name])
        for name, value in limits.items():
            if supported(name) and name not in filled:
                filled[name] = value
        if filled:
            resources["requests"] = filled
    elif requests:
        containers = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
        capped = aggregate(spec, "limits")
        filled = {}
        for name in CPU_MEMORY:
            if name in capped and all(name in _values(c, "limits") for c in containers):
                filled[name] = text(name, capped[name])
        if filled:
            resources["limits"] = filled


def qos_class(spec: Obj) -> str | None:
    """ComputePodQOS from pod-level resources, or None when the pod states none (then the
    containers decide). Only cpu and memory above zero count."""
    own = stated(spec)
    if not own:
        return None
    requests = {
        k: a
        for k, v in (own.get("requests") or {}).items()
        if k in CPU_MEMORY and (a := _amount(v))
    }
    limits = {
        k: a for k, v in (own.get("limits") or {}).items() if k in CPU_MEMORY and (a := _amount(v))
    }
    if not requests and not limits:
        return "BestEffort"
    if set(limits) == set(CPU_MEMORY) and (not requests or requests == limits):
        return "Guaranteed"  # (requests left out default to the limits)
    return "Burstable"


def pod_value(spec: Obj, part: str, name: str) -> str | None:
    """The pod's own request or limit of `name`, as written, if it states one."""
    value = (stated(spec).get(part) or {}).get(name)
    return str(value) if value is not None else None
