"""Rows for the non-workload kinds: Namespace, Node, Service, Endpoints, EndpointSlice,
Event, ConfigMap, Secret, ServiceAccount, ResourceQuota, PersistentVolume(Claim),
Ingress, NetworkPolicy, StorageClass, PriorityClass, RoleBinding, ClusterRoleBinding, Lease.

Each function ports the printers.go handler of the same kind and returns every cell,
wide ones included. Where the server would print a Go zero value for a missing field
(an empty string, `0`), so do we; where it prints a placeholder (`<none>`, `<unset>`,
`<pending>`), so do we.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from kubesim.apiserver.printers.format import (
    NONE,
    UNSET,
    access_modes,
    dig,
    format_label_selector,
    format_labels,
    items,
    list_with_more,
    mapping,
)
from kubesim.core.durations import UNKNOWN, human_duration, parse_time, since
from kubesim.core.quantity_print import canonical

Row = list[Any]

_ROLE_PREFIX = "node-role.kubernetes.io/"
_ROLE_LABEL = "kubernetes.io/role"
_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"
_DEFAULT_CLASS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


def _name(obj: dict[str, Any]) -> str:
    return str(dig(obj, "metadata", "name", default=""))


def _age(obj: dict[str, Any], now: datetime) -> str:
    return since(dig(obj, "metadata", "creationTimestamp"), now=now)


def namespace(obj: dict[str, Any], now: datetime) -> Row:
    """NAME STATUS AGE."""
    return [_name(obj), str(dig(obj, "status", "phase", default="")), _age(obj, now)]


def node_status(obj: dict[str, Any]) -> str:
    """`Ready`, `NotReady` or `Unknown`, plus `SchedulingDisabled` when cordoned."""
    status = []
    for condition in items(obj, "status", "conditions"):
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            status = ["Ready" if condition.get("status") == "True" else "NotReady"]
    if not status:
        status = ["Unknown"]
    if dig(obj, "spec", "unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_roles(obj: dict[str, Any]) -> str:
    """`findNodeRoles`: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role`."""
    roles = set()
    for key, value in mapping(obj, "metadata", "labels").items():
        if key.startswith(_ROLE_PREFIX) and key[len(_ROLE_PREFIX) :]:
            roles.add(key[len(_ROLE_PREFIX) :])
        elif key == _ROLE_LABEL and value:
            roles.add(str(value))
    return ",".join(sorted(roles)) or NONE


def _node_address(obj: dict[str, Any], kind: str) -> str:
    for address in items(obj, "status", "addresses"):
        if isinstance(address, dict) and address.get("type") == kind:
            return str(address.get("address", ""))
    return NONE


def node(obj: dict[str, Any], now: datetime) -> Row:
    """NAME STATUS ROLES AGE VERSION | INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL RUNTIME."""
    info = mapping(obj, "status", "nodeInfo")
    return [
        _name(obj),
        node_status(obj),
        node_roles(obj),
        _age(obj, now),
        str(info.get("kubeletVersion", "")),
        _node_address(obj, "InternalIP"),
        _node_address(obj, "ExternalIP"),
        str(info.get("osImage") or UNKNOWN),
        str(info.get("kernelVersion") or UNKNOWN),
        str(info.get("containerRuntimeVersion") or UNKNOWN),
    ]


def _load_balancer(status: dict[str, Any]) -> list[str]:
    found = set()
    for ingress in items(status, "ingress"):
        if isinstance(ingress, dict):
            if ingress.get("ip"):
                found.add(str(ingress["ip"]))
            elif ingress.get("hostname"):
                found.add(str(ingress["hostname"]))
    return sorted(found)


def service_external_ip(obj: dict[str, Any]) -> str:
    """`getServiceExternalIP` (wide: the load-balancer list is never clipped)."""
    kind = dig(obj, "spec", "type", default="ClusterIP")
    external = [str(ip) for ip in items(obj, "spec", "externalIPs")]
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else NONE
    if kind == "LoadBalancer":
        balanced = _load_balancer(mapping(obj, "status", "loadBalancer"))
        if external:
            return ",".join(balanced + external)
        return ",".join(balanced) if balanced else "<pending>"
    if kind == "ExternalName":
        return str(dig(obj, "spec", "externalName", default=""))
    return UNKNOWN


def service_ports(ports: list[Any]) -> str:
    """`makePortString`: `80/TCP`, `80:30080/TCP`, comma-joined; `<none>` when empty."""
    pieces = []
    for port in ports:
        if not isinstance(port, dict):
            continue
        protocol = port.get("protocol") or "TCP"
        if port.get("nodePort"):
            pieces.append(f"{port.get('port', 0)}:{port['nodePort']}/{protocol}")
        else:
            pieces.append(f"{port.get('port', 0)}/{protocol}")
    return ",".join(pieces) or NONE


def service(obj: dict[str, Any], now: datetime) -> Row:
    """NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE | SELECTOR."""
    cluster_ips = items(obj, "spec", "clusterIPs")
    cluster_ip = cluster_ips[0] if cluster_ips else dig(obj, "spec", "clusterIP")
    return [
        _name(obj),
        str(dig(obj, "spec", "type", default="ClusterIP")),
        str(cluster_ip) if cluster_ip else NONE,
        service_external_ip(obj),
        service_ports(items(obj, "spec", "ports")),
        _age(obj, now),
        format_labels(mapping(obj, "spec", "selector")),
    ]


def _join_host_port(host: str, port: Any) -> str:
    """`net.JoinHostPort`: IPv6 hosts are bracketed."""
    try:
        bracket = isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        bracket = ":" in host
    return f"[{host}]:{port}" if bracket else f"{host}:{port}"


def endpoints_cell(obj: dict[str, Any]) -> str:
    """`formatEndpoints`: `ip:port` pairs, three at most, then `+ N more...`."""
    subsets = [s for s in items(obj, "subsets") if isinstance(s, dict)]
    if not subsets:
        return NONE
    shown: list[str] = []
    count = 0
    for subset in subsets:
        addresses = [a for a in items(subset, "addresses") if isinstance(a, dict)]
        ports = [p for p in items(subset, "ports") if isinstance(p, dict)]
        if not ports:
            count += len(addresses)
            shown.extend(str(a.get("ip", "")) for a in addresses)
            continue
        for port in ports:
            count += len(addresses)
            shown.extend(
                _join_host_port(str(a.get("ip", "")), port.get("port", 0)) for a in addresses
            )
    return list_with_more(shown, count, empty="")


def endpoints(obj: dict[str, Any], now: datetime) -> Row:
    """NAME ENDPOINTS AGE."""
    return [_name(obj), endpoints_cell(obj), _age(obj, now)]


def endpoint_slice(obj: dict[str, Any], now: datetime) -> Row:
    """NAME ADDRESSTYPE PORTS ENDPOINTS AGE."""
    ports = []
    for port in items(obj, "ports"):
        if not isinstance(port, dict):
            continue
        if port.get("port") is not None:
            ports.append(str(port["port"]))
        elif port.get("name") is not None:
            ports.append(str(port["name"]))
        else:
            ports.append("*")
    addresses = [
        str(address)
        for endpoint in items(obj, "endpoints")
        if isinstance(endpoint, dict)
        for address in items(endpoint, "addresses")
    ]
    return [
        _name(obj),
        str(obj.get("addressType", "")),
        list_with_more(ports, len(ports)),
        list_with_more(addresses, len(addresses)),
        _age(obj, now),
    ]


def _as_core_event(obj: dict[str, Any]) -> dict[str, Any]:
    """An events.k8s.io/v1 Event read through its core/v1 field names."""
    if "regarding" not in obj and "note" not in obj and "deprecatedSource" not in obj:
        return obj
    return {
        "metadata": obj.get("metadata"),
        "involvedObject": obj.get("regarding"),
        "message": obj.get("note"),
        "source": obj.get("deprecatedSource"),
        "firstTimestamp": obj.get("deprecatedFirstTimestamp"),
        "lastTimestamp": obj.get("deprecatedLastTimestamp"),
        "count": obj.get("deprecatedCount"),
        "series": obj.get("series"),
        "eventTime": obj.get("eventTime"),
        "type": obj.get("type"),
        "reason": obj.get("reason"),
        "reportingComponent": obj.get("reportingController"),
        "reportingInstance": obj.get("reportingInstance"),
    }


def event(obj: dict[str, Any], now: datetime) -> Row:
    """LAST SEEN TYPE REASON OBJECT | SUBOBJECT SOURCE | MESSAGE | FIRST SEEN COUNT NAME."""
    ev = _as_core_event(obj)
    if parse_time(ev.get("firstTimestamp")) is not None:
        first = since(ev.get("firstTimestamp"), now=now)
    else:
        first = since(ev.get("eventTime"), now=now)
    last = first
    if parse_time(ev.get("lastTimestamp")) is not None:
        last = since(ev.get("lastTimestamp"), now=now)
    count = int(ev.get("count") or 0)
    series = ev.get("series")
    if isinstance(series, dict):
        last = since(series.get("lastObservedTime"), now=now)
        count = int(series.get("count") or 0)
    elif count == 0:
        count = 1  # singleton events carry no count in the new API
    involved = mapping(ev, "involvedObject")
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = mapping(ev, "source")
    component = source.get("component") or ev.get("reportingComponent") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    return [
        last,
        str(ev.get("type") or ""),
        str(ev.get("reason") or ""),
        target,
        str(involved.get("fieldPath", "")),
        f"{component}, {host}" if host else str(component),
        str(ev.get("message") or "").strip(),
        first,
        count,
        _name(obj),
    ]


def config_map(obj: dict[str, Any], now: datetime) -> Row:
    """NAME DATA AGE (data and binaryData keys together)."""
    return [_name(obj), len(mapping(obj, "data")) + len(mapping(obj, "binaryData")), _age(obj, now)]


def secret(obj: dict[str, Any], now: datetime) -> Row:
    """NAME TYPE DATA AGE."""
    keys = set(mapping(obj, "data")) | set(mapping(obj, "stringData"))
    return [_name(obj), str(obj.get("type") or "Opaque"), len(keys), _age(obj, now)]


def service_account(obj: dict[str, Any], now: datetime) -> Row:
    """NAME SECRETS AGE."""
    return [_name(obj), len(items(obj, "secrets")), _age(obj, now)]


def resource_quota(obj: dict[str, Any], now: datetime) -> Row:
    """NAME REQUEST LIMIT AGE: `pods: 2/10, requests.cpu: 500m/2` sorted by resource."""
    hard = mapping(obj, "status", "hard")
    used = mapping(obj, "status", "used")
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        text = f"{resource}: {canonical(used.get(resource))}/{canonical(hard[resource])}"
        pieces = resource.split(".")
        (limits if len(pieces) > 1 and pieces[0] == "limits" else requests).append(text)
    return [_name(obj), ", ".join(requests), ", ".join(limits), _age(obj, now)]


def persistent_volume(obj: dict[str, Any], now: datetime) -> Row:
    """NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VAC REASON AGE."""
    claim = mapping(obj, "spec", "claimRef")
    claim_text = f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else ""
    phase = str(dig(obj, "status", "phase", default=""))
    if dig(obj, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    annotations = mapping(obj, "metadata", "annotations")
    if _BETA_CLASS in annotations:
        storage_class = str(annotations[_BETA_CLASS])
    else:
        storage_class = str(dig(obj, "spec", "storageClassName", default=""))
    return [
        _name(obj),
        canonical(dig(obj, "spec", "capacity", "storage")),
        access_modes(items(obj, "spec", "accessModes")),
        str(dig(obj, "spec", "persistentVolumeReclaimPolicy", default="")),
        phase,
        claim_text,
        storage_class,
        str(dig(obj, "spec", "volumeAttributesClassName", default=UNSET)),
        str(dig(obj, "status", "reason", default="")),
        _age(obj, now),
        str(dig(obj, "spec", "volumeMode", default=UNSET)),
    ]


def persistent_volume_claim(obj: dict[str, Any], now: datetime) -> Row:
    """NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VAC AGE | VOLUMEMODE."""
    phase = str(dig(obj, "status", "phase", default=""))
    if dig(obj, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    volume = str(dig(obj, "spec", "volumeName", default=""))
    capacity = modes = ""
    if volume:
        modes = access_modes(items(obj, "status", "accessModes"))
        capacity = canonical(dig(obj, "status", "capacity", "storage"))
    annotations = mapping(obj, "metadata", "annotations")
    if _BETA_CLASS in annotations:
        storage_class = str(annotations[_BETA_CLASS])
    else:
        storage_class = str(dig(obj, "spec", "storageClassName", default=""))
    return [
        _name(obj),
        phase,
        volume,
        capacity,
        modes,
        storage_class,
        str(dig(obj, "spec", "volumeAttributesClassName", default=UNSET)),
        _age(obj, now),
        str(dig(obj, "spec", "volumeMode", default=UNSET)),
    ]


def ingress(obj: dict[str, Any], now: datetime) -> Row:
    """NAME CLASS HOSTS ADDRESS PORTS AGE."""
    rules = [r for r in items(obj, "spec", "rules") if isinstance(r, dict)]
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
        if not more and rule.get("host"):
            hosts.append(str(rule["host"]))
    if not hosts:
        host_text = "*"
    elif more:
        host_text = f"{','.join(hosts)} + {len(rules) - 3} more..."
    else:
        host_text = ",".join(hosts)
    return [
        _name(obj),
        str(dig(obj, "spec", "ingressClassName", default=NONE)),
        host_text,
        ",".join(_load_balancer(mapping(obj, "status", "loadBalancer"))),
        "80, 443" if items(obj, "spec", "tls") else "80",
        _age(obj, now),
    ]


def network_policy(obj: dict[str, Any], now: datetime) -> Row:
    """NAME POD-SELECTOR AGE."""
    selector = dig(obj, "spec", "podSelector", default={})
    return [_name(obj), format_label_selector(selector), _age(obj, now)]


def storage_class(obj: dict[str, Any], now: datetime) -> Row:
    """NAME (default) PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE."""
    annotations = mapping(obj, "metadata", "annotations")
    name = _name(obj)
    if any(annotations.get(key) == "true" for key in _DEFAULT_CLASS):
        name += " (default)"
    return [
        name,
        str(obj.get("provisioner", "")),
        str(obj.get("reclaimPolicy") or "Delete"),
        str(obj.get("volumeBindingMode") or "Immediate"),
        bool(obj.get("allowVolumeExpansion") or False),
        _age(obj, now),
    ]


def priority_class(obj: dict[str, Any], now: datetime) -> Row:
    """NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY."""
    return [
        _name(obj),
        int(obj.get("value") or 0),
        bool(obj.get("globalDefault") or False),
        _age(obj, now),
        str(obj.get("preemptionPolicy") or ""),
    ]


def role_binding(obj: dict[str, Any], now: datetime) -> Row:
    """NAME ROLE AGE | USERS GROUPS SERVICEACCOUNTS (`ns/name`), each joined by `, `."""
    ref = mapping(obj, "roleRef")
    users: list[str] = []
    groups: list[str] = []
    accounts: list[str] = []
    for subject in items(obj, "subjects"):
        if not isinstance(subject, dict):
            continue
        kind, name = subject.get("kind"), str(subject.get("name", ""))
        if kind == "ServiceAccount":
            accounts.append(f"{subject.get('namespace', '')}/{name}")
        elif kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
    return [
        _name(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        _age(obj, now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(accounts),
    ]


def lease(obj: dict[str, Any], now: datetime) -> Row:
    """NAME HOLDER AGE."""
    return [_name(obj), str(dig(obj, "spec", "holderIdentity", default="")), _age(obj, now)]


def api_service(obj: dict[str, Any], now: datetime) -> Row:
    """NAME SERVICE AVAILABLE AGE (kube-aggregator's table convertor): the Service as
    namespace/name or `Local`; Available's status, with its reason when not True."""
    service = dig(obj, "spec", "service")
    where = f"{service.get('namespace', '')}/{service.get('name', '')}" if service else "Local"
    available = "Unknown"
    for condition in dig(obj, "status", "conditions", default=[]) or []:
        if condition.get("type") == "Available":
            available = str(condition.get("status", ""))
            if available != "True":
                available = f"{available} ({condition.get('reason', '')})"
    return [_name(obj), where, available, _age(obj, now)]


def certificate_signing_request(obj: dict[str, Any], now: datetime) -> Row:
    """NAME AGE SIGNERNAME REQUESTOR REQUESTEDDURATION CONDITION: Denied, else Approved,
    else Pending; then `,Failed` and `,Issued` once a certificate is there."""
    types = {c.get("type") for c in items(obj, "status", "conditions") if isinstance(c, dict)}
    if "Denied" in types:
        condition = "Denied"
    elif "Approved" in types:
        condition = "Approved"
    else:
        condition = "Pending"
    if "Failed" in types:
        condition += ",Failed"
    if dig(obj, "status", "certificate"):
        condition += ",Issued"
    seconds = dig(obj, "spec", "expirationSeconds")
    return [
        _name(obj),
        _age(obj, now),
        str(dig(obj, "spec", "signerName", default="") or NONE),
        str(dig(obj, "spec", "username", default="")),
        human_duration(float(seconds)) if isinstance(seconds, int) else NONE,
        condition,
    ]
