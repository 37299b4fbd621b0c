"""What the fabric's data plane hands to kube-proxy's rules, and how a container joins a pod's
network namespace."""

from __future__ import annotations

import pytest

from kubesim.kubelet._world import NAMESPACES, Isolation
from kubesim.network.dataplane import proxied_services
from kubesim.network.fabric import describe, veth_name


def _svc(namespace: str, name: str) -> dict:
    return {"metadata": {"namespace": namespace, "name": name}, "spec": {"clusterIP": "10.96.0.9"}}


@pytest.mark.unit
def test_kube_dns_is_answered_by_kubesim_not_dnatted_to_its_stand_in_pods():
    services = [
        _svc("kube-system", "kube-dns"),
        _svc("default", "kubernetes"),
        _svc("lab", "kube-dns"),
    ]
    kept = [(s["metadata"]["namespace"], s["metadata"]["name"]) for s in proxied_services(services)]
    assert kept == [("default", "kubernetes"), ("lab", "kube-dns")]


@pytest.mark.unit
@pytest.mark.parametrize(
    "rootless, joins",
    [
        pytest.param(False, ["--net=/proc/7/ns/net"], id="root"),
        pytest.param(
            True,
            ["--preserve-credentials", "--user=/proc/3/ns/user", "--net=/proc/7/ns/net"],
            id="rootless-joins-the-fabric-user-namespace-first",
        ),
    ],
)
def test_a_container_joins_its_pod_sandbox_before_its_own_namespaces(rootless, joins):
    isolation = Isolation(NAMESPACES, user_namespace=rootless)
    argv = isolation.unshare_argv(
        netns="/proc/7/ns/net", userns="/proc/3/ns/user" if rootless else None
    )
    split = argv.index("--")
    assert argv[0].endswith("nsenter") and argv[1:split] == joins
    rest = argv[split + 1 :]
    assert rest[0].endswith("unshare") and "--user" not in rest  # root in the fabric's already
    assert {"--pid", "--mount", "--uts", "--ipc"} <= set(rest) and "--net" not in rest
    assert "--net" in isolation.enter_argv(42, net=True)  # exec lands in the pod's network
    assert "--net" not in isolation.enter_argv(42)


@pytest.mark.unit
def test_veth_names_fit_ifnamsiz_and_differ_per_pod():
    assert len(veth_name("5f1c8a2e-0000-4000-8000-000000000001")) == 15
    assert veth_name("a") != veth_name("b")


@pytest.mark.unit
def test_the_shim_says_why_and_what_it_costs():
    assert describe("")["mode"] == "fabric"
    shim = describe("`nft` (nftables) not installed")
    assert shim["mode"] == "loopback"
    assert shim["reason"] == "`nft` (nftables) not installed"  # `kubelab up` quotes it
    assert shim["description"].startswith("loopback shim (`nft` (nftables) not installed)")
    assert "cannot reach a Service" in shim["description"]
