"""Per-kind defaults: pkg/apis/{apps,batch,core,networking,autoscaling,...}/v1/defaults.go
and the registry strategies that fill fields on create (Job selectors, Namespace finalizers).

`DEFAULTERS` maps (group, kind) to one function that mutates a copy of the object; the pod
spec parts are delegated to `_defaults_pod`. Only fields the user left unset are touched.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from kubesim.apiserver.defaulting.hpa import default_hpa_v1, default_hpa_v2
from kubesim.apiserver.defaulting.pod import (
    Obj,
    admit_new_pod,
    canonical_resource_list,
    default_pod_only,
    default_pod_spec,
    default_pod_template,
    pod_qos_class,
    put,
    unset,
)


def _spec(obj: Obj) -> Obj:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    return spec


def _pod(obj: Obj) -> None:
    default_pod_spec(obj.get("spec"))
    default_pod_only(obj)
    if obj.get("metadata", {}).get("resourceVersion") in (None, ""):  # a create
        admit_new_pod(obj)
        # podStrategy.PrepareForCreate: whatever status was sent, a new Pod is Pending
        obj["status"] = {"phase": "Pending", "qosClass": pod_qos_class(_spec(obj))}


def _deployment(obj: Obj) -> None:
    spec = _spec(obj)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = spec.setdefault("strategy", {})
    put(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            rolling = strategy["rollingUpdate"] = {}
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = "25%"
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = "25%"
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600
    default_pod_template(spec.get("template"))


def _replicaset(obj: Obj) -> None:
    spec = _spec(obj)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    default_pod_template(spec.get("template"))


def _daemonset(obj: Obj) -> None:
    spec = _spec(obj)
    strategy = spec.setdefault("updateStrategy", {})
    put(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            rolling = strategy["rollingUpdate"] = {}
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = 1
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = 0
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    default_pod_template(spec.get("template"))


def _statefulset(obj: Obj) -> None:
    spec = _spec(obj)
    put(spec, "podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    if unset(strategy, "type"):
        strategy["type"] = "RollingUpdate"
        strategy.setdefault("rollingUpdate", {})
    rolling = strategy.get("rollingUpdate")
    rolling_update = strategy["type"] == "RollingUpdate" and isinstance(rolling, dict)
    if rolling_update and rolling.get("partition") is None:
        rolling["partition"] = 0
    retention = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    put(retention, "whenDeleted", "Retain")
    put(retention, "whenScaled", "Retain")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    default_pod_template(spec.get("template"))
    for claim in spec.get("volumeClaimTemplates") or []:
        if isinstance(claim, dict):
            # the generated defaulter treats each template as a full PVC (status included);
            # the stored templates also carry their TypeMeta
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            _pvc(claim)


def _job_spec(spec: Obj) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:  # unlimited when each index has its own limit
        spec["backoffLimit"] = 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6
    put(spec, "completionMode", "NonIndexed")
    if spec.get("suspend") is None:
        spec["suspend"] = False
    default_pod_template(spec.get("template"))


def _job(obj: Obj) -> None:
    spec = _spec(obj)
    _job_spec(spec)
    for rule in (spec.get("podFailurePolicy") or {}).get("rules") or []:
        for pattern in rule.get("onPodConditions") or []:
            put(pattern, "status", "True")  # SetDefaults_Job
    # jobStrategy.PrepareForCreate (JobPodReplacementPolicy is GA)
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = (
            "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
        )
    meta = obj.setdefault("metadata", {})
    # The selector selects the Job's uid: generated only once the core has assigned one
    # (defaulting again after metadata.uid is set is safe, defaults are idempotent).
    if not spec.get("manualSelector") and meta.get("uid"):
        _generate_job_selector(meta, spec)
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if template_labels and not meta.get("labels"):
        meta["labels"] = dict(template_labels)


def _generate_job_selector(meta: Obj, spec: Obj) -> None:
    """jobStrategy's generateSelector: label the template and select it by the Job's uid."""
    uid = meta.get("uid") or ""
    name = meta.get("name") or ""
    template = spec.setdefault("template", {})
    tmeta = template.get("metadata")
    if not isinstance(tmeta, dict):
        tmeta = template["metadata"] = {}
    labels = tmeta.get("labels")
    if not isinstance(labels, dict):
        labels = tmeta["labels"] = {}
    for key in ("job-name", "batch.kubernetes.io/job-name"):
        labels.setdefault(key, name)
    for key in ("controller-uid", "batch.kubernetes.io/controller-uid"):
        labels.setdefault(key, uid)
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = spec["selector"] = {}
    match = selector.get("matchLabels")
    if not isinstance(match, dict):
        match = selector["matchLabels"] = {}
    match.setdefault("batch.kubernetes.io/controller-uid", uid)


def _cronjob(obj: Obj) -> None:
    spec = _spec(obj)
    put(spec, "concurrencyPolicy", "Allow")
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = 3
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = 1
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict) and isinstance(job_template.get("spec"), dict):
        default_pod_template(job_template["spec"].get("template"))


def _replication_controller(obj: Obj) -> None:
    spec = _spec(obj)
    template = spec.get("template")
    labels = ((template or {}).get("metadata") or {}).get("labels")
    if labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = obj.setdefault("metadata", {})
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    default_pod_template(template)


def _service(obj: Obj) -> None:
    spec = _spec(obj)
    put(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig") or {}
        if ((config.get("clientIP") or {}).get("timeoutSeconds")) is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    put(spec, "type", "ClusterIP")
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        put(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    kind = spec["type"]
    if kind in ("NodePort", "LoadBalancer") or spec.get("externalIPs"):
        put(spec, "externalTrafficPolicy", "Cluster")
    if spec.get("internalTrafficPolicy") is None and kind in (
        "NodePort",
        "LoadBalancer",
        "ClusterIP",
    ):
        spec["internalTrafficPolicy"] = "Cluster"
    if kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    if kind != "ExternalName":
        # the service REST storage (single-stack IPv4 cluster, as kind's default)
        if not spec.get("ipFamilies"):
            spec["ipFamilies"] = ["IPv4"]
        put(spec, "ipFamilyPolicy", "SingleStack")
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("loadBalancer", {})


def _namespace(obj: Obj) -> None:
    meta = obj.setdefault("metadata", {})
    name = meta.get("name")
    if name:
        labels = meta.get("labels")
        if not isinstance(labels, dict):
            labels = meta["labels"] = {}
        labels["kubernetes.io/metadata.name"] = name
    spec = obj.setdefault("spec", {})
    if not spec.get("finalizers"):
        spec["finalizers"] = ["kubernetes"]
    status = obj.setdefault("status", {})
    put(status, "phase", "Active")


def _secret(obj: Obj) -> None:
    """v1 -> internal conversion folds the write-only stringData into data (it wins on a
    shared key), so it is validated as data and never stored or returned."""
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        current = obj.get("data")
        data: Obj = current if isinstance(current, dict) else {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
    put(obj, "type", "Opaque")


def _pvc(obj: Obj) -> None:
    spec = _spec(obj)
    put(spec, "volumeMode", "Filesystem")
    resources = spec.get("resources")
    if isinstance(resources, dict):
        canonical_resource_list(resources.get("requests"))
        canonical_resource_list(resources.get("limits"))
    status = obj.setdefault("status", {})
    put(status, "phase", "Pending")


def _pv(obj: Obj) -> None:
    spec = _spec(obj)
    put(spec, "persistentVolumeReclaimPolicy", "Retain")
    put(spec, "volumeMode", "Filesystem")
    canonical_resource_list(spec.get("capacity"))
    host = spec.get("hostPath")
    if isinstance(host, dict) and host.get("type") is None:
        host["type"] = ""
    status = obj.setdefault("status", {})
    put(status, "phase", "Pending")


def _endpoints(obj: Obj) -> None:
    for subset in obj.get("subsets") or []:
        for port in (subset or {}).get("ports") or []:
            if isinstance(port, dict):
                put(port, "protocol", "TCP")


def _endpointslice(obj: Obj) -> None:
    for port in obj.get("ports") or []:
        if isinstance(port, dict):
            put(port, "protocol", "TCP")


def _limitrange(obj: Obj) -> None:
    for item in _spec(obj).get("limits") or []:
        if not isinstance(item, dict):
            continue
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            canonical_resource_list(item.get(key))
        if item.get("type") != "Container":
            continue
        default = item.setdefault("default", {})
        request = item.setdefault("defaultRequest", {})
        for name, value in (item.get("max") or {}).items():
            default.setdefault(name, value)
        for name, value in default.items():
            request.setdefault(name, value)
        for name, value in (item.get("min") or {}).items():
            request.setdefault(name, value)
        if not default:
            item.pop("default")
        if not request:
            item.pop("defaultRequest")


def _crd(obj: Obj) -> None:
    """SetDefaults_CustomResourceDefinitionSpec: singular and listKind from the kind, the
    None conversion strategy."""
    spec = _spec(obj)
    names = spec.get("names")
    if isinstance(names, dict) and isinstance(names.get("kind"), str) and names["kind"]:
        names.setdefault("singular", names["kind"].lower())
        names.setdefault("listKind", names["kind"] + "List")
    if not isinstance(spec.get("conversion"), dict):
        spec["conversion"] = {"strategy": "None"}


def _resourcequota(obj: Obj) -> None:
    canonical_resource_list(_spec(obj).get("hard"))


def _networkpolicy(obj: Obj) -> None:
    spec = _spec(obj)
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in (rule or {}).get("ports") or []:
                if isinstance(port, dict) and port.get("protocol") is None:
                    port["protocol"] = "TCP"


def _storageclass(obj: Obj) -> None:
    put(obj, "reclaimPolicy", "Delete")
    put(obj, "volumeBindingMode", "Immediate")


def _priorityclass(obj: Obj) -> None:
    put(obj, "preemptionPolicy", "PreemptLowerPriority")
    # Go's struct: `value` (int32, no omitempty) is written even when 0 or absent;
    # `globalDefault` (bool, omitempty) is not written when false.
    if obj.get("value") is None:
        obj["value"] = 0
    if obj.get("globalDefault") is False:
        del obj["globalDefault"]


def _rbac_binding(obj: Obj) -> None:
    for subject in obj.get("subjects") or []:
        if not isinstance(subject, dict) or subject.get("apiGroup") is not None:
            continue
        if subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = "rbac.authorization.k8s.io"
        elif subject.get("kind") == "ServiceAccount":
            subject["apiGroup"] = ""


DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("", "Pod"): _pod,
    ("", "Service"): _service,
    ("", "Namespace"): _namespace,
    ("", "Secret"): _secret,
    ("", "PersistentVolumeClaim"): _pvc,
    ("", "PersistentVolume"): _pv,
    ("", "ReplicationController"): _replication_controller,
    ("", "Endpoints"): _endpoints,
    ("", "LimitRange"): _limitrange,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _crd,
    ("", "ResourceQuota"): _resourcequota,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replicaset,
    ("apps", "DaemonSet"): _daemonset,
    ("apps", "StatefulSet"): _statefulset,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cronjob,
    ("networking.k8s.io", "NetworkPolicy"): _networkpolicy,
    ("storage.k8s.io", "StorageClass"): _storageclass,
    ("scheduling.k8s.io", "PriorityClass"): _priorityclass,
    ("discovery.k8s.io", "EndpointSlice"): _endpointslice,
    ("rbac.authorization.k8s.io", "RoleBinding"): _rbac_binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _rbac_binding,
}

VERSIONED_DEFAULTERS: dict[tuple[str, str, str], Callable[[Obj], None]] = {
    ("autoscaling", "v2", "HorizontalPodAutoscaler"): default_hpa_v2,
    ("autoscaling", "v1", "HorizontalPodAutoscaler"): default_hpa_v1,
}


# Status fields Go writes even at zero (no `omitempty`): the ones the 1.37 schema marks
# required, which the official client's models refuse to go without, and StatefulSet's
# availableReplicas. A new DaemonSet reads `status: {currentNumberScheduled: 0, ...}` on a
# real server, never `status: {}`. (HPA: v2 is stored; the v1 view adds currentReplicas.)
_ZERO_STATUS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "ReplicationController"): ("replicas",),
    ("apps", "ReplicaSet"): ("replicas",),
    ("apps", "StatefulSet"): ("replicas", "availableReplicas"),
    ("apps", "DaemonSet"): (
        "currentNumberScheduled",
        "numberMisscheduled",
        "desiredNumberScheduled",
        "numberReady",
    ),
    ("autoscaling", "HorizontalPodAutoscaler"): ("desiredReplicas",),
}


def fill_zero_status(gvk: tuple[str, str, str], obj: Obj) -> None:
    """The zero-valued status fields a real API server always returns for `gvk`."""
    fields = _ZERO_STATUS.get((gvk[0], gvk[2]))
    if not fields:
        return
    status = obj.get("status")
    if not isinstance(status, dict):
        status = obj["status"] = {}
    for key in fields:
        status.setdefault(key, 0)


def defaulter(gvk: tuple[str, str, str]) -> Callable[[Obj], None] | None:
    group, version, kind = gvk
    return VERSIONED_DEFAULTERS.get(gvk) or DEFAULTERS.get((group, kind))
