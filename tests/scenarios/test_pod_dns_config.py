"""Two docs tasks about a pod's name resolution, run as written on the simulator: "Adding
entries to Pod /etc/hosts with HostAliases" (`kubectl logs hostaliases-pod`) and the
dnsConfig example of "DNS for Services and Pods" (`kubectl exec dns-example -- cat
/etc/resolv.conf`)."""

from __future__ import annotations

from scenario_kubectl import Lab

HOST_ALIASES = """
apiVersion: v1
kind: Pod
metadata:
  name: hostaliases-pod
spec:
  restartPolicy: Never
  hostAliases:
  - ip: "127.0.0.1"
    hostnames:
    - "foo.local"
    - "bar.local"
  - ip: "10.1.2.3"
    hostnames:
    - "foo.remote"
    - "bar.remote"
  containers:
  - name: cat-hosts
    image: busybox:1.28
    command:
    - cat
    args:
    - "/etc/hosts"
"""

DNS_EXAMPLE = """
apiVersion: v1
kind: Pod
metadata:
  name: dns-example
spec:
  containers:
    - name: test
      image: nginx
  dnsPolicy: "None"
  dnsConfig:
    nameservers:
      - 192.0.2.1 # this is an example
    searches:
      - ns1.svc.cluster-domain.example
      - my.dns.search.suffix
    options:
      - name: ndots
        value: "2"
      - name: edns0
"""


def test_host_aliases_are_added_to_the_pods_hosts_file(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=HOST_ALIASES)
    lab.wait_for(
        lambda: lab.get_json("pod", "hostaliases-pod")["status"].get("phase") == "Succeeded",
        timeout=lab.wall(60),
        what="the pod to print its hosts file",
    )
    hosts = lab.kubectl("logs", "hostaliases-pod").stdout
    assert hosts.startswith("# Kubernetes-managed hosts file.\n")
    assert hosts.endswith(
        "\n# Entries added by HostAliases.\n"
        "127.0.0.1\tfoo.local\tbar.local\n"
        "10.1.2.3\tfoo.remote\tbar.remote\n"
    )


def test_a_dns_policy_of_none_writes_the_dns_config_alone(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=DNS_EXAMPLE)
    lab.kubectl(
        "wait", "--for=condition=Ready", "pod/dns-example", f"--timeout={int(lab.wall(60))}s"
    )
    resolv = lab.kubectl("exec", "dns-example", "--", "cat", "/etc/resolv.conf").stdout
    assert resolv == (
        "search ns1.svc.cluster-domain.example my.dns.search.suffix\n"
        "nameserver 192.0.2.1\n"
        "options ndots:2 edns0\n"
    )
    refused = lab.kubectl(
        "run",
        "no-dns",
        "--image=busybox:1.36",
        "--overrides",
        '{"spec":{"dnsPolicy":"None"}}',
        "--",
        "sleep",
        "1",
        check=False,
    )
    assert "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None" in (
        refused.stderr
    )
