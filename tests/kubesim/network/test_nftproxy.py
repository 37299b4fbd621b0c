"""kube-proxy's nftables mode as a pure function: golden cases on the script's structure,
``nft -c`` on what it generates, and traffic through the rules in a throwaway network
(`_fabric_lab.py`: pods in their own namespaces behind routed veths, as in the fabric)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from _fabric_lab import FabricLab, missing_tools, nft_check

from kubesim.network.nftproxy import (
    TABLE,
    chain_name_base,
    endpoint_chain_name_base,
    proxy_ruleset,
)

Obj = dict[str, Any]
needs_nft = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"needs {', '.join(missing_tools())}; .ci/run installs nftables and util-linux",
)

# --- plain API objects ----------------------------------------------------------------------

NODES = [
    {
        "metadata": {"name": name},
        "spec": {"podCIDR": f"10.244.{i}.0/24"},
        "status": {"addresses": [{"type": "InternalIP", "address": f"172.18.0.{i + 2}"}]},
    }
    for i, name in enumerate(["kind-control-plane", "kind-worker", "kind-worker2"])
]


def service(name: str, *ports: Obj, ip: str | None = "10.96.0.20", **spec: Any) -> Obj:
    body: Obj = {"ports": list(ports), **spec}
    if ip is not None:
        body["clusterIP"] = ip
    return {"metadata": {"namespace": "default", "name": name}, "spec": body}


def port(number: Any = 80, *, name: str = "", protocol: str = "TCP", **more: Any) -> Obj:
    return {"name": name, "port": number, "protocol": protocol, **more}


def endpoint(ip: str, node: str | None = "kind-worker", **conditions: Any) -> Obj:
    out: Obj = {"addresses": [ip], "conditions": {"ready": True, **conditions}}
    if node:
        out["nodeName"] = node
    return out


def slice_of(svc: str, ports: list[Obj], *endpoints: Obj, name: str = "") -> Obj:
    return {
        "metadata": {
            "namespace": "default",
            "name": name or f"{svc}-abcde",
            "labels": {"kubernetes.io/service-name": svc},
        },
        "addressType": "IPv4",
        "ports": ports,
        "endpoints": list(endpoints),
    }


def sport(number: int = 8080, *, name: str = "", protocol: str = "TCP") -> Obj:
    return {"name": name, "port": number, "protocol": protocol}


# --- reading the script back ------------------------------------------------------------------


@dataclass
class Parsed:
    """The script as data: each chain's rules, each set's or map's elements (key -> verdict,
    "" for a set) and its declaration lines."""

    head: list[str]
    chains: dict[str, list[str]] = field(default_factory=dict)
    elements: dict[str, dict[str, str]] = field(default_factory=dict)
    declared: dict[str, list[str]] = field(default_factory=dict)

    def chain_named(self, prefix: str, *, svc: str = "web", port_name: str = "") -> list[str]:
        base = chain_name_base("default", svc, "tcp", port_name)
        return self.chains[f"{prefix}-{base}"]


def parse(script: str) -> Parsed:
    lines = script.splitlines()
    parsed = Parsed(head=lines[:3])
    current: list[str] | None = None
    name, in_elements = "", False
    for line in lines[3:]:
        if line.startswith("\t") and not line.startswith("\t\t") and line.endswith("{"):
            kind, name = line.split()[:2]
            if kind == "chain":
                current = parsed.chains.setdefault(name, [])
            else:
                current = parsed.declared.setdefault(name, [])
                parsed.elements.setdefault(name, {})
        elif line == "\t\telements = {":
            in_elements = True
        elif in_elements and line == "\t\t}":
            in_elements = False
        elif in_elements:
            text = line.strip().rstrip(",")
            key, _, verdict = text.partition(" : ")
            parsed.elements[name][key.split(" comment ")[0]] = verdict
        elif line.startswith("\t\t") and current is not None:
            current.append(line.strip())
    return parsed


def service_chains(parsed: Parsed) -> list[str]:
    """The per-service chains: only theirs have a "/" in the name, as in kube-proxy."""
    return [name for name in parsed.chains if "/" in name]


def rules(services: list[Obj], slices: list[Obj], nodes: list[Obj] = NODES) -> Parsed:
    return parse(proxy_ruleset(services, slices, nodes))


def ep_chain(
    ip: str, number: int, *, svc: str = "web", port_name: str = "", proto: str = "tcp"
) -> str:
    base = endpoint_chain_name_base("default", svc, proto, port_name, ip=ip, port=number)
    return f"endpoint-{base}"


WEB = service("web", port(80, name="http", targetPort="web"))
WEB_SLICE = slice_of(
    "web",
    [sport(8080, name="http")],
    endpoint("10.244.1.5", "kind-worker"),
    endpoint("10.244.2.5", "kind-worker2"),
)

# --- golden cases -----------------------------------------------------------------------------


@pytest.mark.unit
def test_chain_names_are_the_ones_kube_proxy_gives() -> None:
    # the names kube-proxy's own tests expect (pkg/proxy/nftables/proxier_test.go)
    assert chain_name_base("ns1", "svc1", "tcp", "p80") == "ULMVA6XW-ns1/svc1/tcp/p80"
    assert (
        endpoint_chain_name_base("ns1", "svc1", "tcp", "p80", ip="10.180.0.1", port=80)
        == "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"
    )


@pytest.mark.unit
def test_the_script_replaces_the_whole_table_in_one_transaction() -> None:
    assert rules([], []).head == [
        f"table ip {TABLE} {{}}",
        f"delete table ip {TABLE}",
        f"table ip {TABLE} {{",
    ]


@pytest.mark.unit
def test_a_cluster_ip_balances_at_random_over_its_ready_endpoints() -> None:
    got = rules([WEB], [WEB_SLICE])
    svc_chain = f"service-{chain_name_base('default', 'web', 'tcp', 'http')}"
    assert got.elements["service-ips"] == {"10.96.0.20 . tcp . 80": f"goto {svc_chain}"}
    assert got.elements["cluster-ips"] == {"10.96.0.20": ""}
    one, two = (
        ep_chain("10.244.1.5", 8080, port_name="http"),
        ep_chain("10.244.2.5", 8080, port_name="http"),
    )
    assert got.chains[svc_chain] == [
        "ip daddr 10.96.0.20 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade",
        f"numgen random mod 2 vmap {{ 0 : goto {one}, 1 : goto {two} }}",
    ]
    assert got.chains[one] == [
        "ip saddr 10.244.1.5 jump mark-for-masquerade",
        "meta l4proto tcp dnat to 10.244.1.5:8080",
    ]


@pytest.mark.unit
def test_dispatch_masquerade_and_reject_are_hooked_where_kube_proxy_hooks_them() -> None:
    got = rules([], [])
    assert got.chains["nat-prerouting"] == [
        "type nat hook prerouting priority -100; policy accept;",
        "jump services",
    ]
    assert got.chains["nat-output"] == [
        "type nat hook output priority -100; policy accept;",
        "jump services",
    ]
    assert got.chains["nat-postrouting"][1:] == ["jump masquerading"]
    assert got.chains["masquerading"] == [
        "mark and 0x004000 == 0 return",
        "mark set mark xor 0x004000",
        "masquerade fully-random",
    ]
    assert "ct state new jump service-endpoints-check" in got.chains["filter-forward"]
    assert "ct state new jump nodeport-endpoints-check" in got.chains["filter-input"]
    assert got.chains["reject-chain"] == ["reject"]


@pytest.mark.unit
@pytest.mark.parametrize(
    "endpoints, used",
    [
        pytest.param(
            [endpoint("10.244.1.5"), endpoint("10.244.1.6", ready=False)],
            ["10.244.1.5"],
            id="not-ready-skipped",
        ),
        pytest.param(
            [
                endpoint("10.244.1.5"),
                endpoint("10.244.1.6", ready=False, serving=True, terminating=True),
            ],
            ["10.244.1.5"],
            id="terminating-skipped-while-one-is-ready",
        ),
        pytest.param(
            [endpoint("10.244.1.6", ready=False, serving=True, terminating=True)],
            ["10.244.1.6"],
            id="serving-terminating-when-none-is-ready",
        ),
        pytest.param(
            [{"addresses": ["10.244.1.7"], "nodeName": "kind-worker"}],
            ["10.244.1.7"],
            id="no-conditions-is-ready",
        ),
        pytest.param(
            [endpoint("10.244.1.5"), endpoint("10.244.1.6", ready=True, terminating=True)],
            ["10.244.1.5"],
            id="ready-but-terminating-is-not-ready",
        ),
        pytest.param(
            [endpoint("10.244.1.6", ready=False, serving=False, terminating=True)],
            [],
            id="not-serving",
        ),
    ],
)
def test_only_ready_endpoints_receive_traffic(endpoints: list[Obj], used: list[str]) -> None:
    got = rules([service("web", port(80))], [slice_of("web", [sport(8080)], *endpoints)])
    dnats = [
        rule
        for name, chain in got.chains.items()
        if name.startswith("endpoint-")
        for rule in chain
        if "dnat" in rule
    ]
    assert dnats == [f"meta l4proto tcp dnat to {ip}:8080" for ip in used]


@pytest.mark.unit
def test_a_service_without_endpoints_is_rejected_on_its_cluster_ip_and_node_port() -> None:
    got = rules([service("web", port(80, nodePort=30080), type="NodePort")], [])
    assert got.elements["no-endpoint-services"] == {"10.96.0.20 . tcp . 80": "goto reject-chain"}
    assert got.elements["no-endpoint-nodeports"] == {"tcp . 30080": "goto reject-chain"}
    assert got.elements["service-ips"] == {} and got.elements["service-nodeports"] == {}
    assert service_chains(got) == []


@pytest.mark.unit
@pytest.mark.parametrize(
    "svc",
    [
        pytest.param(service("web", port(80), ip="None"), id="headless"),
        pytest.param(
            service("web", port(80), ip=None, type="ExternalName", externalName="example.com"),
            id="externalname",
        ),
        pytest.param(service("web", port(80), ip=None), id="no-cluster-ip-yet"),
    ],
)
def test_services_without_a_virtual_ip_get_no_rules(svc: Obj) -> None:
    got = rules([svc], [WEB_SLICE])
    assert got.elements["cluster-ips"] == {} and got.elements["service-ips"] == {}
    assert service_chains(got) == []


@pytest.mark.unit
def test_a_named_target_port_is_the_number_in_the_slice_port_of_the_same_name() -> None:
    eps = slice_of(
        "web",
        [sport(9090, name="metrics"), sport(8080, name="http")],
        endpoint("10.244.1.5"),
    )
    got = rules([WEB], [eps])
    assert (
        got.chains[ep_chain("10.244.1.5", 8080, port_name="http")][-1]
        == "meta l4proto tcp dnat to 10.244.1.5:8080"
    )
    assert ep_chain("10.244.1.5", 9090, port_name="metrics") not in got.chains


@pytest.mark.unit
@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_each_protocol_is_matched_and_translated_as_itself(protocol: str) -> None:
    proto = protocol.lower()
    got = rules(
        [service("dns", port(53, protocol=protocol))],
        [slice_of("dns", [sport(5353, protocol=protocol)], endpoint("10.244.1.5"))],
    )
    svc_chain = f"service-{chain_name_base('default', 'dns', proto, '')}"
    assert got.elements["service-ips"] == {f"10.96.0.20 . {proto} . 53": f"goto {svc_chain}"}
    chain = ep_chain("10.244.1.5", 5353, svc="dns", proto=proto)
    assert got.chains[chain][-1] == f"meta l4proto {proto} dnat to 10.244.1.5:5353"


@pytest.mark.unit
def test_a_node_port_answers_on_every_node_ip_and_is_masqueraded() -> None:
    svc = service("web", port(80, name="http", nodePort=30080), type="NodePort")
    got = rules([svc], [WEB_SLICE])
    assert set(got.elements["nodeport-ips"]) == {"172.18.0.2", "172.18.0.3", "172.18.0.4"}
    base = chain_name_base("default", "web", "tcp", "http")
    assert got.elements["service-nodeports"] == {"tcp . 30080": f"goto external-{base}"}
    assert got.chains[f"external-{base}"] == ["jump mark-for-masquerade", f"goto service-{base}"]
    assert (
        "ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports"
        in got.chains["services"]
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    "config, timeout",
    [
        pytest.param({}, "10800s", id="default-3h"),
        pytest.param({"clientIP": {"timeoutSeconds": 60}}, "60s", id="60s"),
    ],
)
def test_client_ip_affinity_remembers_each_client_for_its_timeout(
    config: Obj, timeout: str
) -> None:
    svc = service(
        "web", port(80, name="http"), sessionAffinity="ClientIP", sessionAffinityConfig=config
    )
    got = rules([svc], [WEB_SLICE])
    one = endpoint_chain_name_base("default", "web", "tcp", "http", ip="10.244.1.5", port=8080)
    assert got.declared[f"affinity-{one}"] == [
        "type ipv4_addr",
        "flags dynamic,timeout",
        f"timeout {timeout}",
    ]
    assert got.chains[f"endpoint-{one}"][1] == f"update @affinity-{one} {{ ip saddr }}"
    service_chain = got.chain_named("service", port_name="http")
    assert service_chain[1] == f"ip saddr @affinity-{one} goto endpoint-{one}"
    assert service_chain[-1].startswith("numgen random mod 2 vmap")


@pytest.mark.unit
def test_internal_traffic_policy_local_sends_each_client_to_its_own_nodes_endpoints() -> None:
    svc = service("web", port(80, name="http"), internalTrafficPolicy="Local")
    got = rules([svc], [WEB_SLICE])
    base = chain_name_base("default", "web", "tcp", "http")
    assert got.elements["service-ips"] == {"10.96.0.20 . tcp . 80": f"goto local-{base}"}
    worker = "local-" + chain_name_base("default", "web", "tcp", "http__node/kind-worker")
    worker2 = "local-" + chain_name_base("default", "web", "tcp", "http__node/kind-worker2")
    dispatch = got.chains[f"local-{base}"]
    assert dispatch[1] == (
        "ip saddr vmap { 10.244.0.0/24 : drop, 172.18.0.2 : drop, "
        f"10.244.1.0/24 : goto {worker}, 172.18.0.3 : goto {worker}, "
        f"10.244.2.0/24 : goto {worker2}, 172.18.0.4 : goto {worker2} }}"
    )
    assert dispatch[-1].startswith("drop")
    assert got.chains[worker] == [
        f"numgen random mod 1 vmap {{ 0 : goto {ep_chain('10.244.1.5', 8080, port_name='http')} }}"
    ]


@pytest.mark.unit
def test_internal_traffic_policy_local_without_local_endpoints_drops() -> None:
    svc = service("web", port(80), internalTrafficPolicy="Local")
    eps = slice_of("web", [sport(8080)], endpoint("10.244.1.5", node=None))
    got = rules([svc], [eps])
    assert got.elements["no-endpoint-services"] == {"10.96.0.20 . tcp . 80": "drop"}


@pytest.mark.unit
def test_external_traffic_policy_local_serves_a_node_port_from_the_addressed_node_only() -> None:
    svc = service(
        "web", port(80, name="http", nodePort=30080), type="NodePort", externalTrafficPolicy="Local"
    )
    eps = slice_of("web", [sport(8080, name="http")], endpoint("10.244.1.5", "kind-worker"))
    got = rules([svc], [eps])
    base = chain_name_base("default", "web", "tcp", "http")
    worker = "local-" + chain_name_base("default", "web", "tcp", "http__node/kind-worker")
    assert got.chains[f"external-{base}"] == [
        f'ip saddr 10.244.0.0/16 goto service-{base} comment "short-circuit pod traffic"',
        'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
        f'fib saddr type local goto service-{base} comment "short-circuit local traffic"',
        f"ip daddr vmap {{ 172.18.0.2 : drop, 172.18.0.3 : goto {worker}, 172.18.0.4 : drop }}",
        'drop comment "no local endpoints on the addressed node"',
    ]


@pytest.mark.unit
def test_the_script_does_not_depend_on_the_order_objects_are_listed_in() -> None:
    services = [WEB, service("api", port(443), ip="10.96.0.30")]
    slices = [
        WEB_SLICE,
        slice_of("api", [sport(8443)], endpoint("10.244.2.7"), endpoint("10.244.1.7")),
    ]
    assert proxy_ruleset(services, slices, NODES) == proxy_ruleset(
        services[::-1], slices[::-1], NODES[::-1]
    )


GOOD = service("good", port(80), ip="10.96.0.99")
GOOD_SLICE = slice_of("good", [sport(8080)], endpoint("10.244.1.99"))
BAD_INPUT = [
    pytest.param([service("web", ip="10.96.0.20")], [], id="service-without-ports"),
    pytest.param([service("web", port(0))], [], id="port-0"),
    pytest.param([service("web", port("80"))], [], id="port-as-string"),
    pytest.param([service("web", port(70000))], [], id="port-out-of-range"),
    pytest.param([service("web", port(80), ip="fd00::1")], [], id="ipv6-cluster-ip"),
    pytest.param([service("web", port(80), ip="10.96.0.300")], [], id="not-an-address"),
    pytest.param([service("web", port(80, protocol="ICMP"))], [], id="unknown-protocol"),
    pytest.param([service('we"b', port(80))], [], id="quote-in-name"),
    pytest.param(
        [service("web", port(80, name="a\nflush ruleset"))], [], id="newline-in-port-name"
    ),
    pytest.param(
        [service("web", port(80))],
        [slice_of("web", [sport(8080)], {"addresses": []})],
        id="endpoint-without-addresses",
    ),
    pytest.param(
        [service("web", port(80))], [slice_of("web", [sport(8080)])], id="slice-without-endpoints"
    ),
    pytest.param(
        [service("web", port(80))],
        [slice_of("web", [sport(0)], endpoint("10.244.1.5"))],
        id="slice-port-0",
    ),
    pytest.param(
        [service("web", port(80))],
        [slice_of("web", [sport(8080)], endpoint("10.244.1.5\n"))],
        id="newline-in-address",
    ),
    pytest.param(
        [service("web", port(80))],
        [{**slice_of("web", [sport(8080)], endpoint("fd00::5")), "addressType": "IPv6"}],
        id="ipv6-slice",
    ),
    pytest.param([service("web", port(80), port(80))], [], id="same-port-twice"),
    pytest.param(
        [service("a", port(80)), service("b", port(80))], [], id="two-services-one-cluster-ip"
    ),
    pytest.param(
        [
            service("a", port(80, nodePort=30080), type="NodePort"),
            service("b", port(80, nodePort=30080), ip="10.96.0.21", type="NodePort"),
        ],
        [],
        id="two-services-one-node-port",
    ),
    pytest.param(
        [
            service(
                "web",
                port(80),
                sessionAffinity="ClientIP",
                sessionAffinityConfig={"clientIP": {"timeoutSeconds": "x"}},
            )
        ],
        [],
        id="bad-affinity-timeout",
    ),
    pytest.param(
        [service("web", port(80), type="LoadBalancer", loadBalancerSourceRanges=["not-a-cidr"])],
        [],
        id="bad-source-range",
    ),
]


@pytest.mark.unit
@pytest.mark.parametrize("services, slices", BAD_INPUT)
def test_bad_input_is_skipped_and_the_rest_still_programmed(
    services: list[Obj], slices: list[Obj]
) -> None:
    got = rules([*services, GOOD], [*slices, GOOD_SLICE])
    good = chain_name_base("default", "good", "tcp", "")
    assert got.elements["service-ips"]["10.96.0.99 . tcp . 80"] == f"goto service-{good}"
    assert all(len(key.split(" . ")) == 3 for key in got.elements["service-ips"])


@pytest.mark.unit
def test_nodes_with_overlapping_addresses_do_not_both_claim_them() -> None:
    twin = {**NODES[1], "metadata": {"name": "kind-worker9"}}
    svc = service("web", port(80), internalTrafficPolicy="Local")
    got = rules([svc], [slice_of("web", [sport(8080)], endpoint("10.244.1.5"))], [*NODES, twin])
    dispatch = got.chains[f"local-{chain_name_base('default', 'web', 'tcp', '')}"][1]
    assert dispatch.count("10.244.1.0/24") == 1 and dispatch.count("172.18.0.3") == 1


# --- nft itself reads it ------------------------------------------------------------------------


RICH = (
    [
        WEB,
        service(
            "np",
            port(80, name="http", nodePort=30080),
            ip="10.96.0.21",
            type="NodePort",
            sessionAffinity="ClientIP",
        ),
        service(
            "loc",
            port(53, protocol="UDP", nodePort=30053),
            ip="10.96.0.22",
            type="NodePort",
            internalTrafficPolicy="Local",
            externalTrafficPolicy="Local",
        ),
        service(
            "lb",
            port(80, protocol="SCTP", nodePort=30081),
            ip="10.96.0.23",
            type="LoadBalancer",
            loadBalancerSourceRanges=["172.18.0.0/16"],
            externalIPs=["192.0.2.10"],
            status={"loadBalancer": {"ingress": [{"ip": "172.18.255.1"}]}},
        ),
        service("empty", port(80, nodePort=30082), ip="10.96.0.24", type="NodePort"),
    ],
    [
        WEB_SLICE,
        slice_of(
            "np",
            [sport(8080, name="http")],
            endpoint("10.244.1.5"),
            endpoint("10.244.2.5", "kind-worker2"),
        ),
        slice_of("loc", [sport(5353, protocol="UDP")], endpoint("10.244.1.6")),
        slice_of(
            "lb",
            [sport(80, protocol="SCTP")],
            endpoint("10.244.2.7", "kind-worker2", ready=False, serving=True, terminating=True),
        ),
    ],
)
RICH[0][3]["status"] = RICH[0][3]["spec"].pop("status")


@needs_nft
@pytest.mark.parametrize("services, slices", [pytest.param(*RICH, id="every-feature"), *BAD_INPUT])
def test_nft_accepts_the_generated_script(services: list[Obj], slices: list[Obj]) -> None:
    done = nft_check(proxy_ruleset([*services, GOOD], [*slices, GOOD_SLICE], NODES))
    assert done.returncode == 0, done.stderr


# --- traffic through the rules ----------------------------------------------------------------------


def program(lab: FabricLab, services: list[Obj], slices: list[Obj]) -> None:
    """Make the lab's fabric hold kube-proxy's rules for these Services."""
    lab.apply(proxy_ruleset(services, slices, NODES))


PODS = {
    "web-1": "10.244.1.5",
    "web-2": "10.244.2.5",
    "client": "10.244.1.9",
    "client2": "10.244.2.9",
}


@pytest.fixture(scope="module")
def lab() -> Iterator[FabricLab]:
    if missing_tools():
        pytest.skip(f"needs {', '.join(missing_tools())}; .ci/run installs nftables and util-linux")
    with FabricLab() as lab:
        for name, ip in PODS.items():
            lab.add_pod(name, ip)
        for name in ("web-1", "web-2"):
            lab.listen(name, 8080)
            lab.listen(name, 5353, proto="udp")
        # kubesim's own sockets in the fabric: the API server and the cluster DNS
        lab.listen(None, 6443)
        lab.listen(None, 53, proto="udp", host="10.96.0.10")  # UDP answers from where it was asked
        yield lab


def web(*endpoints: Obj, **spec: Any) -> tuple[list[Obj], list[Obj]]:
    svc = service("web", port(80, name="http", nodePort=30080), type="NodePort", **spec)
    return [svc], [slice_of("web", [sport(8080, name="http")], *endpoints)]


BOTH = (endpoint("10.244.1.5", "kind-worker"), endpoint("10.244.2.5", "kind-worker2"))


def hits(
    lab: FabricLab, pod: str | None, ip: str, port: int, times: int = 24, **more: Any
) -> Counter[str]:
    return Counter(lab.connect(pod, ip, port, **more).split(" ")[0] for _ in range(times))


def test_two_endpoints_both_receive_traffic_through_the_cluster_ip(lab: FabricLab) -> None:
    program(lab, *web(*BOTH))
    got = hits(lab, "client", "10.96.0.20", 80)
    assert set(got) == {"web-1", "web-2"}, got
    assert lab.connect("client", "10.96.0.20", 80).endswith(" 10.244.1.9")  # a pod's own address


def test_the_fabric_itself_reaches_a_cluster_ip_through_the_output_hook(lab: FabricLab) -> None:
    program(lab, *web(*BOTH))
    assert set(hits(lab, None, "10.96.0.20", 80, times=16)) == {"web-1", "web-2"}


def test_a_service_with_no_endpoints_refuses_the_connection(lab: FabricLab) -> None:
    program(lab, *web())
    assert lab.connect("client", "10.96.0.20", 80) == "ECONNREFUSED"
    assert lab.connect(None, "10.96.0.20", 80) == "ECONNREFUSED"
    assert lab.connect("client", "172.18.0.3", 30080) == "ECONNREFUSED"


def test_removing_an_endpoint_takes_effect_on_the_next_apply(lab: FabricLab) -> None:
    program(lab, *web(*BOTH))
    assert set(hits(lab, "client", "10.96.0.20", 80)) == {"web-1", "web-2"}
    program(lab, *web(BOTH[1], endpoint("10.244.1.5", "kind-worker", ready=False)))
    assert hits(lab, "client", "10.96.0.20", 80, times=12) == {"web-2": 12}


def test_a_node_port_answers_on_each_node_address_masqueraded(lab: FabricLab) -> None:
    program(lab, *web(*BOTH))
    for node_ip in ("172.18.0.2", "172.18.0.3", "172.18.0.4"):
        pod, _, source = lab.connect("client", node_ip, 30080).partition(" ")
        assert pod in {"web-1", "web-2"} and source != "10.244.1.9", (node_ip, pod, source)
        assert lab.connect(None, node_ip, 30080).split(" ")[0] in {"web-1", "web-2"}


def test_external_traffic_policy_local_still_serves_pods_on_any_node_port(lab: FabricLab) -> None:
    # kube-proxy short-circuits pod traffic past the Local policy: only outside clients
    # are kept to the addressed node's endpoints (and the fabric has no outside)
    program(lab, *web(BOTH[0], externalTrafficPolicy="Local"))
    assert lab.connect("client2", "172.18.0.4", 30080) == "web-1 10.244.2.9"


def test_a_pod_reaching_itself_through_its_service_is_masqueraded(lab: FabricLab) -> None:
    program(lab, *web(BOTH[0]))
    pod, _, source = lab.connect("web-1", "10.96.0.20", 80).partition(" ")
    assert pod == "web-1" and source != "10.244.1.5"


def test_udp_through_a_cluster_ip(lab: FabricLab) -> None:
    svc = service("dns", port(53, protocol="UDP"), ip="10.96.0.11")
    eps = slice_of("dns", [sport(5353, protocol="UDP")], endpoint("10.244.2.5", "kind-worker2"))
    program(lab, [svc], [eps])
    assert lab.connect("client", "10.96.0.11", 53, proto="udp") == "web-2 10.244.1.9"


def test_client_ip_affinity_keeps_a_client_on_one_endpoint(lab: FabricLab) -> None:
    program(lab, *web(*BOTH, sessionAffinity="ClientIP"))
    assert len(hits(lab, "client", "10.96.0.20", 80, times=12)) == 1


def test_internal_traffic_policy_local_keeps_traffic_on_the_clients_node(lab: FabricLab) -> None:
    program(lab, *web(*BOTH, internalTrafficPolicy="Local"))
    assert hits(lab, "client", "10.96.0.20", 80, times=8) == {"web-1": 8}
    assert hits(lab, "client2", "10.96.0.20", 80, times=8) == {"web-2": 8}
    program(lab, *web(BOTH[0], internalTrafficPolicy="Local"))
    assert lab.connect("client2", "10.96.0.20", 80, timeout=0.5) == "timeout"  # dropped, as on kind


def test_unknown_ports_are_refused_and_unallocated_or_outside_addresses_go_nowhere(
    lab: FabricLab,
) -> None:
    program(lab, *web(*BOTH))
    assert lab.connect("client", "10.96.0.20", 81) == "ECONNREFUSED"
    assert lab.connect("client", "10.96.7.7", 80, timeout=0.5) == "timeout"
    assert lab.connect("client", "192.0.2.1", 80, timeout=0.5) == "ENETUNREACH"


def test_kubernetes_default_reaches_the_api_server_listening_in_the_fabric(lab: FabricLab) -> None:
    # as bootstrap.py writes them: no nodeName, the control plane's address, port 6443
    svc = service("kubernetes", port(443, name="https"), ip="10.96.0.1")
    eps = slice_of("kubernetes", [sport(6443, name="https")], endpoint("172.18.0.2", node=None))
    program(lab, [svc], [eps])
    assert lab.connect("client", "10.96.0.1", 443) == "fabric 10.244.1.9"
    assert lab.connect(None, "10.96.0.1", 443).startswith("fabric ")


def test_the_cluster_dns_address_is_left_to_the_fabrics_own_server(lab: FabricLab) -> None:
    # a kube-dns Service without endpoints must not reject what kubesim's DNS answers
    dns = service("kube-dns", port(53, name="dns", protocol="UDP"), ip="10.96.0.10")
    program(lab, [dns], [])
    assert lab.connect("client", "10.96.0.10", 53, proto="udp") == "fabric 10.244.1.9"
    assert lab.connect(None, "10.96.0.10", 53, proto="udp").startswith("fabric ")
    assert "10.96.0.10" not in rules([dns], []).elements["cluster-ips"]
