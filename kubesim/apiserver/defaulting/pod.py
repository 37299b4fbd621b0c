"""Defaults for pod specs and containers: pkg/apis/core/v1/defaults.go plus the `+default`
markers in core/v1 types, and the admission plugins that touch every new Pod.

Three layers, because the real server has three and they differ in reach:
  * `default_pod_spec` (SetDefaults_PodSpec, _Container, _Probe, volumes...): every pod
    spec, including the templates inside Deployments, Jobs, CronJobs...
  * `default_pod_only` (SetDefaults_Pod): Pods only - requests copied from limits,
    enableServiceLinks. A Deployment's template does not get them; its Pods do.
  * `admit_new_pod` (ServiceAccount, DefaultTolerationSeconds admission): Pods
    on create only. Priority admission reads the stored classes: `apiserver.priority`.
All functions mutate the dict they are given; `_admission.default` hands them a copy.
"""

from __future__ import annotations

from typing import Any

from kubesim.core import podlevel
from kubesim.core.quantity import QuantityError, canonical, parse, round_up

Obj = dict[str, Any]


def unset(obj: Obj, key: str) -> bool:
    """Go's zero-value test: absent, null, or the empty string."""
    return obj.get(key) is None or obj.get(key) == ""


def put(obj: Obj, key: str, value: Any) -> None:
    """Fill one field unless the user set it."""
    if unset(obj, key):
        obj[key] = value


def image_pull_policy(image: str) -> str:
    """Always for `:latest` or no tag (and no digest), else IfNotPresent (ParseImageName)."""
    name = image.split("@", 1)[0]
    has_digest = "@" in image
    last = name.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    if not tag and not has_digest:
        tag = "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for key, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if not probe.get(key):
            probe[key] = value
    http = probe.get("httpGet")
    if isinstance(http, dict):
        put(http, "path", "/")
        put(http, "scheme", "HTTP")
    grpc = probe.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""  # +default=""


def _default_lifecycle(lifecycle: Any) -> None:
    if not isinstance(lifecycle, dict):
        return
    for hook in ("postStart", "preStop"):
        handler = lifecycle.get(hook)
        if isinstance(handler, dict) and isinstance(handler.get("httpGet"), dict):
            put(handler["httpGet"], "path", "/")
            put(handler["httpGet"], "scheme", "HTTP")


def canonical_resource_list(resources: Any) -> None:
    """SetDefaults_ResourceList: round up to milli units; values print canonically."""
    if not isinstance(resources, dict):
        return
    for key, raw in list(resources.items()):
        try:
            resources[key] = canonical(round_up(parse(raw), scale=-3))
        except (QuantityError, TypeError):
            continue  # validation reports it


def default_container(container: Obj) -> None:
    if not isinstance(container, dict):
        return
    if unset(container, "imagePullPolicy") and isinstance(container.get("image"), str):
        container["imagePullPolicy"] = image_pull_policy(container["image"])
    put(container, "terminationMessagePath", "/dev/termination-log")
    put(container, "terminationMessagePolicy", "File")
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            put(port, "protocol", "TCP")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(container.get(probe))
    _default_lifecycle(container.get("lifecycle"))
    for env in container.get("env") or []:
        source = env.get("valueFrom") if isinstance(env, dict) else None
        if isinstance(source, dict) and isinstance(source.get("fieldRef"), dict):
            put(source["fieldRef"], "apiVersion", "v1")
    # ResourceRequirements is a struct, not a pointer: it always serialises, as `{}`.
    resources = container.setdefault("resources", {})
    if isinstance(resources, dict):
        canonical_resource_list(resources.get("limits"))
        canonical_resource_list(resources.get("requests"))


def _default_volume(volume: Obj) -> None:
    if not isinstance(volume, dict):
        return
    sources = [k for k in volume if k != "name"]
    if not sources:
        volume["emptyDir"] = {}
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        source = volume.get(key)
        if isinstance(source, dict) and source.get("defaultMode") is None:
            source["defaultMode"] = 420
    host = volume.get("hostPath")
    if isinstance(host, dict) and host.get("type") is None:
        host["type"] = ""
    projected = volume.get("projected")
    if isinstance(projected, dict):
        for item in projected.get("sources") or []:
            token = item.get("serviceAccountToken") if isinstance(item, dict) else None
            if isinstance(token, dict) and token.get("expirationSeconds") is None:
                token["expirationSeconds"] = 3600
    pvc_template = (volume.get("ephemeral") or {}).get("volumeClaimTemplate")
    if isinstance(pvc_template, dict) and isinstance(pvc_template.get("spec"), dict):
        put(pvc_template["spec"], "volumeMode", "Filesystem")


def default_pod_spec(spec: Any) -> None:
    """SetDefaults_PodSpec and everything reachable from a PodSpec."""
    if not isinstance(spec, dict):
        return
    put(spec, "dnsPolicy", "ClusterFirst")
    put(spec, "restartPolicy", "Always")
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    put(spec, "schedulerName", "default-scheduler")
    # v1 conversion mirrors the deprecated serviceAccount field into serviceAccountName
    # and back, so both always show the same value.
    if unset(spec, "serviceAccountName") and not unset(spec, "serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if not unset(spec, "serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or []:
            default_container(container)
    for volume in spec.get("volumes") or []:
        _default_volume(volume)
    canonical_resource_list(spec.get("overhead"))
    if isinstance(spec.get("resources"), dict):  # pod-level resources
        canonical_resource_list(spec["resources"].get("limits"))
        canonical_resource_list(spec["resources"].get("requests"))


def default_pod_template(template: Any) -> None:
    if isinstance(template, dict):
        default_pod_spec(template.get("spec"))


def default_pod_only(pod: Obj) -> None:
    """SetDefaults_Pod: fields that only a Pod, not a template, receives."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            resources = container.get("resources") if isinstance(container, dict) else None
            limits = resources.get("limits") if isinstance(resources, dict) else None
            if isinstance(resources, dict) and isinstance(limits, dict) and limits:
                requests = resources.setdefault("requests", {})
                if isinstance(requests, dict):
                    for name, value in limits.items():
                        requests.setdefault(name, value)
    podlevel.default_pod_resources(spec)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork"):
        for key in ("containers", "initContainers"):
            for container in spec.get(key) or []:
                for port in container.get("ports") or []:
                    if isinstance(port, dict) and not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")


_NO_EXECUTE_KEYS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def admit_new_pod(pod: Obj) -> None:
    """What the default admission chain adds to a Pod on create."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    # ServiceAccount admission
    if unset(spec, "serviceAccountName"):
        spec["serviceAccountName"] = "default"
        spec["serviceAccount"] = "default"
    # DefaultTolerationSeconds admission
    tolerations = spec.get("tolerations") or []
    for key in _NO_EXECUTE_KEYS:
        if not any(_tolerates(t, key) for t in tolerations if isinstance(t, dict)):
            tolerations.append(
                {
                    "key": key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            )
    spec["tolerations"] = tolerations
    # Priority admission needs the stored PriorityClasses: the Api runs it (`priority`)


def _tolerates(toleration: Obj, key: str) -> bool:
    effect = toleration.get("effect") or ""
    if effect not in ("", "NoExecute"):
        return False
    if not toleration.get("key"):
        return toleration.get("operator") == "Exists"
    return bool(toleration.get("key") == key)


def pod_qos_class(spec: Obj) -> str:
    """qos.GetPodQOS for cpu and memory: Guaranteed, Burstable or BestEffort; from the
    pod-level resources alone when the pod states any."""
    pod_level = podlevel.qos_class(spec)
    if pod_level is not None:
        return pod_level
    containers = [
        c
        for k in ("containers", "initContainers")
        for c in spec.get(k) or []
        if isinstance(c, dict)
    ]
    any_set = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        for name in ("cpu", "memory"):
            if _nonzero(requests.get(name)) or _nonzero(limits.get(name)):
                any_set = True
        for name in ("cpu", "memory"):
            limit = limits.get(name)
            request = requests.get(name, limit)
            if not _nonzero(limit) or _value(request) != _value(limit):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _value(raw: Any) -> Any:
    try:
        return parse(raw).value
    except (QuantityError, TypeError):
        return None


def _nonzero(raw: Any) -> bool:
    value = _value(raw)
    return value is not None and value != 0
