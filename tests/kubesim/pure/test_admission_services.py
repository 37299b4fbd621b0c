"""Cluster IP and node port allocation: free, in range, never a reserved address."""

from __future__ import annotations

import ipaddress
import random

import pytest

from kubesim.apiserver.admission import (
    allocate_cluster_ip,
    allocate_node_port,
    assign_addresses,
    default,
)
from kubesim.apiserver.defaulting.service import RangeFull


def test_cluster_ip_is_in_kinds_service_cidr_and_free() -> None:
    rng = random.Random(1)
    taken = {"10.96.0.1", "10.96.0.10"}
    for _ in range(200):
        ip = allocate_cluster_ip(taken, rng=rng)
        assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.96.0.0/16")
        assert ip not in taken
        taken.add(ip)


def test_dynamic_cluster_ips_prefer_the_upper_band() -> None:
    ip = allocate_cluster_ip(set(), rng=random.Random(7))
    assert int(ipaddress.ip_address(ip)) - int(ipaddress.ip_address("10.96.0.0")) > 256


def test_reserved_addresses_are_never_handed_out() -> None:
    rng = random.Random(3)
    seen = {allocate_cluster_ip(set(), rng=rng) for _ in range(500)}
    assert not seen & {"10.96.0.0", "10.96.0.1", "10.96.0.10", "10.96.255.255"}


def test_node_ports_stay_in_range_and_unique() -> None:
    rng = random.Random(2)
    taken: set[int] = set()
    for _ in range(300):
        port = allocate_node_port(taken, rng=rng)
        assert 30000 <= port <= 32767 and port not in taken
        taken.add(port)


def test_full_node_port_range_says_so() -> None:
    with pytest.raises(RangeFull, match="no node ports left"):
        allocate_node_port(set(range(30000, 32768)))


@pytest.mark.parametrize(
    "kind, has_node_port",
    [("ClusterIP", False), ("NodePort", True), ("LoadBalancer", True)],
)
def test_assign_addresses_fills_ips_and_node_ports(kind: str, has_node_port: bool) -> None:
    svc = default(
        ("", "v1", "Service"),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"type": kind, "selector": {"app": "web"}, "ports": [{"port": 80}]},
        },
    )
    out = assign_addresses(svc, taken_ips=set(), taken_ports={30080}, rng=random.Random(5))
    spec = out["spec"]
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert ("nodePort" in spec["ports"][0]) is has_node_port
    if has_node_port:
        assert spec["ports"][0]["nodePort"] != 30080


def test_headless_service_keeps_none() -> None:
    svc = {"spec": {"clusterIP": "None", "ports": [{"port": 80}]}}
    out = assign_addresses(svc, taken_ips=set(), taken_ports=set())
    assert out["spec"]["clusterIP"] == "None" and out["spec"]["clusterIPs"] == ["None"]
