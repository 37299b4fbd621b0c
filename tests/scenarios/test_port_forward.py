"""`kubectl port-forward` (SPDY/3.1 tunnelled through a WebSocket, as kubectl 1.37 speaks it) and
the official Python client's `portforward` (the v4 channel protocol): to a pod, a deployment
and a service (kubectl resolves the pod and port itself), several connections at once, bytes
intact both ways, and a closed port's error as kubectl prints it."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from kubernetes import client, config
from kubernetes.stream import portforward
from scenario_kubectl import KUBECTL, Lab

# Two servers in one pod: a file server on 8000 and a TCP echo on 9000 (the inference image
# runs kubesim's own Python, which binds the pod's address), Ready once they listen.
ECHO = (
    "import socket,threading\n"
    "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', 9000)); s.listen()\n"
    "def serve(c):\n"
    "    while data := c.recv(65536): c.sendall(data)\n"
    "    c.close()\n"
    "while True: threading.Thread(target=serve, args=(s.accept()[0],)).start()\n"
)
SERVERS = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: files}}
spec:
  selector: {{matchLabels: {{app: files}}}}
  template:
    metadata: {{labels: {{app: files}}}}
    spec:
      containers:
      - name: files
        image: kubelab/inference:2.5.0
        command: [python3, -m, http.server, "8000", --directory, /tmp]  # /app is root's
        ports: [{{containerPort: 8000, name: http}}]
        readinessProbe: {{tcpSocket: {{port: 8000}}, periodSeconds: 1}}
      - name: echo
        image: kubelab/inference:2.5.0
        command: [python3, -c, {json.dumps(ECHO)}]
        ports: [{{containerPort: 9000}}]
        readinessProbe: {{tcpSocket: {{port: 9000}}, periodSeconds: 1}}
---
apiVersion: v1
kind: Service
metadata: {{name: files}}
spec:
  selector: {{app: files}}
  ports: [{{port: 80, targetPort: http}}]
"""


def _servers(lab: Lab) -> str:
    lab.kubectl("apply", "-f", "-", input=SERVERS)
    lab.kubectl("rollout", "status", "deployment/files", f"--timeout={lab.wall(60):.0f}s")
    pod = lab.kubectl("get", "pods", "-l", "app=files", "-o", "name").stdout.split()[0]
    return pod.split("/", 1)[1]


@contextmanager
def _forwarding(lab: Lab, target: str, remote: int) -> Iterator[tuple[int, int, list[str]]]:
    """`kubectl port-forward TARGET :REMOTE`: the local port it chose, the pod port it says it
    forwards to, and its output lines."""
    proc = subprocess.Popen(
        [KUBECTL, "--kubeconfig", str(lab.cluster.kubeconfig), "-n", lab.namespace]
        + ["port-forward", "--address=127.0.0.1", target, f":{remote}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=lab.cluster.env,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    first = proc.stdout.readline()
    lines.append(first)
    match = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)", first)
    assert match, first + proc.stdout.read()
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        yield int(match.group(1)), int(match.group(2)), lines
    finally:
        proc.terminate()
        proc.wait(10)
        reader.join(5)


def _get(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
        return answer.read()


def test_port_forward_to_a_pod_a_deployment_and_a_service(lab: Lab) -> None:
    pod = _servers(lab)
    lab.kubectl(
        "exec", pod, "-c", "files", "--", "sh", "-c", "head -c 5000000 /dev/urandom > /tmp/blob"
    )
    want = lab.kubectl("exec", pod, "-c", "files", "--", "md5sum", "/tmp/blob").stdout.split()[0]
    # a service's port 80 is the pod's 8000: kubectl maps it client-side and says so
    for target, remote in ((f"pod/{pod}", 8000), ("deployment/files", 8000), ("svc/files", 80)):
        with _forwarding(lab, target, remote) as (port, pod_port, _):
            assert pod_port == 8000, target
            assert hashlib.md5(_get(port, "/blob")).hexdigest() == want, target
            listing = _get(port, "/")
            assert b"Directory listing" in listing and b"blob" in listing


def test_port_forward_carries_several_connections_both_ways(lab: Lab) -> None:
    _servers(lab)
    payloads = [bytes([n]) * 300_000 + b"end" for n in range(4)]
    echoed: dict[int, bytes] = {}

    def echo(index: int, port: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            sender = threading.Thread(target=conn.sendall, args=(payloads[index],))
            sender.start()
            got = b""
            while len(got) < len(payloads[index]):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                got += chunk
            sender.join()
            echoed[index] = got

    with _forwarding(lab, "deployment/files", 9000) as (port, _, lines):
        workers = [threading.Thread(target=echo, args=(i, port)) for i in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    assert [echoed.get(i) == payloads[i] for i in range(4)] == [True] * 4
    assert sum("Handling connection for" in line for line in lines) == 4


def test_port_forward_to_a_closed_port_says_why_and_ends(lab: Lab) -> None:
    _servers(lab)
    proc = subprocess.Popen(
        [KUBECTL, "--kubeconfig", str(lab.cluster.kubeconfig), "-n", lab.namespace]
        + ["port-forward", "--address=127.0.0.1", "deployment/files", ":7777"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=lab.cluster.env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    port = int(re.match(r"Forwarding from 127\.0\.0\.1:(\d+)", first).group(1))  # type: ignore[union-attr]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        assert conn.recv(10) == b""  # kubectl drops the local connection
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "an error occurred forwarding" not in first
    assert re.search(
        r"error forwarding port 7777 to pod [0-9a-f]{64}, uid : failed to execute portforward "
        r'in network namespace \\"/var/run/netns/cni-[0-9a-f-]+\\": failed to connect to '
        r"localhost:7777 inside namespace .*connect: connection refused",
        out,
    ), out
    assert out.rstrip().endswith("error: lost connection to pod")


def test_python_client_portforward_reads_a_page_and_reports_a_closed_port(lab: Lab) -> None:
    pod = _servers(lab)
    api = client.CoreV1Api(config.new_client_from_config(str(lab.cluster.kubeconfig)))
    forward = portforward(
        api.connect_get_namespaced_pod_portforward, pod, lab.namespace, ports="8000,7777"
    )
    conn = forward.socket(8000)
    conn.setblocking(True)
    conn.sendall(b"GET / HTTP/1.0\r\nHost: files\r\n\r\n")
    answer = b""
    while chunk := conn.recv(65536):
        answer += chunk
    conn.close()
    assert answer.startswith(b"HTTP/1.0 200 OK") and b"Directory listing" in answer
    assert forward.error(8000) is None
    error = forward.error(7777) or ""
    assert error.startswith("error forwarding port 7777 to pod ")
    assert "dial tcp4 127.0.0.1:7777: connect: connection refused" in error


def test_lab_02s_port_forward_step_reaches_the_model_server(lab: Lab) -> None:
    """notebooks/src/02-expose.md: `kubectl port-forward service/inference-service 8080:8080`
    and `curl http://localhost:8080/health`, on the course's own manifests."""
    lab.apply("manifests/inference/deployment.yaml", "manifests/inference/service.yaml")
    lab.kubectl(
        "rollout", "status", "deployment/inference-service", f"--timeout={lab.wall(120):.0f}s"
    )
    # no readiness probe until lab 05: wait until every pod's model server answers (through
    # the API server's pod proxy), whichever pod kubectl picks
    pods = lab.kubectl("get", "pods", "-l", "app=inference", "-o", "name").stdout.split()
    for pod in pods:
        proxy = f"/api/v1/namespaces/{lab.namespace}/pods/{pod.split('/')[1]}:8080/proxy/health"
        lab.wait_for(
            lambda proxy=proxy: lab.kubectl("get", "--raw", proxy, check=False).returncode == 0,
            timeout=lab.wall(60),
            what=f"{pod}'s model server to answer",
        )
    with _forwarding(lab, "service/inference-service", 8080) as (port, pod_port, _):
        assert pod_port == 8080
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=30) as answer:
            assert answer.status == 200
            assert json.loads(answer.read())["status"] == "ok"
