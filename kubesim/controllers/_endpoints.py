"""Service endpoints: the core/v1 Endpoints and discovery.k8s.io/v1 EndpointSlices a
Service's selector yields (endpoints and endpointslice controllers).

A pod counts once it has an IP; a ready pod (or any, with publishNotReadyAddresses) is an
address, the others are notReadyAddresses.  Terminating pods leave Endpoints but stay in
EndpointSlices with ``terminating: true``.  Ports resolve ``targetPort`` by number or by
the container port's name; a pod without the named port is left out of that port.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from kubesim.core.objects import (
    Obj,
    created,
    deleting,
    fmt_time,
    labels,
    map_selector_matches,
    meta,
    name,
    owner_ref_to,
    parse_time,
    phase,
    pod_condition,
    pod_ready,
    uid,
)

from ._actions import Action, Create, Decision, Update, delete_of

TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
MANAGER = "endpointslice-controller.k8s.io"


def _selected(service: Obj, pods: list[Obj]) -> list[Obj]:
    sel = (service.get("spec") or {}).get("selector")
    ns = meta(service).get("namespace")
    return [
        p
        for p in pods
        if meta(p).get("namespace") == ns
        and map_selector_matches(sel, labels(p))
        and (p.get("status") or {}).get("podIP")
        and phase(p) not in ("Succeeded", "Failed")
    ]


def target_port(pod: Obj, service_port: Obj) -> int | None:
    """FindPort: a number is used as is; a name is looked up among container ports."""
    tp = service_port.get("targetPort", service_port.get("port"))
    if isinstance(tp, int):
        return tp
    if isinstance(tp, str) and tp.isdigit():
        return int(tp)
    for c in (pod.get("spec") or {}).get("containers") or []:
        for cp in c.get("ports") or []:
            if cp.get("name") == tp and cp.get("protocol", "TCP") == service_port.get(
                "protocol", "TCP"
            ):
                return int(cp["containerPort"])
    return None


def _endpoint_port(service_port: Obj, number: int, *, slice_port: bool = False) -> Obj:
    """One port of an Endpoints subset, or (``slice_port``) of an EndpointSlice.

    The endpointslice controller's getEndpointPorts sets ``Name: &portName`` always, so a
    slice port carries ``name: ""`` when the Service port has none (kubectl describe
    dereferences it); core/v1 EndpointPort's name is a plain omitempty string.
    """
    out: Obj = {"port": number, "protocol": service_port.get("protocol", "TCP")}
    if service_port.get("name") or slice_port:
        out = {"name": service_port.get("name") or "", **out}
    if service_port.get("appProtocol"):
        out["appProtocol"] = service_port["appProtocol"]
    return out


def _target_ref(pod: Obj) -> Obj:
    return {
        "kind": "Pod",
        "namespace": meta(pod).get("namespace"),
        "name": name(pod),
        "uid": uid(pod),
    }


def trigger_time(service: Obj, pods: list[Obj]) -> datetime:
    """The newest change among the inputs: the Service's creation, pods' creation or
    readiness transitions (the trigger-time tracker's idea, without its state)."""
    times = [created(service)]
    for p in pods:
        times.append(created(p))
        c = pod_condition(p, "Ready")
        if c and c.get("lastTransitionTime"):
            t = parse_time(c["lastTransitionTime"])
            if t:
                times.append(t)
    return max(times)


def _ip_key(ip: str) -> Any:
    try:
        return (0, ipaddress.ip_address(ip))
    except ValueError:
        return (1, ip)


def _hostname(service: Obj, pod: Obj) -> str | None:
    """A pod that names this Service as its subdomain is published under its hostname
    (`web-0.nginx.<ns>.svc.cluster.local`), as a StatefulSet's pods are."""
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == name(service):
        return str(spec["hostname"])
    return None


def endpoints_for(service: Obj, pods: list[Obj]) -> Obj | None:
    """The Endpoints object for ``service``, or None for a Service without a selector
    (those are managed by hand)."""
    spec = service.get("spec") or {}
    if not spec.get("selector"):
        return None
    publish = bool(spec.get("publishNotReadyAddresses"))
    chosen = [p for p in _selected(service, pods) if not deleting(p) or publish]
    groups: dict[tuple[Any, ...], dict[str, list[Obj]]] = {}
    for pod in chosen:
        ports = []
        for sp in spec.get("ports") or []:
            n = target_port(pod, sp)
            if n is not None:
                ports.append(_endpoint_port(sp, n))
        key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
        group = groups.setdefault(key, {"ports": ports, "addresses": [], "notReadyAddresses": []})  # type: ignore[dict-item]
        addr: Obj = {"ip": pod["status"]["podIP"]}
        if hostname := _hostname(service, pod):
            addr["hostname"] = hostname
        if (pod.get("spec") or {}).get("nodeName"):
            addr["nodeName"] = pod["spec"]["nodeName"]
        addr["targetRef"] = _target_ref(pod)
        bucket = "addresses" if (publish or pod_ready(pod)) else "notReadyAddresses"
        group[bucket].append(addr)
    subsets = []
    for _, g in sorted(groups.items()):
        subset: Obj = {}
        for bucket in ("addresses", "notReadyAddresses"):
            if g[bucket]:
                subset[bucket] = sorted(g[bucket], key=lambda a: _ip_key(a["ip"]))
        if g["ports"]:
            subset["ports"] = sorted(g["ports"], key=lambda p: p.get("name", ""))
        subsets.append(subset)
    ep_labels = dict(labels(service))
    if spec.get("clusterIP") == "None":
        ep_labels["service.kubernetes.io/headless"] = ""
    md: Obj = {
        "name": name(service),
        "namespace": meta(service).get("namespace"),
        "annotations": {TRIGGER_TIME: fmt_time(trigger_time(service, chosen))},
    }
    if ep_labels:
        md["labels"] = ep_labels
    out: Obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": md}
    if subsets:
        out["subsets"] = subsets
    return out


def endpointslices_for(service: Obj, pods: list[Obj], existing: list[Obj]) -> list[Obj]:
    """The desired EndpointSlices (one, IPv4) for ``service``.  An existing slice managed by
    the controller for this Service is reused by name; otherwise ``generateName`` is set."""
    spec = service.get("spec") or {}
    if not spec.get("selector"):
        return []
    publish = bool(spec.get("publishNotReadyAddresses"))
    endpoints = []
    port_list: list[Obj] = []
    for pod in sorted(_selected(service, pods), key=lambda p: _ip_key(p["status"]["podIP"])):
        ports = []
        for sp in spec.get("ports") or []:
            n = target_port(pod, sp)
            if n is not None:
                ports.append(_endpoint_port(sp, n, slice_port=True))
        if not port_list:
            port_list = ports
        terminating = deleting(pod)
        serving = publish or pod_ready(pod)
        ep: Obj = {
            "addresses": [pod["status"]["podIP"]],
            "conditions": {
                "ready": serving and (publish or not terminating),
                "serving": serving,
                "terminating": terminating,
            },
            "targetRef": _target_ref(pod),
        }
        if hostname := _hostname(service, pod):
            ep["hostname"] = hostname
        if (pod.get("spec") or {}).get("nodeName"):
            ep["nodeName"] = pod["spec"]["nodeName"]
        endpoints.append(ep)
    md: Obj = {
        "namespace": meta(service).get("namespace"),
        "labels": {**labels(service), SERVICE_NAME: name(service), MANAGED_BY: MANAGER},
        "annotations": {TRIGGER_TIME: fmt_time(trigger_time(service, _selected(service, pods)))},
        "ownerReferences": [owner_ref_to({**service, "apiVersion": "v1", "kind": "Service"})],
    }
    if spec.get("clusterIP") == "None":
        md["labels"]["service.kubernetes.io/headless"] = ""
    mine = [
        s
        for s in existing
        if labels(s).get(SERVICE_NAME) == name(service) and labels(s).get(MANAGED_BY) == MANAGER
    ]
    if mine:
        md = {"name": name(mine[0]), **md}
        if meta(mine[0]).get("resourceVersion"):
            md["resourceVersion"] = meta(mine[0])["resourceVersion"]
    else:
        md = {"generateName": f"{name(service)}-", **md}
    return [
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": md,
            "addressType": "IPv4",
            "endpoints": endpoints or None,
            "ports": port_list or None,
        }
    ]


def reconcile_endpoints(service: Obj | None, pods: list[Obj], existing: Obj | None) -> Decision:
    """The endpoints controller's sync of one Service's Endpoints: removed with the Service,
    created, or updated when its subsets or labels differ (never rewritten unchanged)."""
    if service is None:
        return Decision([delete_of(existing)] if existing is not None else [])
    desired = endpoints_for(service, pods)
    if desired is None:
        return Decision([])
    if existing is None:
        return Decision([Create(desired)])
    if existing.get("subsets") == desired.get("subsets") and labels(existing) == labels(desired):
        return Decision([])
    body = dict(desired)
    body["metadata"] = {
        **desired["metadata"],
        "resourceVersion": existing["metadata"]["resourceVersion"],
    }
    if "subsets" not in body:
        body["subsets"] = None  # an empty Endpoints clears its subsets, not leaves them
    return Decision([Update(body)])


def reconcile_endpointslices(service: Obj, pods: list[Obj], slices: list[Obj]) -> Decision:
    """The EndpointSlice controller's sync: the slices `endpointslices_for` wants, created
    or updated where endpoints, ports or labels differ."""
    by_name = {s["metadata"]["name"]: s for s in slices}
    actions: list[Action] = []
    for want in endpointslices_for(service, pods, slices):
        have = by_name.get(want["metadata"].get("name", ""))
        if have is None:
            actions.append(Create(want))
        elif any(have.get(f) != want.get(f) for f in ("endpoints", "ports")) or labels(
            have
        ) != labels(want):
            actions.append(Update(want))
    return Decision(actions)
