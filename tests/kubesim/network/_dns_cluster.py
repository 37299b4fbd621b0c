"""A small cluster's objects for the DNS tests, shaped as the API serves them."""

from __future__ import annotations

from typing import Any

from kubesim.network.dnsrecords import Cluster

Obj = dict[str, Any]


def service(name: str, namespace: str = "default", **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def endpoint_slice(
    service_name: str, endpoints: list[Obj], ports: list[Obj] | None, namespace: str = "default"
) -> Obj:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service_name}-x7k2p",
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": ports,
    }


def endpoint(ip: str, *, ready: bool | None = True, hostname: str | None = None) -> Obj:
    ep: Obj = {"addresses": [ip], "conditions": {}}
    if ready is not None:
        ep["conditions"]["ready"] = ready
    if hostname:
        ep["hostname"] = hostname
    return ep


def namespace(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def cluster() -> Cluster:
    """default: my-svc (ClusterIP, named port http), plain (one unnamed port), web (headless,
    a StatefulSet's two ready pods and one not ready), lonely (headless, nothing ready),
    ext (ExternalName outside the cluster), alias (ExternalName to my-svc);
    kube-system: kube-dns; testns exists and is empty."""
    tcp = "TCP"
    return Cluster(
        services=[
            service(
                "kubernetes",
                clusterIP="10.96.0.1",
                clusterIPs=["10.96.0.1"],
                ports=[{"name": "https", "port": 443, "protocol": tcp}],
            ),
            service(
                "kube-dns",
                "kube-system",
                clusterIP="10.96.0.10",
                clusterIPs=["10.96.0.10"],
                ports=[
                    {"name": "dns", "port": 53, "protocol": "UDP"},
                    {"name": "dns-tcp", "port": 53, "protocol": tcp},
                ],
            ),
            service(
                "my-svc",
                clusterIP="10.96.5.5",
                clusterIPs=["10.96.5.5"],
                ports=[{"name": "http", "port": 80, "protocol": tcp, "targetPort": 8080}],
            ),
            service("plain", clusterIP="10.96.5.6", ports=[{"port": 8080, "protocol": tcp}]),
            service(
                "web",
                clusterIP="None",
                clusterIPs=["None"],
                ports=[{"name": "web", "port": 80, "protocol": tcp}],
            ),
            service(
                "lonely", clusterIP="None", ports=[{"name": "web", "port": 80, "protocol": tcp}]
            ),
            service("ext", type="ExternalName", externalName="my.database.example.com"),
            service("alias", type="ExternalName", externalName="my-svc.default.svc.cluster.local"),
        ],
        slices=[
            endpoint_slice(
                "my-svc",
                [endpoint("10.244.1.9")],
                [{"name": "http", "port": 8080, "protocol": tcp}],
            ),
            endpoint_slice(
                "web",
                [
                    endpoint("10.244.1.5", hostname="web-0"),
                    endpoint("10.244.2.6", hostname="web-1"),
                    endpoint("10.244.2.7", hostname="web-2", ready=False),
                ],
                [{"name": "web", "port": 80, "protocol": tcp}],
            ),
            endpoint_slice(
                "lonely",
                [endpoint("10.244.2.8", ready=False)],
                [{"name": "web", "port": 80, "protocol": tcp}],
            ),
            endpoint_slice(
                "kube-dns",
                [endpoint("10.244.0.3")],
                [{"name": "dns", "port": 53, "protocol": "UDP"}],
                namespace="kube-system",
            ),
        ],
        namespaces=[namespace("default"), namespace("kube-system"), namespace("testns")],
    )
