"""The cluster network from a busybox pod, as a learner debugs it on kind (issue 16).

Every pod has its own network namespace in kubesim's fabric: another pod answers on its pod
IP, a Service on its ClusterIP (kube-proxy's nftables rules) and by name (the cluster DNS),
two pods listen on the same port, and nothing leaves the cluster network. The kubelet's
probes, `kubectl port-forward` and the API server's service proxy still reach the pods.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest
from scenario_kubectl import KUBECTL, Lab

from kubesim.kubelet._world import probe
from kubesim.network.fabric import unavailable_reason

REASON = unavailable_reason(probe().contained)
pytestmark = pytest.mark.skipif(bool(REASON), reason=f"no cluster network here: {REASON}")

# two web servers on the same port (busybox httpd), a Service in front of each, and a client.
# The startup probe holds the liveness probe off until httpd listens, as Kubernetes advises
# for a container that takes a moment to start. Without it, three liveness failures 1 s
# apart (0.3 s of real time on this 10x clock, less when it jumps) can kill the server while
# its shell is still starting it on a loaded machine; Ready stays true until readiness fails
# in turn. That is the likely cause of stop 30's CI failure (Ready, yet refused).
SERVERS = """
apiVersion: v1
kind: Pod
metadata: {name: NAME, labels: {app: NAME}}
spec:
  containers:
  - name: web
    image: busybox:1.36
    command: [sh, -c, "mkdir -p /www && echo hello-from-NAME > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: [{containerPort: 8080, name: http}]
    startupProbe: {tcpSocket: {port: 8080}, periodSeconds: 1, failureThreshold: 30}
    readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 1}
    livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: NAME}
spec:
  selector: {app: NAME}
  ports: [{port: 80, targetPort: http}]
"""
CLIENT = """
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers:
  - {name: sh, image: busybox:1.36, command: [sleep, "3600"]}
"""


def _sh(lab: Lab, script: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = lab.kubectl("exec", "client", "--", "sh", "-c", script, check=False, timeout=60)
    if check and done.returncode != 0:
        # what the pods and their events said then: a restart (a liveness kill under load)
        # or an address still held by an earlier pod reads differently from a network fault
        pods = lab.kubectl("get", "pods", "-o", "wide", check=False).stdout
        events = lab.kubectl("get", "events", "--sort-by=.lastTimestamp", check=False).stdout
        raise AssertionError(
            f"{script!r} in pod client failed ({done.returncode}):\n{done.stderr}{done.stdout}"
            f"\n{pods}\n{events}"
        )
    return done


@pytest.fixture
def network(lab: Lab) -> Lab:
    manifests = "---\n".join(SERVERS.replace("NAME", n) for n in ("one", "two")) + "---\n" + CLIENT
    lab.kubectl("apply", "-f", "-", input=manifests)
    lab.kubectl(
        "wait", "--for=condition=Ready", "pod/one", "pod/two", "pod/client", "--timeout=90s"
    )
    lab.wait_for(  # the endpoints follow readiness
        lambda: all(
            lab.get_json("endpointslices", "-l", f"kubernetes.io/service-name={n}")["items"][0].get(
                "endpoints"
            )
            for n in ("one", "two")
        ),
        timeout=30,
        what="both Services to have endpoints",
    )
    return lab


def _pod_ip(lab: Lab, name: str) -> str:
    return str(lab.get_json("pod", name)["status"]["podIP"])


def test_a_busybox_pod_reaches_pods_and_services_by_ip_and_by_name(network: Lab) -> None:
    lab = network
    one, two = _pod_ip(lab, "one"), _pod_ip(lab, "two")
    assert one != two
    # two pods, each listening on 8080 in its own network namespace
    assert _sh(lab, f"wget -q -O- http://{one}:8080/").stdout == "hello-from-one\n"
    assert _sh(lab, f"wget -q -O- http://{two}:8080/").stdout == "hello-from-two\n"
    cluster_ip = lab.get_json("service", "one")["spec"]["clusterIP"]
    assert _sh(lab, f"wget -q -O- http://{cluster_ip}/").stdout == "hello-from-one\n"
    # by name through the pod's resolv.conf (search path, ndots:5) and the cluster DNS
    assert _sh(lab, "wget -q -O- http://two/").stdout == "hello-from-two\n"
    assert _sh(lab, "wget -q -O- http://one.lab.svc.cluster.local/").stdout == "hello-from-one\n"
    looked_up = _sh(lab, "nslookup two.lab.svc.cluster.local").stdout
    assert lab.get_json("service", "two")["spec"]["clusterIP"] in looked_up, looked_up
    # the pod's own view: its pod IP on eth0, routed through the gateway
    addr = _sh(lab, "ip -4 addr show eth0; ip route").stdout
    assert f"inet {_pod_ip(lab, 'client')}/32" in addr, addr
    assert "default via 169.254.1.1 dev eth0" in addr, addr


def test_nothing_from_a_pod_leaves_the_cluster_network(network: Lab) -> None:
    """No route out: an internet address, and a ClusterIP-looking one outside the Service
    CIDR, fail at once in the pod ("Network is unreachable"), so nothing reaches the host's
    network or beyond."""
    lab = network
    for address in ("1.1.1.1", "10.97.0.1", "172.17.0.1"):
        done = _sh(lab, f"wget -q -O- http://{address}/", check=False)
        assert done.returncode != 0, (address, done.stdout)
        assert "Network is unreachable" in done.stdout + done.stderr, (address, done)
    # and the pod does not see the host's interfaces
    links = _sh(lab, "ip -o link").stdout
    assert [line.split(":")[1].strip().split("@")[0] for line in links.splitlines()] == [
        "lo",
        "eth0",
    ], links


def test_probes_port_forward_and_the_service_proxy_reach_pods_in_their_namespaces(
    network: Lab,
) -> None:
    lab = network
    # the probes made both servers Ready (httpGet) and keep them alive (tcpSocket)
    for name in ("one", "two"):
        status = lab.get_json("pod", name)["status"]["containerStatuses"][0]
        assert status["ready"] is True and status["restartCount"] == 0, status
    proxied = lab.kubectl("get", "--raw", "/api/v1/namespaces/lab/services/two:80/proxy/")
    assert proxied.stdout == "hello-from-two\n"
    with socket.socket() as probe_port:
        probe_port.bind(("127.0.0.1", 0))
        port = probe_port.getsockname()[1]
    forward = subprocess.Popen(
        [KUBECTL, "--kubeconfig", str(lab.cluster.kubeconfig), "-n", "lab"]
        + ["port-forward", "pod/one", f"{port}:8080"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=lab.cluster.env,
    )
    try:
        deadline = time.monotonic() + 30
        answer = b""
        while time.monotonic() < deadline and not answer:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                    conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    while chunk := conn.recv(4096):
                        answer += chunk
            except OSError:
                time.sleep(0.2)
        assert answer.endswith(b"hello-from-one\n"), answer
    finally:
        forward.terminate()
        forward.wait(10)


DENY_TWO = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-two}
spec:
  podSelector: {matchLabels: {app: two}}
  policyTypes: [Ingress]
"""


def test_a_network_policy_is_enforced_while_it_exists(network: Lab) -> None:
    """kindnet's verdicts as nftables rules in the fabric: a default-deny ingress policy on
    `two` makes a connection to it time out (dropped, no refusal), `one` still answers, and
    deleting the policy lets the traffic through again."""
    lab = network
    two = _pod_ip(lab, "two")
    try:
        lab.kubectl("apply", "-f", "-", input=DENY_TWO)

        def dropped() -> subprocess.CompletedProcess[str] | None:
            done = _sh(lab, f"timeout 3 wget -q -O- http://{two}:8080/", check=False)
            return done if done.returncode != 0 else None

        denied = lab.wait_for(dropped, timeout=30, what="the policy to drop traffic to two")
        assert "refused" not in denied.stdout + denied.stderr, denied  # a drop, not a reject
        assert _sh(lab, "wget -q -O- http://one/").stdout == "hello-from-one\n"
    finally:  # the lab's cleanup does not know NetworkPolicies
        lab.kubectl("delete", "networkpolicy", "deny-two", "--ignore-not-found")
    lab.wait_for(
        lambda: (
            _sh(lab, f"timeout 3 wget -q -O- http://{two}:8080/", check=False).stdout
            == "hello-from-two\n"
        ),
        timeout=30,
        what="traffic to two once the policy is gone",
    )


PYTHON_CLIENT = """
apiVersion: v1
kind: Pod
metadata: {name: pyclient}
spec:
  restartPolicy: Never
  containers:
  - name: py
    image: kubelab/inference:2.4.0
    command:
    - python3
    - -c
    - |
      import json, ssl, urllib.request
      print(urllib.request.urlopen("http://two/", timeout=10).read().decode().strip())
      sa = "/var/run/secrets/kubernetes.io/serviceaccount/"
      ctx = ssl.create_default_context(cafile=sa + "ca.crt")
      token = open(sa + "token").read()
      for path in ("/version", "/api/v1/namespaces/default/pods"):
          request = urllib.request.Request(
              "https://kubernetes.default.svc" + path,
              headers={"Authorization": "Bearer " + token},
          )
          try:
              answer = urllib.request.urlopen(request, context=ctx, timeout=10)
              print("api", answer.status, json.load(answer).get("gitVersion"))
          except urllib.error.HTTPError as exc:
              print("api", exc.code, json.load(exc).get("message"))
"""
HOST_NETWORK = """
apiVersion: v1
kind: Pod
metadata: {name: hostnet}
spec:
  hostNetwork: true
  containers:
  - {name: sh, image: busybox:1.36, command: [sleep, "3600"]}
"""


def test_the_inference_image_resolves_services_and_reaches_the_api_server(network: Lab) -> None:
    """The same traffic from a Python pod, through glibc's resolver and resolv.conf (no shim):
    a Service by name, and `kubernetes.default.svc` over TLS verified with the pod's ca.crt
    (the API server's in-cluster address in the fabric), with the pod's projected token: it
    authenticates as the pod's service account, which may read /version (every authenticated
    user may) but not list pods: no RoleBinding grants it that, so 403 as on kind."""
    lab = network
    lab.kubectl("apply", "-f", "-", input=PYTHON_CLIENT)
    lab.wait_for(
        lambda: lab.get_json("pod", "pyclient")["status"].get("phase") in ("Succeeded", "Failed"),
        timeout=90,
        what="the Python client to finish",
    )
    lines = lab.kubectl("logs", "pyclient").stdout.splitlines()
    assert lines[0] == "hello-from-two", lines
    version = json.loads(lab.kubectl("version", "-o", "json").stdout)["serverVersion"]
    assert lines[1] == f"api 200 {version['gitVersion']}", lines
    assert lines[2] == (
        'api 403 pods is forbidden: User "system:serviceaccount:lab:default" cannot list '
        'resource "pods" in API group "" in the namespace "default"'
    ), lines


def test_a_host_network_pod_shares_the_node_network(network: Lab) -> None:
    """hostNetwork: the fabric's own namespace, where the node addresses live and every pod
    is one route away; its pod IP is its node's InternalIP."""
    lab = network
    lab.kubectl("apply", "-f", "-", input=HOST_NETWORK)
    lab.kubectl("wait", "--for=condition=Ready", "pod/hostnet", "--timeout=60s")
    pod = lab.get_json("pod", "hostnet")
    assert pod["status"]["podIP"] == pod["status"]["hostIP"]
    addresses = lab.kubectl("exec", "hostnet", "--", "ip", "-4", "-o", "addr").stdout
    assert f"inet {pod['status']['hostIP']}/32" in addresses, addresses
    answer = lab.kubectl(
        "exec", "hostnet", "--", "wget", "-q", "-O-", f"http://{_pod_ip(lab, 'one')}:8080/"
    ).stdout
    assert answer == "hello-from-one\n"
