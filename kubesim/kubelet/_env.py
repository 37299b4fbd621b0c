"""A container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go).

Order: service links for every Service in the namespace (enableServiceLinks, default true)
and the `kubernetes` service from default, then `envFrom` sources, then `env` entries, with
`$(VAR)` references expanded against what came before. A missing ConfigMap or Secret is
CreateContainerConfigError with the kubelet's message.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from kubesim.kubelet._quantity import cpu_millis, memory_bytes

Obj = dict[str, Any]


class ConfigError(Exception):
    """CreateContainerConfigError; str() is the kubelet's message."""


@dataclass(frozen=True)
class Sources:
    services: list[Obj]  # Services of the pod's namespace
    master_services: list[Obj]  # the `kubernetes` Service in default
    configmaps: dict[str, Obj]
    secrets: dict[str, Obj]


def _svc_prefix(name: str) -> str:
    return name.upper().replace("-", "_")


def service_env(services: list[Obj]) -> dict[str, str]:
    """Docker-link style variables for Services with a cluster IP, as the kubelet injects."""
    env: dict[str, str] = {}
    for svc in sorted(services, key=lambda s: s["metadata"]["name"]):
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        ports = spec.get("ports") or []
        if not ip or ip == "None" or not ports:
            continue
        prefix = _svc_prefix(svc["metadata"]["name"])
        env[f"{prefix}_SERVICE_HOST"] = ip
        env[f"{prefix}_SERVICE_PORT"] = str(ports[0]["port"])
        for port in ports:
            if port.get("name"):
                env[f"{prefix}_SERVICE_PORT_{_svc_prefix(port['name'])}"] = str(port["port"])
        first = ports[0]
        proto = first.get("protocol", "TCP")
        env[f"{prefix}_PORT"] = f"{proto.lower()}://{ip}:{first['port']}"
        for port in ports:
            proto = port.get("protocol", "TCP")
            base = f"{prefix}_PORT_{port['port']}_{proto.upper()}"
            env[base] = f"{proto.lower()}://{ip}:{port['port']}"
            env[f"{base}_PROTO"] = proto.lower()
            env[f"{base}_PORT"] = str(port["port"])
            env[f"{base}_ADDR"] = ip
    return env


_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$")


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: unknown references stay as written, $$ escapes."""

    def repl(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env.get(name, match.group(0))

    return _REF.sub(repl, value)


def expand_argv(values: list[str] | None, env: dict[str, str]) -> list[str] | None:
    """A container's command or args with $(VAR) expanded from its environment, as the
    kubelet's ExpandContainerCommandAndArgs does before the runtime sees them (the docs'
    `args: ["$(MESSAGE)"]` prints the message); None stays None (the image's own)."""
    return None if values is None else [expand(str(v), env) for v in values]


def field_ref(path: str, pod: Obj) -> str:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": status.get("podIP", ""),
        "status.hostIP": status.get("hostIP", ""),
    }
    if path in simple:
        return simple[path]
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if match:
        return (meta.get(match.group(1)) or {}).get(match.group(2), "")
    return ""


def _lookup(
    kind: str, store: dict[str, Obj], name: str, key: str | None, optional: bool
) -> dict[str, str] | str | None:
    obj = store.get(name)
    noun = "configmap" if kind == "ConfigMap" else "secret"
    if obj is None:
        if optional:
            return None
        raise ConfigError(f'{noun} "{name}" not found')
    data = dict(obj.get("data") or {})
    if kind == "Secret":
        data = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in data.items()}
    if key is None:
        return data
    if key not in data:
        if optional:
            return None
        raise ConfigError(
            f"couldn't find key {key} in {kind} {obj['metadata'].get('namespace')}/{name}"
        )
    return data[key]


def container_env(pod: Obj, container: Obj, sources: Sources) -> dict[str, str]:
    env: dict[str, str] = {}
    if (pod.get("spec") or {}).get("enableServiceLinks", True):
        env.update(service_env(sources.services))
    env.update(service_env(sources.master_services))
    for item in container.get("envFrom") or []:
        prefix = item.get("prefix", "")
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = item.get(field)
            if ref is None:
                continue
            store = sources.configmaps if kind == "ConfigMap" else sources.secrets
            found = _lookup(kind, store, ref["name"], None, bool(ref.get("optional")))
            if isinstance(found, dict):
                env.update({prefix + k: v for k, v in found.items()})
    for var in container.get("env") or []:
        name = var["name"]
        if "value" in var:
            env[name] = expand(str(var["value"]), env)
            continue
        source = var.get("valueFrom") or {}
        if "fieldRef" in source:
            env[name] = field_ref(source["fieldRef"]["fieldPath"], pod)
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            value = _lookup(
                "ConfigMap", sources.configmaps, ref["name"], ref["key"], bool(ref.get("optional"))
            )
            if isinstance(value, str):
                env[name] = value
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            value = _lookup(
                "Secret", sources.secrets, ref["name"], ref["key"], bool(ref.get("optional"))
            )
            if isinstance(value, str):
                env[name] = value
        elif "resourceFieldRef" in source:
            env[name] = resource_field(container, source["resourceFieldRef"])
        else:
            env[name] = ""
    return env


def resource_field(container: Obj, ref: Obj) -> str:

    kind, _, resource = ref["resource"].partition(".")
    value = ((container.get("resources") or {}).get(kind) or {}).get(resource)
    if value is None:
        return "0"
    divisor = ref.get("divisor") or "1"
    if resource == "cpu":
        return str(max(1, -(-cpu_millis(value) // cpu_millis(divisor))))
    return str(memory_bytes(value) // max(1, memory_bytes(divisor)))
