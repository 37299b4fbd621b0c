"""The objects a fresh cluster has before anyone applies anything (as on kind).

Namespaces default, kube-system, kube-public, kube-node-lease (each gets its `default`
ServiceAccount from the Api's namespace hook), the `kubernetes` Service in default with
the Endpoints and EndpointSlice kube-apiserver keeps for it (the control-plane node's
address, port 6443), kind's default StorageClass `standard` (rancher.io/local-path) and the
two system PriorityClasses (kube-apiserver's bootstrap-system-priority-classes hook).
Idempotent: a restart with existing state creates nothing.
"""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.api import Api, WriteOptions
from kubesim.apiserver.priority import SYSTEM_PRIORITY_CLASSES
from kubesim.core.clusterconfig import control_plane_ip

NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")

_KUBERNETES_SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "kubernetes",
        "namespace": "default",
        "labels": {"component": "apiserver", "provider": "kubernetes"},
    },
    "spec": {
        "clusterIP": "10.96.0.1",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "internalTrafficPolicy": "Cluster",
        "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
        "sessionAffinity": "None",
        "type": "ClusterIP",
    },
}

_STANDARD_CLASS: dict[str, Any] = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {
        "name": "standard",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    },
    "provisioner": "rancher.io/local-path",
    "reclaimPolicy": "Delete",
    "volumeBindingMode": "WaitForFirstConsumer",
}


def _apiserver_endpoints(ip: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The reconciler's two objects, as (group, version, plural, object)."""
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": [
            {
                "addresses": [{"ip": ip}],
                "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
            }
        ],
    }
    endpoint_slice = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "kubernetes"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
    }
    return [
        ("", "v1", "endpoints", endpoints),
        ("discovery.k8s.io", "v1", "endpointslices", endpoint_slice),
    ]


def bootstrap(api: Api) -> None:
    opts = WriteOptions(field_manager="kube-apiserver", trusted=True)
    namespaces = api.resource("", "v1", "namespaces")
    for name in NAMESPACES:
        if api.store.get(f"/core/namespaces/{name}") is None:
            api.create(
                namespaces,
                None,
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                },
                options=opts,
            )
    if api.store.get("/core/services/default/kubernetes") is None:
        api.create(api.resource("", "v1", "services"), "default", _KUBERNETES_SERVICE, options=opts)
        for group, version, plural, obj in _apiserver_endpoints(control_plane_ip()):
            api.create(api.resource(group, version, plural), "default", obj, options=opts)
    _register_api_services(api)
    classes = api.resource("scheduling.k8s.io", "v1", "priorityclasses")
    for pc in SYSTEM_PRIORITY_CLASSES:
        if api.store.get(f"/{classes.storage}/{pc['metadata']['name']}") is None:
            api.create(classes, None, pc, options=opts)
    if api.store.get("/storage.k8s.io/storageclasses/standard") is None:
        api.create(
            api.resource("storage.k8s.io", "v1", "storageclasses"),
            None,
            _STANDARD_CLASS,
            options=WriteOptions(field_manager="kubectl-client-side-apply", trusted=True),
        )


def _register_api_services(api: Api) -> None:
    """kube-apiserver's autoregister controller: an Available APIService per group-version
    (`_discovery.api_services`)."""
    api.sync_api_services()
