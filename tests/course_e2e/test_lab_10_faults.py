"""Lab 10's faults, each shown with the kubectl commands its notebook teaches (issue 20: a test
per fault proving its symptom is visible), and its shortcuts scoring 0, on the served
simulator's cluster network (pods in network namespaces, kube-proxy and the policies in
nftables, the cluster DNS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LabCluster = Any  # the `lab_cluster` fixture's type, from this folder's conftest
LAB = "10-networking"
NS = "lab-10"
SOLUTION = ROOT / "labs" / LAB / "solution"
DEBUG = ("run", "-i", "--rm", "--restart=Never", "--image=busybox:1.36")


def _kubectl(cluster: LabCluster, *args: str, check: bool = True) -> str:
    proc = cluster.run("kubectl", "--namespace", NS, *args, check=check, timeout=120)
    return proc.stdout + proc.stderr


def test_service_faults_show_in_endpointslices_describe_and_a_debug_request(
    lab_cluster: LabCluster,
):
    """selector-typo: an empty EndpointSlice, `describe svc` with the typo and no Endpoints,
    the name resolves and the connection is refused. wrong-target-port: the endpoints on port
    80, refused there; the pod answers on 8080."""
    lab_cluster.run("kubelab", "reset", LAB, "--yes")
    lab_cluster.run("kubelab", "break", "selector-typo")
    slices = _kubectl(
        lab_cluster, "get", "endpointslices", "-l", "kubernetes.io/service-name=inference-service"
    )
    assert "<unset>   <unset>" in slices, slices
    described = _kubectl(lab_cluster, "describe", "svc", "inference-service")
    assert "Selector:                 app=inferense" in described, described
    assert "Endpoints:                \n" in described, described
    request = _kubectl(
        lab_cluster,
        *DEBUG,
        "debug",
        "--",
        "wget",
        "-qO-",
        "http://inference-service:8080/version",
        check=False,
    )
    assert "Connection refused" in request, request  # resolved, then refused: no endpoint
    assert "bad address" not in request, request

    lab_cluster.run("kubelab", "break", "wrong-target-port")
    described = _kubectl(lab_cluster, "describe", "svc", "inference-service")
    assert "TargetPort:               80/TCP" in described, described
    endpoints = next(line for line in described.splitlines() if line.startswith("Endpoints:"))
    # every endpoint on 80 (how many are listed depends on readiness at that moment)
    assert ":80" in endpoints and ":8080" not in endpoints, described
    pod_ip = _kubectl(
        lab_cluster, "get", "pods", "-l", "app=inference", "-o", "jsonpath={.items[0].status.podIP}"
    ).strip()
    script = f"wget -qO- http://{pod_ip}:80/version; echo; wget -qO- http://{pod_ip}:8080/version"
    both = _kubectl(lab_cluster, *DEBUG, "debug", "--", "sh", "-c", script, check=False)
    assert "Connection refused" in both and '"version": "2.4.0"' in both, both
    probe = _kubectl(lab_cluster, "logs", "web-probe")
    assert "-> ConnectionRefusedError" in probe and "-> 200" not in probe, probe


def test_egress_fault_times_out_lookups_while_the_cluster_ip_answers(lab_cluster: LabCluster):
    lab_cluster.run("kubelab", "reset", LAB, "--yes")
    lab_cluster.run("kubelab", "break", "egress-breaks-dns")
    described = _kubectl(lab_cluster, "describe", "networkpolicy", "loadgen-egress")
    assert "Allowing egress traffic:" in described and "8080/TCP" in described, described
    script = (
        "nslookup inference-service.lab-10.svc.cluster.local; "
        "wget -qO- http://$INFERENCE_SERVICE_SERVICE_HOST:8080/version"
    )
    args = ("--labels", "role=loadgen", "egress-test", "--", "sh", "-c", script)
    out = _kubectl(lab_cluster, *DEBUG, *args, check=False)
    assert "connection timed out; no servers could be reached" in out, out
    assert '"version": "2.4.0"' in out, out
    # the same from a pod the policy does not select: DNS answers
    args = ("other-test", "--", "nslookup", "inference-service.lab-10.svc.cluster.local")
    fine = _kubectl(lab_cluster, *DEBUG, *args, check=False)
    assert "Name:\tinference-service.lab-10.svc.cluster.local" in fine, fine


def test_the_load_generator_run_before_the_policies_scores_zero(lab_cluster: LabCluster):
    """The loadgen Job's clean log is earned only by traffic tried through the policies."""
    lab_cluster.run("kubelab", "reset", LAB, "--yes")
    _kubectl(lab_cluster, "apply", "-f", str(SOLUTION / "loadgen.yaml"))
    _kubectl(lab_cluster, "wait", "--for=condition=complete", "job/loadgen", "--timeout=90s")
    _kubectl(lab_cluster, "apply", "-f", str(SOLUTION / "default-deny-ingress.yaml"))
    _kubectl(lab_cluster, "apply", "-f", str(SOLUTION / "allow-loadgen.yaml"))
    exercise = lab_cluster.exercise(LAB, "network-policy")
    assert exercise["points"] == 0, exercise
    failed = {c["name"] for c in exercise["checks"] if not c["passed"]}
    assert "loadgen-after-the-policies" in failed, failed
    assert "loadgen-answered" not in failed, failed  # its log is clean: only the order tells
