"""Endpoints and EndpointSlices for a Service."""

from __future__ import annotations

import kubesim_builders as builders
from kubesim_builders import container

from kubesim.controllers import endpoints_for, endpointslices_for
from kubesim.core.objects import fmt_time

from .world import T0

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "inference",
        "namespace": "lab",
        "uid": "svc-uid",
        "creationTimestamp": fmt_time(T0),
    },
    "spec": {
        "selector": {"app": "inference"},
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
    },
}


def pod(name, ip, ready=True, terminating=False):
    p = builders.pod(
        name,
        node="kubelab-worker",
        ready=ready,
        ready_at=T0,
        containers=[container("m", ports=[{"name": "http", "containerPort": 8080}])],
        status={"podIP": ip},
    )
    if terminating:
        p["metadata"]["deletionTimestamp"] = fmt_time(T0)
    return p


def test_ready_and_not_ready_pods_split_into_addresses():
    ep = endpoints_for(
        SERVICE,
        [pod("b", "10.244.1.9"), pod("a", "10.244.1.10", ready=False), pod("c", "10.244.1.2")],
    )
    (subset,) = ep["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.244.1.2", "10.244.1.9"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.244.1.10"]
    assert subset["addresses"][0]["targetRef"] == {
        "kind": "Pod",
        "namespace": "lab",
        "name": "c",
        "uid": "uid-c",
    }
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert ep["metadata"]["annotations"][
        "endpoints.kubernetes.io/last-change-trigger-time"
    ] == fmt_time(T0)


def test_service_without_matching_pods_has_no_subsets():
    assert "subsets" not in endpoints_for(SERVICE, [])


def test_pods_without_ip_are_left_out():
    p = pod("a", "")
    assert "subsets" not in endpoints_for(SERVICE, [p])


def test_slices_carry_conditions_labels_and_owner():
    (s,) = endpointslices_for(
        SERVICE,
        [
            pod("a", "10.0.0.1"),
            pod("b", "10.0.0.2", ready=False),
            pod("c", "10.0.0.3", terminating=True),
        ],
        [],
    )
    assert s["metadata"]["generateName"] == "inference-"
    assert s["metadata"]["labels"] == {
        "kubernetes.io/service-name": "inference",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert [e["conditions"] for e in s["endpoints"]] == [
        {"ready": True, "serving": True, "terminating": False},
        {"ready": False, "serving": False, "terminating": False},
        {"ready": False, "serving": True, "terminating": True},
    ]
    assert s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_existing_slice_is_reused_by_name():
    existing = [
        {
            "metadata": {
                "name": "inference-abcde",
                "resourceVersion": "7",
                "labels": {
                    "kubernetes.io/service-name": "inference",
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                },
            }
        }
    ]
    (s,) = endpointslices_for(SERVICE, [pod("a", "10.0.0.1")], existing)
    assert s["metadata"]["name"] == "inference-abcde" and "generateName" not in s["metadata"]


def test_a_pod_whose_subdomain_names_the_service_is_published_under_its_hostname():
    named = pod("inference-0", "10.244.1.5")
    named["spec"].update(hostname="inference-0", subdomain="inference")
    other = pod("inference-x", "10.244.1.6")
    other["spec"].update(hostname="inference-x", subdomain="elsewhere")
    ep = endpoints_for(SERVICE, [named, other])
    assert [a.get("hostname") for a in ep["subsets"][0]["addresses"]] == ["inference-0", None]
    (slice_,) = endpointslices_for(SERVICE, [named, other], [])
    assert [e.get("hostname") for e in slice_["endpoints"]] == ["inference-0", None]
