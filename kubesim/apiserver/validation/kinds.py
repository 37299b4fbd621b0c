"""Per-kind value validation (pkg/apis/*/validation) for the kinds a course writes;
workloads live in `_validate_workloads`, pod specs in `_validate_pod`.

`validate_values(gvk, obj, old)` returns field errors in the order the real validators
emit them: metadata first, then spec, then update rules. Kinds without a validator here
get metadata checks only.
"""

from __future__ import annotations

import re

from kubesim.apiserver.crd import validate_crd
from kubesim.apiserver.csr import validate_csr
from kubesim.apiserver.validation.errors import (
    FieldError,
    GoLiteral,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
    too_long,
)
from kubesim.apiserver.validation.limitrange import validate_limitrange
from kubesim.apiserver.validation.names import (
    NameRule,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_path_segment_name,
    regex_error,
    validate_labels,
    validate_object_meta,
)
from kubesim.apiserver.validation.pod import (
    port_num_or_name,
    validate_pod_spec,
    validate_pod_update,
)
from kubesim.apiserver.validation.priorityclass import validate_priority_class
from kubesim.apiserver.validation.workloads import (
    Obj,
    Validator,
    int_or_percent,
    not_over_100,
    validate_cronjob,
    validate_daemonset,
    validate_deployment,
    validate_job,
    validate_label_selector,
    validate_replicaset,
    validate_statefulset,
)


def _pod(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec")
    if old is not None:
        return validate_pod_update(spec, old.get("spec"))
    return validate_pod_spec(spec, "spec", is_pod=True)


_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]


def _service(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs: list[FieldError] = []
    kind = spec.get("type")
    if kind not in _SERVICE_TYPES:
        errs.append(not_supported("spec.type", kind, _SERVICE_TYPES))
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if kind != "ExternalName" and not ports and not headless:
        errs.append(required("spec.ports"))
    if kind == "ExternalName":
        external = spec.get("externalName")
        if not external:
            errs.append(required("spec.externalName"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        p = f"spec.ports[{i}]"
        name = port.get("name") or ""
        if len(ports) > 1 and not name:
            errs.append(required(f"{p}.name"))
        elif name:
            errs.extend(invalid(f"{p}.name", name, m) for m in is_dns1123_label(name))
            if name in names:
                errs.append(duplicate(f"{p}.name", name))
            names.add(name)
        number = port.get("port") or 0
        if isinstance(number, int) and not 1 <= number <= 65535:
            errs.append(invalid(f"{p}.port", number, "must be between 1 and 65535, inclusive"))
        protocol = port.get("protocol")
        if protocol not in ("SCTP", "TCP", "UDP"):
            errs.append(not_supported(f"{p}.protocol", protocol, ["SCTP", "TCP", "UDP"]))
        # Defaulting copies `port` into an unset targetPort, so a missing port fails twice.
        errs.extend(port_num_or_name(port.get("targetPort") or 0, f"{p}.targetPort"))
        node_port = port.get("nodePort")
        if node_port:
            if kind in ("ClusterIP", "ExternalName"):
                errs.append(forbidden(f"{p}.nodePort", f"may not be used when `type` is '{kind}'"))
            elif isinstance(node_port, int) and not 30000 <= node_port <= 32767:
                errs.append(
                    invalid(
                        f"{p}.nodePort",
                        node_port,
                        "provided port is not in the valid range. The range of valid ports is 30000-32767",
                    )
                )
    errs.extend(validate_labels(spec.get("selector"), "spec.selector"))
    affinity = spec.get("sessionAffinity")
    if affinity not in ("ClientIP", "None"):
        errs.append(not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"]))
    if old is not None:
        old_ip = (old.get("spec") or {}).get("clusterIP")
        new_ip = spec.get("clusterIP")
        if old_ip and new_ip and new_ip != old_ip and kind != "ExternalName":
            errs.append(invalid("spec.clusterIPs[0]", [new_ip], "may not change once set"))
    return errs


def _hpa(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs: list[FieldError] = []
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas")
    if isinstance(minimum, int) and minimum < 1:
        errs.append(invalid("spec.minReplicas", minimum, "must be greater than or equal to 1"))
    if isinstance(maximum, int) and maximum < 1:
        errs.append(invalid("spec.maxReplicas", maximum, "must be greater than 0"))
    if isinstance(minimum, int) and isinstance(maximum, int) and maximum < minimum:
        errs.append(
            invalid("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`")
        )
    ref = spec.get("scaleTargetRef") or {}
    if not ref.get("kind"):
        errs.append(required("spec.scaleTargetRef.kind"))
    if not ref.get("name"):
        errs.append(required("spec.scaleTargetRef.name"))
    else:
        errs.extend(
            invalid("spec.scaleTargetRef.name", ref["name"], m)
            for m in is_path_segment_name(ref["name"])
        )
    for i, metric in enumerate(spec.get("metrics") or []):
        target = ((metric or {}).get("resource") or {}).get("target") or {}
        utilization = target.get("averageUtilization")
        if isinstance(utilization, int) and utilization <= 0:
            errs.append(
                invalid(
                    f"spec.metrics[{i}].resource.target.averageUtilization",
                    utilization,
                    "must be greater than 0",
                )
            )
    target_cpu = spec.get("targetCPUUtilizationPercentage")
    if isinstance(target_cpu, int) and target_cpu < 1:
        errs.append(
            invalid("spec.targetCPUUtilizationPercentage", target_cpu, "must be greater than 0")
        )
    return errs


def _pdb_spec_literal() -> GoLiteral:
    return GoLiteral(
        "policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000a1c0a0), "
        "Selector:(*v1.LabelSelector)(0xc000a1c0c0), MaxUnavailable:(*intstr.IntOrString)(0xc000a1c0e0), "
        "UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}"
    )


def _pdb(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errs: list[FieldError] = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        errs.append(
            invalid(
                "spec", _pdb_spec_literal(), "minAvailable and maxUnavailable cannot be both set"
            )
        )
    for key in ("minAvailable", "maxUnavailable"):
        if spec.get(key) is not None:
            errs.extend(int_or_percent(spec[key], f"spec.{key}"))
            errs.extend(not_over_100(spec[key], f"spec.{key}"))
    errs.extend(validate_label_selector(spec.get("selector"), "spec.selector"))
    return errs


# core.MaxSecretSize: the data of one ConfigMap or Secret, all keys together.
MAX_DATA_SIZE = 1024 * 1024


def _data_size(obj: Obj, *, encoded: tuple[str, ...]) -> int:
    """Bytes of data and binaryData; sections in `encoded` are base64 in JSON."""
    total = 0
    for section in ("data", "binaryData"):
        values = obj.get(section)
        for value in (values if isinstance(values, dict) else {}).values():
            text = value if isinstance(value, str) else ""
            total += len(text) * 3 // 4 if section in encoded else len(text.encode())
    return total


def _configmap(obj: Obj, old: Obj | None) -> list[FieldError]:
    errs: list[FieldError] = []
    if obj.get("kind") != "Secret" and _data_size(obj, encoded=("binaryData",)) > MAX_DATA_SIZE:
        # the path is "" upstream (the whole object), printed as [] by the aggregate
        errs.append(too_long("[]", MAX_DATA_SIZE))
    key_re = re.compile(r"^[-._a-zA-Z0-9]+$")
    for section in ("data", "binaryData"):
        for key in obj.get(section) or {}:
            if not key_re.match(key):
                errs.append(
                    invalid(
                        f"{section}[{key}]",
                        key,
                        regex_error(
                            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                            "[-._a-zA-Z0-9]+",
                            "key.name",
                            "KEY_NAME",
                            "key-name",
                        ),
                    )
                )
    if old is not None and old.get("immutable"):  # ValidateConfigMapUpdate
        if not obj.get("immutable"):
            errs.append(forbidden("immutable", "field is immutable when `immutable` is set"))
        for key in ("data", "binaryData"):
            if obj.get(key) != old.get(key):
                errs.append(forbidden(key, "field is immutable when `immutable` is set"))
    return errs


# ValidateSecret: the keys each built-in type must carry (present; ssh-auth: non-empty).
_SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}


def _secret(obj: Obj, old: Obj | None) -> list[FieldError]:
    if old is not None:
        errs: list[FieldError] = []
        if obj.get("type") != old.get("type"):
            errs.append(invalid("type", obj.get("type"), "field is immutable"))
        if old.get("immutable"):
            if not obj.get("immutable"):
                errs.append(forbidden("immutable", "field is immutable when `immutable` is set"))
            if obj.get("data") != old.get("data"):
                errs.append(forbidden("data", "field is immutable when `immutable` is set"))
            return errs
        return errs + _secret(obj, None)
    errs = _configmap(obj, None)
    if _data_size(obj, encoded=("data",)) > MAX_DATA_SIZE:
        errs.append(too_long("data", MAX_DATA_SIZE))
    data = obj.get("data") or {}
    kind = obj.get("type")
    if kind == "kubernetes.io/service-account-token":
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if not annotations.get("kubernetes.io/service-account.name"):
            errs.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.extend([required("data[username]"), required("data[password]")])
    elif kind == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            errs.append(required("data[ssh-privatekey]"))
    elif kind in _SECRET_KEYS:
        errs.extend(required(f"data[{key}]") for key in _SECRET_KEYS[kind] if key not in data)
    return errs


_VALIDATORS: dict[tuple[str, str], Validator] = {
    ("", "Pod"): _pod,
    ("", "Service"): _service,
    ("", "ConfigMap"): _configmap,
    ("", "Secret"): _secret,
    ("", "LimitRange"): validate_limitrange,
    ("certificates.k8s.io", "CertificateSigningRequest"): validate_csr,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): validate_crd,
    ("apps", "Deployment"): validate_deployment,
    ("apps", "ReplicaSet"): validate_replicaset,
    ("apps", "DaemonSet"): validate_daemonset,
    ("apps", "StatefulSet"): validate_statefulset,
    ("batch", "Job"): validate_job,
    ("batch", "CronJob"): validate_cronjob,
    ("autoscaling", "HorizontalPodAutoscaler"): _hpa,
    ("policy", "PodDisruptionBudget"): _pdb,
    ("scheduling.k8s.io", "PriorityClass"): validate_priority_class,
}

# Which name rule a kind's metadata.name follows (default: DNS-1123 subdomain).
_NAME_RULES: dict[tuple[str, str], NameRule] = {
    ("", "Namespace"): is_dns1123_label,
    ("", "Service"): is_dns1035_label,
    ("autoscaling", "HorizontalPodAutoscaler"): is_path_segment_name,
    ("rbac.authorization.k8s.io", "Role"): is_path_segment_name,
    ("rbac.authorization.k8s.io", "ClusterRole"): is_path_segment_name,
    ("rbac.authorization.k8s.io", "RoleBinding"): is_path_segment_name,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): is_path_segment_name,
    ("", "Event"): is_path_segment_name,
    ("events.k8s.io", "Event"): is_path_segment_name,
    ("", "Node"): is_dns1123_subdomain,
}


def validate_values(
    gvk: tuple[str, str, str], obj: Obj, old: Obj | None, *, namespaced: bool
) -> list[FieldError]:
    group, _version, kind = gvk
    rule = _NAME_RULES.get((group, kind), is_dns1123_subdomain)
    errs = validate_object_meta(obj.get("metadata"), namespaced=namespaced, name_rule=rule)
    if old is not None:
        old_name = (old.get("metadata") or {}).get("name")
        new_name = (obj.get("metadata") or {}).get("name")
        if old_name and new_name and old_name != new_name:
            errs.append(invalid("metadata.name", new_name, "field is immutable"))
    validator = _VALIDATORS.get((group, kind))
    if validator is not None:
        errs.extend(validator(obj, old))
    return errs
