"""The parts of ValidatePodSpec (pkg/apis/core/validation) that a container's environment,
its mounts, the pod's volume sources, security contexts and host ports meet, worded as
upstream words them.

Split from `pod` (which walks the spec and calls these) so each rule sits beside its
upstream function's name: ValidateEnv/validateEnvVarValueFrom, ValidateEnvFrom,
ValidateVolumeMounts, validateVolumeSource, ValidateSecurityContext and
validatePodSpecSecurityContext, AccumulateUniqueHostPorts and validatePodHostNetworkDeps.
Every path is built from the caller's prefix, so a Deployment reports
`spec.template.spec.containers[0].env[0].name` where a Pod reports `spec.containers[0]...`.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from kubesim.apiserver.validation.errors import (
    FieldError,
    GoLiteral,
    duplicate,
    forbidden,
    invalid,
    required,
)

Obj = dict[str, Any]

# validation.IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation is GA and locked on
# in 1.37): any printable ASCII character but '='.
_RELAXED_ENV_MSG = (
    "a valid environment variable name must consist only of printable ASCII characters "
    "other than '='"
)
_CONFIG_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
_ENV_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
# podshelper.ConvertDownwardAPIFieldLabel: the field labels a fieldRef may name (labels and
# annotations are addressed with a subscript, `metadata.labels['app']`).
_DOWNWARD_FIELDS = {
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.serviceAccountName",
    "spec.schedulerName",
    "status.phase",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
}
# validateVolumeSource checks the sources in this order; the first one set counts, each
# later one is "may not specify more than 1 volume type".
_VOLUME_SOURCES = (
    "hostPath",
    "emptyDir",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephfs",
    "downwardAPI",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "configMap",
    "storageos",
    "projected",
    "csi",
    "ephemeral",
    "image",
)
_ID_RANGE = "must be between 0 and 2147483647, inclusive"


def _relaxed_env_name(value: str) -> list[str]:
    if any(ord(c) > 126 or ord(c) < 32 or c == "=" for c in value):
        return [_RELAXED_ENV_MSG]
    return []


def _config_key(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not value or not all(c.isascii() and (c.isalnum() or c in "-._") for c in value):
        errs.append(_CONFIG_KEY_MSG)
    if value in (".", ".."):
        errs.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def _key_selector(selector: Any, path: str) -> list[FieldError]:
    """validateConfigMapKeySelector / validateSecretKeySelector: the key."""
    if not isinstance(selector, dict):
        return []
    key = selector.get("key") or ""
    if not key:
        return [required(f"{path}.key")]
    return [invalid(f"{path}.key", key, m) for m in _config_key(key)]


def _field_ref(ref: Any, path: str) -> list[FieldError]:
    """validateObjectFieldSelector: the fieldPath must be a label the downward API converts."""
    if not isinstance(ref, dict):
        return []
    field_path = ref.get("fieldPath") or ""
    if not field_path:
        return [required(f"{path}.fieldPath")]
    base = field_path.split("[", 1)[0]
    if base not in _DOWNWARD_FIELDS:
        return [
            invalid(
                f"{path}.fieldPath",
                field_path,
                f"error converting fieldPath: field label not supported: {field_path}",
            )
        ]
    return []


def validate_env(env: Any, path: str) -> list[FieldError]:
    """ValidateEnv: each name set and printable, and a valueFrom with exactly one source
    and no `value` beside it."""
    errs: list[FieldError] = []
    for i, var in enumerate(env if isinstance(env, list) else []):
        if not isinstance(var, dict):
            continue
        p = f"{path}[{i}]"
        name = var.get("name") or ""
        if not name:
            errs.append(required(f"{p}.name"))
        else:
            errs.extend(invalid(f"{p}.name", name, m) for m in _relaxed_env_name(name))
        source = var.get("valueFrom")
        if not isinstance(source, dict):
            continue
        vp = f"{p}.valueFrom"
        count = sum(1 for key in _ENV_SOURCES if source.get(key) is not None)
        errs.extend(_field_ref(source.get("fieldRef"), f"{vp}.fieldRef"))
        errs.extend(_key_selector(source.get("configMapKeyRef"), f"{vp}.configMapKeyRef"))
        errs.extend(_key_selector(source.get("secretKeyRef"), f"{vp}.secretKeyRef"))
        if count == 0:
            errs.append(
                invalid(
                    vp,
                    "",
                    "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` "
                    "or `secretKeyRef`",
                )
            )
        elif var.get("value"):
            errs.append(invalid(vp, "", "may not be specified when `value` is not empty"))
        elif count > 1:
            errs.append(invalid(vp, "", "may not have more than one field specified at a time"))
    return errs


def validate_env_from(env_from: Any, path: str) -> list[FieldError]:
    """ValidateEnvFrom: a prefix that is a valid variable name, exactly one of configMapRef
    and secretRef (reported on the list's path, as upstream does), each naming its object."""
    errs: list[FieldError] = []
    for i, source in enumerate(env_from if isinstance(env_from, list) else []):
        if not isinstance(source, dict):
            continue
        p = f"{path}[{i}]"
        prefix = source.get("prefix") or ""
        if prefix:
            errs.extend(invalid(f"{p}.prefix", prefix, m) for m in _relaxed_env_name(prefix))
        count = 0
        for key in ("configMapRef", "secretRef"):
            ref = source.get(key)
            if ref is None:
                continue
            count += 1
            if isinstance(ref, dict) and not ref.get("name"):
                errs.append(required(f"{p}.{key}.name"))
        if count == 0:
            errs.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif count > 1:
            errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def _local_descending(value: str, path: str) -> list[FieldError]:
    """validateLocalDescendingPath: relative, and no `..` element."""
    errs = []
    if posixpath.isabs(value):
        errs.append(invalid(path, value, "must be a relative path"))
    if ".." in value.split("/"):
        errs.append(invalid(path, value, "must not contain '..'"))
    return errs


def validate_mount_paths(mounts: Any, path: str) -> list[FieldError]:
    """ValidateVolumeMounts beyond the name: mountPath unique in the container, subPath
    relative and without `..`. Upstream reports subPath on `volumeMounts.subPath`, without
    the index (its fldPath is the list's), and so does this."""
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, mount in enumerate(mounts if isinstance(mounts, list) else []):
        if not isinstance(mount, dict):
            continue
        mount_path = mount.get("mountPath") or ""
        if mount_path and mount_path in seen:
            errs.append(invalid(f"{path}[{i}].mountPath", mount_path, "must be unique"))
        seen.add(mount_path)
        sub = mount.get("subPath") or ""
        if sub:
            errs.extend(_local_descending(sub, f"{path}.subPath"))
        expr = mount.get("subPathExpr") or ""
        if expr:
            if sub:
                errs.append(
                    invalid(
                        f"{path}[{i}].subPathExpr",
                        expr,
                        "subPathExpr and subPath are mutually exclusive",
                    )
                )
            errs.extend(_local_descending(expr, f"{path}.subPathExpr"))
    return errs


def validate_volume_source(volume: Obj, path: str) -> list[FieldError]:
    """validateVolumeSource for the sources the course and the docs use: one source only
    (a volume with none was defaulted to emptyDir), and each naming what it needs."""
    errs: list[FieldError] = []
    count = 0
    for key in _VOLUME_SOURCES:
        if volume.get(key) is None:
            continue
        if count > 0:
            errs.append(forbidden(f"{path}.{key}", "may not specify more than 1 volume type"))
            continue
        count += 1
        source = volume[key]
        if not isinstance(source, dict):
            continue
        if key == "hostPath":
            host = source.get("path") or ""
            if not host:
                errs.append(required(f"{path}.hostPath.path"))
            elif ".." in host.replace("\\", "/").split("/"):
                errs.append(invalid(f"{path}.hostPath.path", host, "must not contain '..'"))
        elif key == "configMap" and not source.get("name"):
            errs.append(required(f"{path}.configMap.name"))
        elif key == "secret" and not source.get("secretName"):
            errs.append(required(f"{path}.secret.secretName"))
        elif key == "persistentVolumeClaim" and not source.get("claimName"):
            errs.append(required(f"{path}.persistentVolumeClaim.claimName"))
    if count == 0:
        errs.append(required(path, "must specify a volume type"))
    return errs


def _ids(context: Obj, path: str, keys: tuple[str, ...]) -> list[FieldError]:
    errs = []
    for key in keys:
        value = context.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= 2**31 - 1:
            errs.append(invalid(f"{path}.{key}", value, _ID_RANGE))
    return errs


def validate_pod_security_context(context: Any, path: str) -> list[FieldError]:
    """validatePodSpecSecurityContext: user and group ids in 0..2^31-1."""
    if not isinstance(context, dict):
        return []
    errs = _ids(context, path, ("fsGroup", "runAsUser", "runAsGroup"))
    for i, gid in enumerate(context.get("supplementalGroups") or []):
        if isinstance(gid, int) and not 0 <= gid <= 2**31 - 1:
            errs.append(invalid(f"{path}.supplementalGroups[{i}]", gid, _ID_RANGE))
    return errs


# core.SecurityContext's fields in declaration order: field.Error prints a struct value as
# the JSON of the internal type, which has no json tags (Go names, nil pointers as null).
_SC_FIELDS = (
    ("Capabilities", "capabilities", (("Add", "add"), ("Drop", "drop"))),
    ("Privileged", "privileged", ()),
    (
        "SELinuxOptions",
        "seLinuxOptions",
        (("User", "user"), ("Role", "role"), ("Type", "type"), ("Level", "level")),
    ),
    ("WindowsOptions", "windowsOptions", ()),
    ("RunAsUser", "runAsUser", ()),
    ("RunAsGroup", "runAsGroup", ()),
    ("RunAsNonRoot", "runAsNonRoot", ()),
    ("ReadOnlyRootFilesystem", "readOnlyRootFilesystem", ()),
    ("AllowPrivilegeEscalation", "allowPrivilegeEscalation", ()),
    ("ProcMount", "procMount", ()),
    (
        "SeccompProfile",
        "seccompProfile",
        (("Type", "type"), ("LocalhostProfile", "localhostProfile")),
    ),
    (
        "AppArmorProfile",
        "appArmorProfile",
        (("Type", "type"), ("LocalhostProfile", "localhostProfile")),
    ),
)


def _security_context_literal(context: Obj) -> GoLiteral:
    out: dict[str, Any] = {}
    for go_name, key, nested in _SC_FIELDS:
        value = context.get(key)
        if nested and isinstance(value, dict):
            value = {g: value.get(k) for g, k in nested}
        out[go_name] = value
    return GoLiteral(json.dumps(out, separators=(",", ":")))


def validate_security_context(context: Any, path: str) -> list[FieldError]:
    """ValidateSecurityContext: ids in range, and no privileged container that also says
    allowPrivilegeEscalation: false (the value printed is the whole context, as upstream)."""
    if not isinstance(context, dict):
        return []
    errs = _ids(context, path, ("runAsUser", "runAsGroup"))
    if context.get("allowPrivilegeEscalation") is False:
        if context.get("privileged") is True:
            errs.append(
                invalid(
                    path,
                    _security_context_literal(context),
                    "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
                )
            )
        added = (context.get("capabilities") or {}).get("add") or []
        if "CAP_SYS_ADMIN" in added:
            errs.append(
                invalid(
                    path,
                    _security_context_literal(context),
                    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` "
                    "CAP_SYS_ADMIN",
                )
            )
    return errs


def host_port_conflicts(containers: list[Any], path: str) -> list[FieldError]:
    """AccumulateUniqueHostPorts: one hostPort per protocol and host IP across the given
    containers, reported as `Duplicate value: "TCP//80"` (protocol/hostIP/port)."""
    errs: list[FieldError] = []
    seen: set[str] = set()
    for ci, container in enumerate(containers):
        if not isinstance(container, dict):
            continue
        for pi, port in enumerate(container.get("ports") or []):
            if not isinstance(port, dict) or not port.get("hostPort"):
                continue
            key = f"{port.get('protocol') or ''}/{port.get('hostIP') or ''}/{port['hostPort']}"
            if key in seen:
                errs.append(duplicate(f"{path}[{ci}].ports[{pi}].hostPort", key))
            seen.add(key)
    return errs


def host_network_ports(spec: Obj, path: str, *, is_pod: bool) -> list[FieldError]:
    """validatePodHostNetworkDeps: with hostNetwork each hostPort is its containerPort (a
    template may leave it 0: the pod's defaulting fills it)."""
    if not spec.get("hostNetwork"):
        return []
    errs: list[FieldError] = []
    for i, container in enumerate(spec.get("containers") or []):
        if not isinstance(container, dict):
            continue
        for j, port in enumerate(container.get("ports") or []):
            if not isinstance(port, dict):
                continue
            host, cport = port.get("hostPort") or 0, port.get("containerPort") or 0
            if (is_pod or host != 0) and host != cport:
                errs.append(
                    invalid(
                        f"{path}.containers[{i}].ports[{j}].hostPort",
                        host,
                        "must match `containerPort` when `hostNetwork` is true",
                    )
                )
    return errs
