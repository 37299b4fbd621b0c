"""Pod spec validation (pkg/apis/core/validation): the checks a course meets, real texts.

Covers containers (names, images on Pods, ports, probes, resources, volume mounts),
volumes, restart/DNS policies, tolerations (the environment, mounts, volume sources,
security contexts and host ports are `containerfields`'), and the Pod update rule (only images, activeDeadlineSeconds,
tolerations additions and terminationGracePeriodSeconds may change). Paths are built by
the caller's prefix, so the same code reports `spec.containers[0]...` for a Pod and
`spec.template.spec.containers[0]...` for a Deployment.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from kubesim.apiserver.validation.containerfields import (
    host_network_ports,
    host_port_conflicts,
    validate_env,
    validate_env_from,
    validate_mount_paths,
    validate_pod_security_context,
    validate_security_context,
    validate_volume_source,
)
from kubesim.apiserver.validation.errors import (
    FieldError,
    GoLiteral,
    duplicate,
    forbidden,
    invalid,
    not_found,
    not_supported,
    required,
)
from kubesim.apiserver.validation.names import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_label_value,
    is_qualified_name,
    validate_labels,
)
from kubesim.core import podlevel
from kubesim.core.objects import deepcopy
from kubesim.core.quantity import canonical, parse_or_none

Obj = dict[str, Any]

_RESTART = ["Always", "OnFailure", "Never"]
_DNS = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_PULL = ["Always", "IfNotPresent", "Never"]
_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_TERMINATION_MSG = ["FallbackToLogsOnError", "File"]
_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}


def _port_name_errors(name: str) -> list[str]:
    errs = []
    if len(name) > 15:
        errs.append("must be no more than 15 characters")
    if not all(c.isdigit() or ("a" <= c <= "z") or c == "-" for c in name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not any("a" <= c <= "z" for c in name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def port_num_or_name(value: Any, path: str) -> list[FieldError]:
    """ValidatePortNumOrName: 1-65535, or an IANA service name."""
    if isinstance(value, int):
        if not 1 <= value <= 65535:
            return [invalid(path, value, "must be between 1 and 65535, inclusive")]
        return []
    if isinstance(value, str):
        return [invalid(path, value, m) for m in _port_name_errors(value)]
    return []


def _nonnegative(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, int) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def _probe(probe: Any, path: str, *, liveness_like: bool) -> list[FieldError]:
    if not isinstance(probe, dict):
        return []
    errs: list[FieldError] = []
    count = 0
    for handler in _HANDLERS:
        if probe.get(handler) is None:
            continue
        if count > 0:
            errs.append(forbidden(f"{path}.{handler}", "may not specify more than 1 handler type"))
            continue
        count += 1
        action = probe[handler]
        if handler == "httpGet" and isinstance(action, dict):
            errs.extend(port_num_or_name(action.get("port"), f"{path}.httpGet.port"))
            scheme = action.get("scheme")
            if scheme not in (None, "HTTP", "HTTPS"):
                errs.append(not_supported(f"{path}.httpGet.scheme", scheme, ["HTTP", "HTTPS"]))
        elif handler == "tcpSocket" and isinstance(action, dict):
            errs.extend(port_num_or_name(action.get("port"), f"{path}.tcpSocket.port"))
        elif handler == "exec" and isinstance(action, dict) and not action.get("command"):
            errs.append(required(f"{path}.exec.command"))
    if count == 0:
        errs.append(required(path, "must specify a handler type"))
    for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold"):
        errs.extend(_nonnegative(probe.get(key), f"{path}.{key}"))
    errs.extend(_nonnegative(probe.get("failureThreshold"), f"{path}.failureThreshold"))
    success = probe.get("successThreshold")
    if liveness_like and isinstance(success, int) and success != 1:
        errs.append(invalid(f"{path}.successThreshold", success, "must be 1"))
    return errs


_quantity = parse_or_none


def is_container_resource(name: str) -> bool:
    """validateContainerResourceName: a standard container resource, hugepages, or a
    qualified (extended) name."""
    return "/" in name or name in _STANDARD_CONTAINER_RESOURCES or name.startswith("hugepages-")


def overcommit_allowed(name: str) -> bool:
    """helper.IsOvercommitAllowed: native resources but hugepages; an extended one
    (example.com/dongle, nvidia.com/gpu) is requested exactly as limited."""
    return ("/" not in name or "kubernetes.io/" in name) and not name.startswith("hugepages-")


def _resources(resources: Any, path: str) -> list[FieldError]:
    if not isinstance(resources, dict):
        return []
    errs: list[FieldError] = []
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    for kind, values in (("limits", limits), ("requests", requests)):
        if not isinstance(values, dict):
            continue
        for name, raw in values.items():
            item = f"{path}.{kind}[{name}]"
            if not is_container_resource(name):
                errs.append(invalid(item, name, "must be a standard resource for containers"))
                continue
            if name.startswith("hugepages-"):
                continue
            q = _quantity(raw)
            if q is not None and q.value < 0:
                errs.append(invalid(item, canonical(q), "must be greater than or equal to 0"))
    if isinstance(limits, dict) and isinstance(requests, dict):
        for name, raw_request in requests.items():
            if name not in limits:
                if not overcommit_allowed(name):
                    errs.append(
                        required(
                            f"{path}.limits", "Limit must be set for non overcommitable resources"
                        )
                    )
                continue
            request, limit = _quantity(raw_request), _quantity(limits.get(name))
            if request is None or limit is None:
                continue
            if not overcommit_allowed(name) and request.value != limit.value:
                errs.append(
                    invalid(
                        f"{path}.requests",
                        canonical(request),
                        f"must be equal to {name} limit of {canonical(limit)}",
                    )
                )
            elif request.value > limit.value:
                errs.append(
                    invalid(
                        f"{path}.requests",
                        canonical(request),
                        f"must be less than or equal to {name} limit of {canonical(limit)}",
                    )
                )
    return errs


_POD_LEVEL = ["cpu", "hugepages-", "memory"]  # SupportedPodLevelResources, sorted


def _pod_resources(spec: Obj, path: str) -> list[FieldError]:
    """validatePodResources: only cpu, memory and hugepages at pod level, each request at
    most its limit, the pod's requests at least the containers' aggregate, and no regular
    container limited above the pod."""
    resources = spec.get("resources")
    if not isinstance(resources, dict):
        return []
    errs: list[FieldError] = []
    if resources.get("claims"):
        errs.append(forbidden(f"{path}.claims", "claims cannot be set for Resources at pod-level"))
    for part in ("limits", "requests"):
        for name in resources.get(part) or {} if isinstance(resources.get(part), dict) else {}:
            if not podlevel.supported(name):
                errs.append(not_supported(f"{path}.{part}[{name}]", name, _POD_LEVEL))
    if errs:
        return errs
    errs.extend(_resources(resources, path))
    requests = resources.get("requests") or {}
    for name, total in podlevel.aggregate(spec, "requests").items():
        if not podlevel.supported(name):
            continue
        mine = _quantity(requests.get(name, "0"))
        if mine is not None and mine.value < total:
            shown = canonical(mine) if name in requests else "0"
            errs.append(
                invalid(
                    f"{path}.requests[{name}]",
                    shown,
                    f"must be greater than or equal to aggregate container requests of {podlevel.text(name, total)}",  # noqa: E501
                )
            )
    limits = resources.get("limits") or {}
    for i, container in enumerate(spec.get("containers") or []):
        own = ((container.get("resources") or {}).get("limits") or {}) if isinstance(container, dict) else {}  # fmt: skip
        for name, raw in own.items():
            mine, cap = _quantity(raw), _quantity(limits.get(name))
            if name in limits and mine is not None and cap is not None and mine.value > cap.value:
                errs.append(
                    invalid(
                        f"{path}.containers[{i}][{name}].limits",
                        canonical(mine),
                        f"must be less than or equal to pod limits of {canonical(cap)}",
                    )
                )
    return errs


def _container(
    container: Any, path: str, *, volumes: set[str], is_pod: bool, init: bool
) -> list[FieldError]:
    if not isinstance(container, dict):
        return []
    errs: list[FieldError] = []
    name = container.get("name") or ""
    if not name:
        errs.append(required(f"{path}.name"))
    else:
        errs.extend(invalid(f"{path}.name", name, m) for m in is_dns1123_label(name))
    image = container.get("image")
    if not image:
        errs.append(required(f"{path}.image"))
    elif is_pod and isinstance(image, str) and image != image.strip():
        errs.append(invalid(f"{path}.image", image, "must not have leading or trailing whitespace"))
    policy = container.get("imagePullPolicy")
    if policy and policy not in _PULL:
        errs.append(not_supported(f"{path}.imagePullPolicy", policy, _PULL))
    tmp = container.get("terminationMessagePolicy")
    if tmp and tmp not in _TERMINATION_MSG:
        errs.append(not_supported(f"{path}.terminationMessagePolicy", tmp, _TERMINATION_MSG))
    seen_ports: set[str] = set()
    for i, port in enumerate(container.get("ports") or []):
        p = f"{path}.ports[{i}]"
        if not isinstance(port, dict):
            continue
        port_name = port.get("name")
        if port_name:
            errs.extend(invalid(f"{p}.name", port_name, m) for m in _port_name_errors(port_name))
            if port_name in seen_ports:
                errs.append(duplicate(f"{p}.name", port_name))
            seen_ports.add(port_name)
        number = port.get("containerPort")
        if not number:
            errs.append(required(f"{p}.containerPort"))
        elif isinstance(number, int) and not 1 <= number <= 65535:
            errs.append(
                invalid(f"{p}.containerPort", number, "must be between 1 and 65535, inclusive")
            )
        host = port.get("hostPort")
        if isinstance(host, int) and host and not 1 <= host <= 65535:
            errs.append(invalid(f"{p}.hostPort", host, "must be between 1 and 65535, inclusive"))
        protocol = port.get("protocol")
        if protocol is not None and protocol not in _PROTOCOLS:
            errs.append(not_supported(f"{p}.protocol", protocol, _PROTOCOLS))
    errs.extend(validate_env(container.get("env"), f"{path}.env"))
    errs.extend(validate_env_from(container.get("envFrom"), f"{path}.envFrom"))
    for i, mount in enumerate(container.get("volumeMounts") or []):
        if not isinstance(mount, dict):
            continue
        mount_name = mount.get("name") or ""
        if not mount_name:
            errs.append(required(f"{path}.volumeMounts[{i}].name"))
        elif mount_name not in volumes:
            errs.append(not_found(f"{path}.volumeMounts[{i}].name", mount_name))
        if not mount.get("mountPath"):
            errs.append(required(f"{path}.volumeMounts[{i}].mountPath"))
    errs.extend(validate_mount_paths(container.get("volumeMounts"), f"{path}.volumeMounts"))
    errs.extend(_resources(container.get("resources"), f"{path}.resources"))
    errs.extend(
        validate_security_context(container.get("securityContext"), f"{path}.securityContext")
    )
    return errs


def _probes(container: Obj, path: str, *, init: bool) -> list[FieldError]:
    """Probes and lifecycle, after the name checks as validateContainers and
    validateInitContainers order them: validated on containers and sidecars (restartPolicy
    Always), forbidden on plain init containers."""
    errs: list[FieldError] = []
    if not init or container.get("restartPolicy") == "Always":  # a sidecar is probed
        errs.extend(
            _probe(container.get("livenessProbe"), f"{path}.livenessProbe", liveness_like=True)
        )
        errs.extend(
            _probe(container.get("readinessProbe"), f"{path}.readinessProbe", liveness_like=False)
        )
        errs.extend(
            _probe(container.get("startupProbe"), f"{path}.startupProbe", liveness_like=True)
        )
    else:  # validateInitContainers
        for field_name in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
            if container.get(field_name) is not None:
                errs.append(
                    forbidden(
                        f"{path}.{field_name}",
                        "may not be set for init containers without restartPolicy=Always",
                    )
                )
    return errs


def validate_pod_spec(spec: Any, path: str, *, is_pod: bool) -> list[FieldError]:
    """ValidatePodSpec (plus the Pod-only container checks when `is_pod`)."""
    if not isinstance(spec, dict):
        return [required(path)] if spec is None else []
    errs: list[FieldError] = []
    volumes: set[str] = set()
    for i, volume in enumerate(spec.get("volumes") or []):
        if not isinstance(volume, dict):
            continue
        name = volume.get("name") or ""
        if not name:
            errs.append(required(f"{path}.volumes[{i}].name"))
        else:
            errs.extend(
                invalid(f"{path}.volumes[{i}].name", name, m) for m in is_dns1123_label(name)
            )
            if name in volumes:
                errs.append(duplicate(f"{path}.volumes[{i}].name", name))
        errs.extend(validate_volume_source(volume, f"{path}.volumes[{i}]"))
        volumes.add(name)
    containers = spec.get("containers") or []
    if not containers:
        errs.append(required(f"{path}.containers"))
    # validateContainers, then validateInitContainers: regular names are taken first, so a
    # clash between the two lists is reported on the init container, as upstream does.
    names: set[str] = set()
    for key, init in (("containers", False), ("initContainers", True)):
        listed = spec.get(key) or []
        for i, container in enumerate(listed):
            p = f"{path}.{key}[{i}]"
            errs.extend(_container(container, p, volumes=volumes, is_pod=is_pod, init=init))
            name = container.get("name") if isinstance(container, dict) else None
            if name:
                if name in names:
                    errs.append(duplicate(f"{p}.name", name))
                names.add(name)
            if init:  # init containers run one by one: each is checked on its own
                errs.extend(host_port_conflicts([container], f"{path}.{key}"))
            if isinstance(container, dict):
                errs.extend(_probes(container, p, init=init))
        if not init:
            errs.extend(host_port_conflicts(listed, f"{path}.{key}"))
    errs.extend(host_network_ports(spec, path, is_pod=is_pod))
    errs.extend(_pod_resources(spec, f"{path}.resources"))
    restart = spec.get("restartPolicy")
    if restart not in (None, "") and restart not in _RESTART:
        errs.append(not_supported(f"{path}.restartPolicy", restart, _RESTART))
    dns = spec.get("dnsPolicy")
    if dns not in (None, "") and dns not in _DNS:
        errs.append(not_supported(f"{path}.dnsPolicy", dns, _DNS))
    errs.extend(_dns_config_errors(spec.get("dnsConfig"), dns, f"{path}.dnsConfig"))
    errs.extend(host_alias_errors(spec.get("hostAliases"), f"{path}.hostAliases"))
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not 1 <= deadline <= 2**31 - 1:
        errs.append(
            invalid(
                f"{path}.activeDeadlineSeconds",
                deadline,
                "must be between 1 and 2147483647, inclusive",
            )
        )
    for key in ("serviceAccountName", "nodeName"):
        value = spec.get(key)
        if value:
            errs.extend(invalid(f"{path}.{key}", value, m) for m in is_dns1123_subdomain(value))
    for key in ("hostname", "subdomain"):  # ValidateDNS1123Label, as DNS publishes them
        value = spec.get(key)
        if value and isinstance(value, str):
            errs.extend(invalid(f"{path}.{key}", value, m) for m in is_dns1123_label(value))
    node_selector = spec.get("nodeSelector")
    if isinstance(node_selector, dict):
        errs.extend(validate_labels(node_selector, f"{path}.nodeSelector"))
    errs.extend(
        validate_pod_security_context(spec.get("securityContext"), f"{path}.securityContext")
    )
    errs.extend(validate_tolerations(spec.get("tolerations"), f"{path}.tolerations"))
    return errs


_TOLERATION_OPERATORS = ["Equal", "Exists"]
_TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]


def _toleration_literal(t: Obj) -> GoLiteral:
    seconds = t.get("tolerationSeconds")
    pointer = "(*int64)(nil)" if seconds is None else f"(*int64)(0xc000{seconds:06x})"  # an address
    return GoLiteral(
        f"core.Toleration{{Key:{json.dumps(t.get('key') or '')}, "
        f'Operator:"{t.get("operator") or ""}", Value:{json.dumps(t.get("value") or "")}, '
        f'Effect:"{t.get("effect") or ""}", TolerationSeconds:{pointer}}}'
    )


def validate_tolerations(tolerations: Any, path: str) -> list[FieldError]:
    """ValidateTolerations (core/validation): key a label name; an empty key only with
    Exists; tolerationSeconds only with effect NoExecute; Equal's value a label value,
    Exists' value empty; the effect one of the three taint effects."""
    errs: list[FieldError] = []
    for i, t in enumerate(tolerations if isinstance(tolerations, list) else []):
        if not isinstance(t, dict):
            continue
        p = f"{path}[{i}]"
        key, operator = t.get("key") or "", t.get("operator") or ""
        value, effect = t.get("value") or "", t.get("effect") or ""
        if key:
            errs.extend(invalid(f"{p}.key", key, m) for m in is_qualified_name(key))
        if not key and operator != "Exists":
            errs.append(
                invalid(
                    f"{p}.operator",
                    operator,
                    'operator must be Exists when `key` is empty, which means "match all '
                    'values and all keys"',
                )
            )
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(
                invalid(
                    f"{p}.effect",
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        if operator in ("Equal", ""):
            problems = is_label_value(value)
            if problems:
                errs.append(invalid(f"{p}.operator", value, ";".join(problems)))
        elif operator == "Exists":
            if value:
                errs.append(
                    invalid(
                        f"{p}.operator",
                        _toleration_literal(t),
                        "value must be empty when `operator` is 'Exists'",
                    )
                )
        else:
            errs.append(not_supported(f"{p}.operator", operator, _TOLERATION_OPERATORS))
        if effect and effect not in _TAINT_EFFECTS:
            errs.append(not_supported(f"{p}.effect", effect, _TAINT_EFFECTS))
    return errs


# --- Pod update -------------------------------------------------------------------------

POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def _mutable_masked(spec: Obj, old: Obj) -> Obj:
    """The new spec with every field a Pod update may change copied from the old one."""
    masked = deepcopy(spec)
    for key in ("containers", "initContainers"):
        old_items = old.get(key) or []
        for i, container in enumerate(masked.get(key) or []):
            if i < len(old_items) and isinstance(container, dict):
                container["image"] = old_items[i].get("image")
                # resize is a subresource; requests/limits edits are refused like others
    masked["activeDeadlineSeconds"] = old.get("activeDeadlineSeconds")
    old_tolerations = old.get("tolerations") or []
    new_tolerations = masked.get("tolerations") or []
    if all(t in new_tolerations for t in old_tolerations):
        masked["tolerations"] = old.get("tolerations")
    if (old.get("terminationGracePeriodSeconds") or 0) < 0 and spec.get(
        "terminationGracePeriodSeconds"
    ) == 1:
        masked["terminationGracePeriodSeconds"] = old.get("terminationGracePeriodSeconds")
    for key in ("nodeName", "schedulingGates"):  # set by the scheduler / gates removal
        if not old.get(key):
            masked[key] = old.get(key)
    return {k: v for k, v in masked.items() if v is not None}


def validate_pod_update(spec: Any, old_spec: Any) -> list[FieldError]:
    """`spec: Forbidden: pod updates may not change ...` plus a short diff of what moved."""
    if not isinstance(spec, dict) or not isinstance(old_spec, dict):
        return []
    errs: list[FieldError] = []
    old_clean = {k: v for k, v in old_spec.items() if v is not None}
    masked = _mutable_masked(spec, old_spec)
    for k, v in old_clean.items():
        if k in ("nodeName", "schedulingGates"):
            masked.setdefault(k, v)
    if masked != old_clean:
        errs.append(forbidden("spec", POD_UPDATE_FORBIDDEN + "\n" + _diff(old_clean, masked)))
    for key in ("containers", "initContainers"):
        for i, container in enumerate(spec.get(key) or []):
            if isinstance(container, dict) and not container.get("image"):
                errs.append(required(f"spec.{key}[{i}].image"))
    new_deadline, old_deadline = (
        spec.get("activeDeadlineSeconds"),
        old_spec.get("activeDeadlineSeconds"),
    )
    if old_deadline is not None and (new_deadline is None or new_deadline > old_deadline):
        errs.append(
            invalid(
                "spec.activeDeadlineSeconds",
                new_deadline,
                "must be less than or equal to previous value"
                if new_deadline
                else "must not update from a positive integer to nil value",
            )
        )
    return errs


def _diff(old: Obj, new: Obj) -> str:
    """A compact stand-in for the go-cmp diff the server appends (one line per field)."""
    lines = ["  core.PodSpec{"]
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            if key in old:
                lines.append(f"- \t{key}: {json.dumps(old[key], sort_keys=True)},")
            if key in new:
                lines.append(f"+ \t{key}: {json.dumps(new[key], sort_keys=True)},")
    lines.append("  }")
    return "\n".join(lines)


# --- pods/resize ---------------------------------------------------------------------------

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
_RESIZABLE_RESOURCES = ("cpu", "memory")


def _without_cpu_memory(container: Obj, old: Obj) -> Obj:
    """The container with its cpu and memory requests and limits as they were: what must
    then equal the old container (dropCPUMemoryUpdates; resizePolicy is not mutable)."""
    masked = deepcopy(container)
    resources = masked.get("resources") or {}
    old_resources = old.get("resources") or {}
    for part in ("requests", "limits"):
        values = dict(resources.get(part) or {})
        before = old_resources.get(part) or {}
        for name in _RESIZABLE_RESOURCES:
            values.pop(name, None)
            if name in before:
                values[name] = before[name]
        if values:
            resources[part] = values
        else:
            resources.pop(part, None)
    if resources:
        masked["resources"] = resources
    else:
        masked.pop("resources", None)
    return masked


def _clean(container: Obj) -> Obj:
    out = {k: v for k, v in container.items() if v not in (None, {}, [])}
    if "resources" in out:
        out["resources"] = {k: v for k, v in out["resources"].items() if v}
        if not out["resources"]:
            del out["resources"]
    return out


def validate_pod_resize(pod: Obj, old: Obj, *, qos: str, old_qos: str) -> list[FieldError]:
    """ValidatePodResize: only cpu and memory of containers and sidecars change, none is
    removed, the QoS class stays; static and Windows pods cannot be resized."""
    errs: list[FieldError] = []
    annotations = (old.get("metadata") or {}).get("annotations") or {}
    spec, old_spec = pod.get("spec") or {}, old.get("spec") or {}
    if MIRROR_ANNOTATION in annotations:
        errs.append(forbidden("", "static pods cannot be resized"))
    if (old_spec.get("os") or {}).get("name") == "windows":
        errs.append(forbidden("", "windows pods cannot be resized"))
    if qos != old_qos:
        errs.append(
            invalid("spec", old_qos, "Pod QOS Class may not change as a result of resizing")
        )
    mutable = True
    for key in ("containers", "initContainers"):
        new_items, old_items = spec.get(key) or [], old_spec.get(key) or []
        if [c.get("name") for c in new_items] != [c.get("name") for c in old_items]:
            mutable = False
            continue
        for i, (container, before) in enumerate(zip(new_items, old_items, strict=True)):
            path = f"spec.{key}[{i}].resources"
            now, then = container.get("resources") or {}, before.get("resources") or {}
            for part in ("requests", "limits"):
                if any(name not in (now.get(part) or {}) for name in then.get(part) or {}):
                    errs.append(forbidden(f"{path}.{part}", f"resource {part} cannot be removed"))
            sidecar = key == "initContainers" and before.get("restartPolicy") == "Always"
            if key == "initContainers" and not sidecar:
                if _clean(container) != _clean(before):
                    errs.append(forbidden("spec", "resources for non-sidecar init containers are immutable"))  # fmt: skip
            elif _clean(_without_cpu_memory(container, before)) != _clean(before):
                errs.append(
                    forbidden(
                        "spec",
                        "only cpu and memory resources for sidecar containers are mutable"
                        if sidecar
                        else "only cpu and memory resources are mutable",
                    )
                )
    rest = {k: v for k, v in spec.items() if k not in ("containers", "initContainers")}
    old_rest = {k: v for k, v in old_spec.items() if k not in ("containers", "initContainers")}
    if not mutable or rest != old_rest:
        errs.append(forbidden("spec", "only cpu and memory resources are mutable"))
    return errs


# --- pods/ephemeralcontainers -------------------------------------------------------------

# What an ephemeral container may not have (validateEphemeralContainers: "cannot be set for an
# Ephemeral Container"): it is never restarted, probed, exposed or given resources.
_EPHEMERAL_FORBIDDEN = (
    "ports",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "resources",
    "resizePolicy",
    "restartPolicy",
)


def validate_ephemeral_update(spec: Obj, old_spec: Obj) -> list[FieldError]:
    """A write through `pods/ephemeralcontainers`: ephemeral containers may be added, never
    changed or removed, and each is a container without what only long-lived ones have."""
    errs: list[FieldError] = []
    new = spec.get("ephemeralContainers") or []
    old = {c.get("name"): c for c in old_spec.get("ephemeralContainers") or []}
    by_name = {c.get("name"): (i, c) for i, c in enumerate(new) if isinstance(c, dict)}
    for name, container in old.items():
        if name not in by_name:
            errs.append(
                forbidden(
                    "spec.ephemeralContainers",
                    f'existing ephemeral containers "{name}" may not be removed',
                )
            )
        elif by_name[name][1] != container:
            errs.append(
                forbidden(
                    f"spec.ephemeralContainers[{by_name[name][0]}]",
                    f'existing ephemeral containers "{name}" may not be changed',
                )
            )
    regular = [
        c.get("name") for key in ("initContainers", "containers") for c in spec.get(key) or []
    ]
    seen = set(regular)
    for i, container in enumerate(new):
        path = f"spec.ephemeralContainers[{i}]"
        if not isinstance(container, dict) or container.get("name") in old:
            continue
        name = container.get("name")
        if not name:
            errs.append(required(f"{path}.name"))
        elif name in seen:
            errs.append(duplicate(f"{path}.name", name))
        seen.add(name)
        if not container.get("image"):
            errs.append(required(f"{path}.image"))
        for field in _EPHEMERAL_FORBIDDEN:
            if container.get(field) not in (None, {}, []):
                errs.append(
                    forbidden(f"{path}.{field}", "cannot be set for an Ephemeral Container")
                )
        target = container.get("targetContainerName")
        if target and target not in regular:
            errs.append(not_found(f"{path}.targetContainerName", target))
    return errs


MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32
MAX_DNS_SEARCH_CHARS = 2048


def _dns_config_errors(config: Any, policy: Any, path: str) -> list[FieldError]:
    """validatePodDNSConfig: `None` needs a dnsConfig with a nameserver; at most three
    nameservers, each an IP in canonical form; at most 32 searches in 2048 characters, each
    a subdomain (underscores allowed: RelaxedDNSSearchValidation); named options."""
    if policy == "None":
        if not isinstance(config, dict):
            return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not config.get("nameservers"):
            return [
                required(
                    f"{path}.nameservers",
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                )
            ]
    if not isinstance(config, dict):
        return []
    errs: list[FieldError] = []
    servers = [s for s in config.get("nameservers") or [] if isinstance(s, str)]
    if len(servers) > MAX_DNS_NAMESERVERS:
        errs.append(
            invalid(
                f"{path}.nameservers",
                servers,
                f"must not have more than {MAX_DNS_NAMESERVERS} nameservers",
            )
        )
    for i, server in enumerate(servers):
        errs.extend(ip_errors(f"{path}.nameservers[{i}]", server, canonical=True))
    searches = [s for s in config.get("searches") or [] if isinstance(s, str)]
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        errs.append(
            invalid(
                f"{path}.searches",
                searches,
                f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths",
            )
        )
    if len(" ".join(searches)) > MAX_DNS_SEARCH_CHARS:
        errs.append(
            invalid(
                f"{path}.searches",
                searches,
                f"must not have more than {MAX_DNS_SEARCH_CHARS} characters (including spaces) "
                "in the search list",
            )
        )
    for i, search in enumerate(searches):
        name = search.removesuffix(".")
        for message in is_dns1123_subdomain(name.replace("_", "a")):
            errs.append(invalid(f"{path}.searches[{i}]", name, message))
    for i, option in enumerate(config.get("options") or []):
        if isinstance(option, dict) and not option.get("name"):
            errs.append(required(f"{path}.options[{i}]", "Option.Name must not be empty"))
    return errs


def host_alias_errors(aliases: Any, path: str) -> list[FieldError]:
    """ValidateHostAliases: each an IP, each hostname a subdomain."""
    errs: list[FieldError] = []
    for i, alias in enumerate(aliases if isinstance(aliases, list) else []):
        if not isinstance(alias, dict):
            continue
        errs.extend(ip_errors(f"{path}[{i}].ip", str(alias.get("ip") or ""), canonical=False))
        for j, hostname in enumerate(alias.get("hostnames") or []):
            for message in is_dns1123_subdomain(str(hostname)):
                errs.append(invalid(f"{path}[{i}].hostnames[{j}]", hostname, message))
    return errs


def ip_errors(path: str, value: str, *, canonical: bool) -> list[FieldError]:
    """parseIP with strict validation (IsValidIPForLegacyField), and with `canonical`
    IsValidIP's canonical form as well."""
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        parts = value.split(".")
        if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
            return [invalid(path, value, "must not have leading 0s")]
        return [
            invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")
        ]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return [invalid(path, value, "must not be an IPv4-mapped IPv6 address")]
    if canonical and value != str(ip):
        return [invalid(path, value, f'must be in canonical form ("{ip}")')]
    return []
