"""The docs' "Apply Pod Security Standards at the Namespace Level": a server-side dry run of
`kubectl label --overwrite ns --all pod-security.kubernetes.io/enforce=baseline` warns about
kube-system's pods as on kind (no namespace is exempt): the control-plane static pods use
host namespaces and hostPath volumes, kindnet adds capabilities, kube-proxy is privileged."""

from __future__ import annotations

from scenario_kubectl import Lab


def test_the_dry_run_warns_about_kube_systems_pods(lab: Lab) -> None:
    warned = lab.cluster.kubectl(
        "label", "--dry-run=server", "--overwrite", "ns", "--all",
        "pod-security.kubernetes.io/enforce=baseline",
    )  # fmt: skip
    lines = warned.stderr.splitlines()
    assert (
        'Warning: existing pods in namespace "kube-system" violate the new PodSecurity enforce '
        'level "baseline:latest"'
    ) in lines
    assert (
        "Warning: etcd-kubelab-control-plane (and 3 other pods): host namespaces, hostPath volumes"
    ) in lines
    kindnet = [line for line in lines if line.startswith("Warning: kindnet-")]
    assert [line.split(": ", 2)[2] for line in kindnet] == [
        "non-default capabilities, host namespaces, hostPath volumes"
    ]
    assert "(and 2 other pods)" in kindnet[0]
    proxy = [line for line in lines if line.startswith("Warning: kube-proxy-")]
    assert [line.split(": ", 2)[2] for line in proxy] == [
        "host namespaces, hostPath volumes, privileged"
    ]
    assert "namespace/kube-system labeled (server dry run)" in warned.stdout
    labels = lab.cluster.kubectl("get", "ns", "kube-system", "--show-labels").stdout
    assert "pod-security" not in labels  # a dry run
