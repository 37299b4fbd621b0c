"""A pod's /etc/resolv.conf and /etc/hosts from its dnsPolicy, dnsConfig and hostAliases, as
the docs' "DNS for Services and Pods" and "Adding entries to Pod /etc/hosts with HostAliases"
show them (in containerd's order: search, nameservers, options)."""

from __future__ import annotations

from kubesim.kubelet._dnsconfig import host_alias_lines, pod_dns
from kubesim.kubelet._rootfs import CLUSTER_DNS, PodIdentity, hosts_file, resolv_conf

SEARCH = ("lab.svc.cluster.local", "svc.cluster.local", "cluster.local")


def _resolv(spec: dict) -> str:
    return resolv_conf(
        PodIdentity("p", "lab", "10.244.1.5", dns=pod_dns(spec, CLUSTER_DNS, SEARCH))
    )


def test_dns_policy_none_is_the_dns_config_alone() -> None:
    spec = {
        "dnsPolicy": "None",
        "dnsConfig": {
            "nameservers": ["192.0.2.1"],
            "searches": ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"],
            "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}],
        },
    }
    assert _resolv(spec) == (
        "search ns1.svc.cluster-domain.example my.dns.search.suffix\n"
        "nameserver 192.0.2.1\n"
        "options ndots:2 edns0\n"
    )


def test_cluster_first_appends_the_dns_config_and_merges_options_by_name() -> None:
    spec = {
        "dnsConfig": {
            "nameservers": ["192.0.2.1", CLUSTER_DNS],
            "searches": ["corp.example"],
            "options": [{"name": "ndots", "value": "1"}, {"name": "single-request"}],
        }
    }
    assert _resolv(spec) == (
        "search lab.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
        f"nameserver {CLUSTER_DNS}\nnameserver 192.0.2.1\n"
        "options ndots:1 single-request\n"
    )
    assert _resolv({}) == resolv_conf(PodIdentity("p", "lab", "10.244.1.5"))  # as before


def test_host_aliases_follow_the_managed_entries() -> None:
    spec = {
        "hostAliases": [
            {"ip": "127.0.0.1", "hostnames": ["foo.local", "bar.local"]},
            {"ip": "10.1.2.3", "hostnames": ["foo.remote", "bar.remote"]},
        ]
    }
    text = hosts_file(
        PodIdentity("hostaliases-pod", "lab", "10.244.1.5", host_aliases=host_alias_lines(spec))
    )
    assert text.endswith(
        "10.244.1.5\thostaliases-pod\n"
        "\n"
        "# Entries added by HostAliases.\n"
        "127.0.0.1\tfoo.local\tbar.local\n"
        "10.1.2.3\tfoo.remote\tbar.remote\n"
    )


def test_lines_past_the_resolvers_limits_are_cut_with_a_warning() -> None:
    """formDNSNameserversFitsLimits / formDNSSearchFitsLimits: ClusterFirst's nameserver plus
    three more keeps the first three, and says so in a DNSConfigForming warning."""
    spec = {"dnsConfig": {"nameservers": ["192.0.2.1", "192.0.2.2", "192.0.2.3"]}}
    dns = pod_dns(spec, CLUSTER_DNS, SEARCH)
    assert dns.nameservers == (CLUSTER_DNS, "192.0.2.1", "192.0.2.2")
    assert dns.warnings == (
        "Nameserver limits were exceeded, some nameservers have been omitted, the applied "
        f"nameserver line is: {CLUSTER_DNS} 192.0.2.1 192.0.2.2",
    )
    long = {
        "dnsPolicy": "None",
        "dnsConfig": {
            "nameservers": ["192.0.2.1"],
            "searches": [f"s{i}.example" for i in range(40)],
        },
    }
    cut = pod_dns(long, CLUSTER_DNS, SEARCH)
    assert len(cut.searches) == 32 and cut.warnings[0].startswith(
        "Search Line limits were exceeded"
    )
    assert pod_dns({}, CLUSTER_DNS, SEARCH).warnings == ()
