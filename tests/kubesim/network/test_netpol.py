"""NetworkPolicy as kindnet enforces it: the verdicts each rule kind yields, the nft script
the kernel accepts, and the same verdicts from real packets through a routed namespace lab."""

from __future__ import annotations

import time

import pytest
from _fabric_lab import FabricLab, missing_tools, nft_check

from kubesim.network.netpol import compile_policies, policy_ruleset

DNS = "10.96.0.10"
API_SERVER = "172.18.0.2"
WEB, CLIENT, STRANGER, DB, VISITOR = (
    "10.244.1.10",
    "10.244.1.11",
    "10.244.1.12",
    "10.244.2.10",
    "10.244.2.11",
)
NAMESPACES = [
    {"metadata": {"name": "default", "labels": {"team": "dev"}}},
    {"metadata": {"name": "prod", "labels": {"team": "prod"}}},
    {"metadata": {"name": "other"}},
    {"metadata": {"name": "kube-system"}},
]


def _pod(ns: str, name: str, ip: str, labels: dict, ports=(), *, phase="Running", **spec) -> dict:
    containers = [{"name": "c", "ports": [dict(p) for p in ports]}]
    return {
        "metadata": {"namespace": ns, "name": name, "labels": labels},
        "spec": {"containers": containers, **spec},
        "status": {"phase": phase, "podIP": ip, "podIPs": [{"ip": ip}]},
    }


PODS = [
    _pod(
        "default",
        "web",
        WEB,
        {"app": "web"},
        [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"},
            {"name": "syslog", "containerPort": 5514, "protocol": "UDP"},
        ],
    ),
    _pod("default", "client", CLIENT, {"app": "client"}),
    _pod("default", "stranger", STRANGER, {"app": "stranger"}),
    _pod("prod", "db", DB, {"app": "db"}, [{"name": "pg", "containerPort": 5432}]),
    _pod("other", "visitor", VISITOR, {"app": "client"}),
    _pod(
        "kube-system",
        "coredns-1",
        "10.244.0.2",
        {"k8s-app": "kube-dns"},
        [
            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
        ],
    ),
    _pod("default", "init-web", "10.244.1.20", {"app": "web"}, phase="Pending"),
    _pod("default", "done-web", "10.244.1.21", {"app": "web"}, phase="Succeeded"),
    _pod("default", "new-web", "", {"app": "web"}, phase="Pending"),
    _pod("default", "host-web", "172.18.0.3", {"app": "web"}, hostNetwork=True),
]


def _policy(name: str, spec: dict, ns: str = "default") -> dict:
    return {"metadata": {"namespace": ns, "name": name}, "spec": spec}


WEB_ONLY = {"matchLabels": {"app": "web"}}
DENY_INGRESS = _policy("deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
DENY_EGRESS_CLIENT = _policy(
    "deny-egress",
    {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"]},
)
ALLOW_DNS = _policy(
    "allow-dns",
    {
        "podSelector": {"matchLabels": {"app": "client"}},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                        },
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
            }
        ],
    },
)

# (policies, [(src, dst, port, proto, allowed)])
CASES = {
    "no-policy-allows-all": (
        [],
        [(CLIENT, WEB, 80, "TCP", True), (VISITOR, DB, 5432, "TCP", True)],
    ),
    "deny-all-ingress-isolates-the-namespace-only": (
        [DENY_INGRESS],
        [
            (CLIENT, WEB, 80, "TCP", False),
            (DB, WEB, 80, "UDP", False),
            (WEB, DB, 5432, "TCP", True),
            (CLIENT, DB, 5432, "TCP", True),
        ],
    ),
    "empty-ingress-list-denies-all": (
        [_policy("p", {"podSelector": WEB_ONLY, "ingress": []})],
        [(CLIENT, WEB, 80, "TCP", False), (WEB, CLIENT, 80, "TCP", True)],
    ),
    "rule-with-no-from-admits-everyone": (
        [_policy("p", {"podSelector": WEB_ONLY, "ingress": [{}]})],
        [(VISITOR, WEB, 80, "TCP", True), ("192.0.2.7", WEB, 9, "UDP", True)],
    ),
    "pod-selector-peer-is-in-the-policy-namespace": (
        [
            _policy(
                "p",
                {
                    "podSelector": WEB_ONLY,
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}],
                },
            )
        ],
        [
            (CLIENT, WEB, 80, "TCP", True),
            (CLIENT, WEB, 9999, "UDP", True),
            (STRANGER, WEB, 80, "TCP", False),
            (VISITOR, WEB, 80, "TCP", False),
        ],
    ),
    "match-expressions-select-peers": (
        [
            _policy(
                "p",
                {
                    "podSelector": WEB_ONLY,
                    "ingress": [
                        {
                            "from": [
                                {
                                    "podSelector": {
                                        "matchExpressions": [
                                            {
                                                "key": "app",
                                                "operator": "NotIn",
                                                "values": ["client"],
                                            }
                                        ]
                                    }
                                }
                            ]
                        }
                    ],
                },
            )
        ],
        [(CLIENT, WEB, 80, "TCP", False), (STRANGER, WEB, 80, "TCP", True)],
    ),
    "numeric-port-and-protocol": (
        [_policy("p", {"podSelector": WEB_ONLY, "ingress": [{"ports": [{"port": 80}]}]})],
        [
            (CLIENT, WEB, 80, "TCP", True),
            (CLIENT, WEB, 8080, "TCP", False),
            (CLIENT, WEB, 80, "UDP", False),
        ],
    ),
    "protocol-without-port-admits-every-port-of-it": (
        [_policy("p", {"podSelector": WEB_ONLY, "ingress": [{"ports": [{"protocol": "UDP"}]}]})],
        [(CLIENT, WEB, 5514, "UDP", True), (CLIENT, WEB, 5514, "TCP", False)],
    ),
    "end-port-range-is-inclusive": (
        [
            _policy(
                "p",
                {"podSelector": WEB_ONLY, "ingress": [{"ports": [{"port": 440, "endPort": 445}]}]},
            )
        ],
        [
            (CLIENT, WEB, 439, "TCP", False),
            (CLIENT, WEB, 440, "TCP", True),
            (CLIENT, WEB, 443, "TCP", True),
            (CLIENT, WEB, 445, "TCP", True),
            (CLIENT, WEB, 446, "TCP", False),
        ],
    ),
    "named-port-resolves-on-the-selected-pod": (
        [_policy("p", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]})],
        [
            (CLIENT, WEB, 8080, "TCP", True),
            (CLIENT, WEB, 80, "TCP", False),
            (WEB, CLIENT, 8080, "TCP", False),  # client declares no port named http
        ],
    ),
    "named-port-needs-its-protocol": (
        [
            _policy(
                "p",
                {
                    "podSelector": WEB_ONLY,
                    "ingress": [
                        {
                            "ports": [
                                {"port": "http", "protocol": "UDP"},
                                {"port": "syslog", "protocol": "UDP"},
                            ]
                        }
                    ],
                },
            )
        ],
        [
            (CLIENT, WEB, 8080, "TCP", False),
            (CLIENT, WEB, 8080, "UDP", False),
            (CLIENT, WEB, 5514, "UDP", True),
        ],
    ),
    "sctp-port": (
        [
            _policy(
                "p",
                {
                    "podSelector": WEB_ONLY,
                    "ingress": [{"ports": [{"port": 9000, "protocol": "SCTP"}]}],
                },
            )
        ],
        [(CLIENT, WEB, 9000, "SCTP", True), (CLIENT, WEB, 9000, "TCP", False)],
    ),
    "egress-only-policy-types-ignore-ingress-rules": (
        [
            _policy(
                "p",
                {
                    "podSelector": WEB_ONLY,
                    "policyTypes": ["Egress"],
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "nobody"}}}]}],
                    "egress": [{}],
                },
            )
        ],
        [(CLIENT, WEB, 80, "TCP", True), (WEB, DB, 5432, "TCP", True)],
    ),
    "namespace-selector-by-label": (
        [
            _policy(
                "p",
                {
                    "podSelector": {},
                    "ingress": [
                        {"from": [{"namespaceSelector": {"matchLabels": {"team": "dev"}}}]}
                    ],
                },
                ns="prod",
            )
        ],
        [
            (CLIENT, DB, 5432, "TCP", True),
            (STRANGER, DB, 5432, "TCP", True),
            (VISITOR, DB, 5432, "TCP", False),
        ],
    ),
    "namespace-selector-by-metadata-name": (
        [
            _policy(
                "p",
                {
                    "podSelector": {},
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {"kubernetes.io/metadata.name": "other"}
                                    }
                                }
                            ]
                        }
                    ],
                },
                ns="prod",
            )
        ],
        [(VISITOR, DB, 5432, "TCP", True), (CLIENT, DB, 5432, "TCP", False)],
    ),
    "namespace-and-pod-selector-in-one-peer-intersect": (
        [
            _policy(
                "p",
                {
                    "podSelector": {},
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {},
                                    "podSelector": {"matchLabels": {"app": "client"}},
                                }
                            ]
                        }
                    ],
                },
                ns="prod",
            )
        ],
        [
            (CLIENT, DB, 5432, "TCP", True),
            (VISITOR, DB, 5432, "TCP", True),
            (STRANGER, DB, 5432, "TCP", False),
        ],
    ),
    "two-peers-are-a-union": (
        [
            _policy(
                "p",
                {
                    "podSelector": {},
                    "ingress": [
                        {
                            "from": [
                                {"namespaceSelector": {"matchLabels": {"team": "dev"}}},
                                {"podSelector": {"matchLabels": {"app": "client"}}},
                            ]
                        }
                    ],
                },
                ns="prod",
            )
        ],
        [
            (STRANGER, DB, 5432, "TCP", True),
            (VISITOR, DB, 5432, "TCP", False),  # app=client, but not in prod
        ],
    ),
    "ip-block-with-except": (
        [
            _policy(
                "p",
                {
                    "podSelector": {},
                    "ingress": [
                        {
                            "from": [
                                {
                                    "ipBlock": {
                                        "cidr": "10.244.1.0/24",
                                        "except": ["10.244.1.12/32"],
                                    }
                                }
                            ]
                        }
                    ],
                },
                ns="prod",
            )
        ],
        [
            (CLIENT, DB, 5432, "TCP", True),
            (WEB, DB, 5432, "TCP", True),
            (STRANGER, DB, 5432, "TCP", False),
            (VISITOR, DB, 5432, "TCP", False),
        ],
    ),
    "policies-add-up": (
        [
            _policy(
                "a",
                {
                    "podSelector": WEB_ONLY,
                    "ingress": [
                        {
                            "from": [{"podSelector": {"matchLabels": {"app": "client"}}}],
                            "ports": [{"port": 80}],
                        }
                    ],
                },
            ),
            _policy(
                "b",
                {
                    "podSelector": WEB_ONLY,
                    "ingress": [
                        {
                            "from": [{"podSelector": {"matchLabels": {"app": "stranger"}}}],
                            "ports": [{"port": 8080}],
                        }
                    ],
                },
            ),
        ],
        [
            (CLIENT, WEB, 80, "TCP", True),
            (CLIENT, WEB, 8080, "TCP", False),
            (STRANGER, WEB, 8080, "TCP", True),
            (STRANGER, WEB, 80, "TCP", False),
        ],
    ),
    "egress-deny-blocks-pods-and-dns": (
        [DENY_EGRESS_CLIENT],
        [
            (CLIENT, WEB, 80, "TCP", False),
            (CLIENT, DNS, 53, "UDP", False),
            (WEB, CLIENT, 80, "TCP", True),  # ingress of client is not isolated
            (STRANGER, DNS, 53, "UDP", True),
        ],
    ),
    "egress-to-kube-dns-pods-reaches-the-cluster-dns": (
        [ALLOW_DNS],
        [
            (CLIENT, DNS, 53, "UDP", True),
            (CLIENT, DNS, 53, "TCP", True),
            (CLIENT, DNS, 80, "TCP", False),
            (CLIENT, WEB, 80, "TCP", False),
        ],
    ),
    "egress-named-port-resolves-on-the-destination": (
        [
            _policy(
                "p",
                {
                    "podSelector": {"matchLabels": {"app": "client"}},
                    "policyTypes": ["Egress"],
                    "egress": [{"ports": [{"port": "http"}, {"port": "dns", "protocol": "UDP"}]}],
                },
            )
        ],
        [
            (CLIENT, WEB, 8080, "TCP", True),
            (CLIENT, DB, 8080, "TCP", False),
            (CLIENT, DNS, 53, "UDP", True),
            (CLIENT, DNS, 53, "TCP", False),
        ],
    ),
    "egress-rules-without-policy-types-isolate-egress": (
        [
            _policy(
                "p",
                {
                    "podSelector": {"matchLabels": {"app": "client"}},
                    "egress": [{"to": [{"podSelector": WEB_ONLY}]}],
                },
            )
        ],
        [
            (CLIENT, WEB, 80, "TCP", True),
            (CLIENT, STRANGER, 80, "TCP", False),
            (STRANGER, CLIENT, 80, "TCP", False),  # and ingress, as the API defaults it
        ],
    ),
    "egress-ip-block-outside-the-cluster": (
        [
            _policy(
                "p",
                {
                    "podSelector": {"matchLabels": {"app": "client"}},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}
                    ],
                },
            )
        ],
        [(CLIENT, "192.0.2.7", 443, "TCP", True), (CLIENT, WEB, 80, "TCP", False)],
    ),
    "a-pod-cannot-block-access-to-itself": (
        [DENY_INGRESS, DENY_EGRESS_CLIENT],
        [(WEB, WEB, 80, "TCP", True), (CLIENT, CLIENT, 80, "TCP", True)],
    ),
    "both-ends-must-allow": (
        [
            _policy(
                "out",
                {
                    "podSelector": {"matchLabels": {"app": "client"}},
                    "policyTypes": ["Egress"],
                    "egress": [{}],
                },
            ),
            _policy("in", {"podSelector": WEB_ONLY, "policyTypes": ["Ingress"]}),
        ],
        [(CLIENT, WEB, 80, "TCP", False), (CLIENT, STRANGER, 80, "TCP", True)],
    ),
}


@pytest.mark.unit
@pytest.mark.parametrize("case", CASES)
def test_verdicts_follow_the_networkpolicy_spec(case: str) -> None:
    policies, expectations = CASES[case]
    model = compile_policies(policies, PODS, NAMESPACES)
    got = [
        (s, d, port, proto, model.allowed(s, d, port, proto))
        for s, d, port, proto, _ in expectations
    ]
    assert got == expectations


@pytest.mark.unit
def test_pods_holding_an_ip_are_selected_finished_and_host_network_ones_are_not() -> None:
    # a Pending pod with an IP runs its init containers; a Succeeded one gave its IP back
    model = compile_policies(
        [_policy("p", {"podSelector": WEB_ONLY, "policyTypes": ["Ingress", "Egress"]})],
        PODS,
        NAMESPACES,
    )
    assert model.ingress_isolated == model.egress_isolated == {WEB, "10.244.1.20"}


@pytest.mark.unit
def test_unreadable_selector_selects_nothing() -> None:
    broken = {"matchExpressions": [{"key": "app", "operator": "Near", "values": ["x"]}]}
    model = compile_policies([_policy("p", {"podSelector": broken})], PODS, NAMESPACES)
    assert model.ingress_isolated == frozenset()


MALFORMED = [
    "not a policy",
    {"metadata": "x", "spec": {"podSelector": {}, "ingress": "nope"}},
    _policy("unreadable", {"podSelector": {"matchLabels": "app"}}),
    _policy(
        "garbage-rules",
        {
            "podSelector": WEB_ONLY,
            "ingress": [
                5,
                {"from": ["x", {"ipBlock": "10.0.0.0/8"}, {"ipBlock": {"cidr": "bogus"}}]},
                {"ports": [{"port": 70000}, {"port": True}, {"port": "http", "protocol": "ICMP"}]},
            ],
        },
    ),
    _policy('quote"; flush ruleset; "', {"podSelector": {"matchLabels": {"app": "db"}}}, ns="prod"),
]
MALFORMED_PODS = [None, {"metadata": 5}, {"status": {"podIP": "not-an-ip", "phase": "Running"}}]


@pytest.mark.unit
def test_objects_older_validation_let_in_deny_nothing_more_and_never_raise() -> None:
    model = compile_policies(MALFORMED, PODS + MALFORMED_PODS, [*NAMESPACES, {"metadata": []}])
    assert model.ingress_isolated == {WEB, "10.244.1.20", DB}
    assert not model.allowed(CLIENT, WEB, 8080)  # garbage peers and ports allow nothing
    assert model.allowed(CLIENT, STRANGER, 80)


@pytest.mark.unit
def test_the_script_replaces_the_whole_table_in_one_transaction() -> None:
    script = policy_ruleset([DENY_INGRESS], PODS, NAMESPACES)
    lines = script.splitlines()
    assert lines[:3] == [
        "table inet kubesim-netpol {}",
        "delete table inet kubesim-netpol",
        "table inet kubesim-netpol {",
    ]
    assert "type filter hook forward priority filter; policy accept;" in script
    assert "ct state established,related accept" in script
    assert "reject" not in script  # denied connections time out, as on kind


@pytest.mark.unit
def test_the_same_objects_in_any_order_give_the_same_script() -> None:
    # so a sync loop can skip `nft -f` when nothing changed
    policies = [p for case in CASES.values() for p in case[0]]
    script = policy_ruleset(policies, PODS, NAMESPACES)
    again = policy_ruleset(policies[::-1], PODS[::-1], NAMESPACES[::-1])
    assert script == again


@pytest.mark.unit
def test_ruleset_grows_in_set_elements_not_rules_with_more_pods() -> None:
    def rules(n: int) -> int:
        pods = [
            _pod("default", f"p{i}", f"10.244.{i // 250}.{i % 250 + 2}", {"app": "web"})
            for i in range(n)
        ]
        policy = _policy(
            "p",
            {
                "podSelector": WEB_ONLY,
                "ingress": [{"from": [{"podSelector": WEB_ONLY}], "ports": [{"port": 80}]}],
            },
        )
        script = policy_ruleset([policy], pods, NAMESPACES)
        return sum(1 for line in script.splitlines() if line.startswith("    "))

    assert rules(3) == rules(600)


# --- the kernel accepts every script ------------------------------------------------------


needs_nft = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"needs {', '.join(missing_tools())} (Debian: nftables, iproute2, util-linux; .ci/run installs them)",
)


@needs_nft
@pytest.mark.parametrize("case", CASES)
def test_nft_accepts_the_generated_script(case: str) -> None:
    policies, _ = CASES[case]
    done = nft_check(policy_ruleset(policies, PODS, NAMESPACES))
    assert done.returncode == 0, done.stderr


@needs_nft
def test_nft_accepts_the_script_for_malformed_objects() -> None:
    done = nft_check(policy_ruleset(MALFORMED, PODS + MALFORMED_PODS, NAMESPACES))
    assert done.returncode == 0, done.stderr


@needs_nft
def test_nft_accepts_a_large_cluster_script_quickly() -> None:
    pods = [
        _pod(
            "default",
            f"p{i}",
            f"10.244.{i // 250}.{i % 250 + 2}",
            {"app": "web"},
            [{"name": "http", "containerPort": 8000 + i % 7}],
        )
        for i in range(1000)
    ]
    policy = _policy(
        "p",
        {
            "podSelector": WEB_ONLY,
            "ingress": [{"from": [{"podSelector": WEB_ONLY}], "ports": [{"port": "http"}]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.244.3.0/24"]}}]}],
        },
    )
    script = policy_ruleset([policy], pods, NAMESPACES)
    started = time.monotonic()
    done = nft_check(script)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10


# --- real packets ---------------------------------------------------------------------------

LAB_PORTS = {"tcp": [80, 443, 5432, 8080], "udp": [5514]}
LAB_PODS = {"web": WEB, "client": CLIENT, "stranger": STRANGER, "db": DB, "visitor": VISITOR}
NAME_OF = {ip: name for name, ip in LAB_PODS.items()}


@pytest.fixture(scope="module")
def lab():
    if missing_tools():
        pytest.skip(f"needs {', '.join(missing_tools())} (.ci/run installs nftables)")
    with FabricLab() as lab:
        for name, ip in LAB_PODS.items():
            lab.add_pod(name, ip)
            for proto, ports in LAB_PORTS.items():
                for port in ports:
                    lab.listen(name, port, proto=proto)
        # kubesim's own sockets in the fabric: the cluster DNS and, on the control-plane
        # node's address, the API server
        for proto in ("tcp", "udp"):
            lab.listen(None, 53, proto=proto, host=DNS, name="dns")
        lab.listen(None, 6443, host=API_SERVER, name="apiserver")
        yield lab


def _through_kernel(lab: FabricLab, policies: list[dict], probes: list[tuple]) -> list[str]:
    """Apply the policies' ruleset, probe, and check the kernel agrees with the model."""
    lab.apply(policy_ruleset(policies, PODS, NAMESPACES))
    model = compile_policies(policies, PODS, NAMESPACES)
    wire = [(NAME_OF.get(s, s), d, port, proto) for s, d, port, proto in probes]
    results = lab.probe(wire)
    for (src, dst, port, proto), result in zip(probes, results, strict=True):
        expected = src == "node" or model.allowed(src, dst, port, proto.upper())
        assert result.startswith("ok:") == expected, (src, dst, port, proto, result)
    return results


def test_default_deny_drops_so_the_connection_times_out(lab: FabricLab) -> None:
    probes = [
        (CLIENT, WEB, 80, "tcp"),
        (CLIENT, WEB, 5514, "udp"),
        ("node", WEB, 80, "tcp"),  # the kubelet's probes come from the node
        (WEB, DB, 5432, "tcp"),
    ]
    assert _through_kernel(lab, [], probes) == ["ok:web", "ok:web", "ok:web", "ok:db"]
    assert _through_kernel(lab, [DENY_INGRESS], probes) == ["timeout", "timeout", "ok:web", "ok:db"]


def test_an_allow_rule_admits_its_peer_and_port_only(lab: FabricLab) -> None:
    allow = _policy(
        "allow-client",
        {
            "podSelector": WEB_ONLY,
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"app": "client"}}}],
                    "ports": [{"port": "http"}, {"port": 440, "endPort": 445}],
                }
            ],
        },
    )
    probes = [
        (CLIENT, WEB, 8080, "tcp"),
        (CLIENT, WEB, 443, "tcp"),
        (CLIENT, WEB, 80, "tcp"),
        (STRANGER, WEB, 8080, "tcp"),
        (VISITOR, WEB, 8080, "tcp"),
    ]
    results = _through_kernel(lab, [DENY_INGRESS, allow], probes)
    assert results == ["ok:web", "ok:web", "timeout", "timeout", "timeout"]


def test_egress_deny_breaks_dns_until_egress_allows_it(lab: FabricLab) -> None:
    probes = [(CLIENT, DNS, 53, "udp"), (CLIENT, DNS, 53, "tcp"), (CLIENT, WEB, 80, "tcp")]
    assert _through_kernel(lab, [DENY_EGRESS_CLIENT], probes) == ["timeout"] * 3
    results = _through_kernel(lab, [DENY_EGRESS_CLIENT, ALLOW_DNS], probes)
    assert results == ["ok:dns", "ok:dns", "timeout"]


def test_removing_the_policy_restores_traffic(lab: FabricLab) -> None:
    probes = [(CLIENT, WEB, 80, "tcp"), (STRANGER, DB, 5432, "tcp")]
    assert _through_kernel(lab, [DENY_INGRESS], probes) == ["timeout", "ok:db"]
    assert _through_kernel(lab, [], probes) == ["ok:web", "ok:db"]


def test_namespace_selector_and_ip_block_except(lab: FabricLab) -> None:
    policies = [
        _policy(
            "from-dev",
            {
                "podSelector": {},
                "ingress": [
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"team": "dev"}}}],
                        "ports": [{"port": 5432}],
                    },
                    {
                        "from": [
                            {"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.1.0/24"]}}
                        ],
                        "ports": [{"port": 443}],
                    },
                ],
            },
            ns="prod",
        )
    ]
    probes = [
        (CLIENT, DB, 5432, "tcp"),
        (VISITOR, DB, 5432, "tcp"),
        (VISITOR, DB, 443, "tcp"),
        (CLIENT, DB, 443, "tcp"),
    ]
    assert _through_kernel(lab, policies, probes) == ["ok:db", "timeout", "ok:db", "timeout"]


def test_replies_of_admitted_connections_pass_an_egress_deny(lab: FabricLab) -> None:
    # web may not start connections, yet answers the ones its ingress admits
    deny_web_egress = _policy("quiet-web", {"podSelector": WEB_ONLY, "policyTypes": ["Egress"]})
    probes = [(CLIENT, WEB, 80, "tcp"), (CLIENT, WEB, 5514, "udp"), (WEB, CLIENT, 80, "tcp")]
    results = _through_kernel(lab, [deny_web_egress], probes)
    assert results == ["ok:web", "ok:web", "timeout"]


def test_established_connections_outlive_a_new_deny_as_on_kindnet(lab: FabricLab) -> None:
    # kindnet judges a connection's first packet; conntrack carries the rest
    lab.apply(policy_ruleset([], PODS, NAMESPACES))
    assert lab.probe([("client", WEB, 443, "hold")]) == ["ok:web"]
    lab.apply(policy_ruleset([DENY_INGRESS], PODS, NAMESPACES))
    assert lab.probe([("client", WEB, 443, "poke"), ("client", WEB, 443, "tcp")]) == [
        "ok:x",
        "timeout",
    ]


SERVICE = "10.96.5.5"
KUBE_PROXY_STANDIN = f"""
table ip lab-proxy {{}}
delete table ip lab-proxy
table ip lab-proxy {{
  chain prerouting {{
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr {SERVICE} tcp dport 80 dnat to {WEB}:80
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr {WEB} ip daddr {WEB} masquerade
  }}
}}
"""


def test_service_traffic_is_judged_after_dnat_and_a_pod_reaches_itself(lab: FabricLab) -> None:
    # kube-proxy's DNAT happens in prerouting, before the forward hook sees the packet;
    # hairpin traffic is masqueraded after it, as kube-proxy does
    lab.apply(KUBE_PROXY_STANDIN)
    allow = _policy(
        "allow-client",
        {
            "podSelector": WEB_ONLY,
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}],
        },
    )
    lab.apply(policy_ruleset([DENY_INGRESS, allow], PODS, NAMESPACES))
    probes = [
        ("client", SERVICE, 80, "tcp"),
        ("stranger", SERVICE, 80, "tcp"),
        ("web", SERVICE, 80, "tcp"),
    ]
    assert lab.probe(probes) == ["ok:web", "timeout", "ok:web"]


def test_egress_to_the_node_address_is_judged_by_ip_block(lab: FabricLab) -> None:
    # kubernetes.default leads to the API server on the control-plane node's address, which
    # the fabric serves itself: pods' egress there passes the input hook
    to_api = _policy(
        "to-api",
        {
            "podSelector": {"matchLabels": {"app": "client"}},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"ipBlock": {"cidr": f"{API_SERVER}/32"}}], "ports": [{"port": 6443}]}
            ],
        },
    )
    probes = [
        (CLIENT, API_SERVER, 6443, "tcp"),
        (STRANGER, API_SERVER, 6443, "tcp"),
        (CLIENT, DNS, 53, "udp"),
    ]
    assert _through_kernel(lab, [DENY_EGRESS_CLIENT], probes) == [
        "timeout",
        "ok:apiserver",
        "timeout",
    ]
    results = _through_kernel(lab, [DENY_EGRESS_CLIENT, to_api], probes)
    assert results == ["ok:apiserver", "ok:apiserver", "timeout"]
