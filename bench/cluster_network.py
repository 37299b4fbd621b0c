"""Measure the cluster network (issue 16): pod start with and without the fabric, and a
Service request through the data plane against a direct request to the pod.

Two served kubesims at real speed, one with the fabric (every pod in its own network
namespace, Services as nftables rules) and one with the loopback shim
(`KUBESIM_NETWORK=loopback`). In each: busybox pods created one after another, creation to
the Ready condition (no probes) polled every 10 ms; then a Python client pod (the inference
image) makes `--requests` HTTP/1.0 requests to a server pod, each on a fresh connection,
first to its pod IP, then to its Service's ClusterIP, and prints the latencies; and the
number of connections per second the ClusterIP sustains from that one client.

    .venv/bin/python bench/cluster_network.py [--pods 6] [--requests 400]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from container_start import pod, ready  # noqa: E402
from kubesim_api import session_for, start  # noqa: E402

SERVER = (
    "import http.server\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
    "    def log_message(self, *a): pass\n"
    "http.server.ThreadingHTTPServer(('0.0.0.0', 8080), H).serve_forever()\n"
)
CLIENT = (
    "import json, socket, sys, time\n"
    "def once(host):\n"
    "    t = time.perf_counter()\n"
    "    with socket.create_connection((host, 8080 if host == sys.argv[1] else 80), 5) as s:\n"
    "        s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n"
    "        while s.recv(4096): pass\n"
    "    return time.perf_counter() - t\n"
    "n = int(sys.argv[3]); out = {}\n"
    "for name, host in (('pod', sys.argv[1]), ('service', sys.argv[2])):\n"
    "    once(host)\n"
    "    out[name] = [once(host) for _ in range(n)]\n"
    "print(json.dumps(out))\n"
)


def wait_ready(session, base: str, name: str) -> float:  # type: ignore[no-untyped-def]
    sent = time.perf_counter()
    while not ready(session.get(f"{base}/{name}").json()):
        if time.perf_counter() - sent > 90:
            raise SystemExit(f"pod {name} not Ready within 90 s")
        time.sleep(0.01)
    return time.perf_counter() - sent


def measure(mode: str, pods: int, requests: int) -> dict[str, list[float]]:
    if mode == "loopback":
        os.environ["KUBESIM_NETWORK"] = "loopback"
    try:
        state = Path(tempfile.mkdtemp(prefix=f"bench-net-{mode}-"))
        served, _, _, url = start(state, controllers=True)
    finally:
        os.environ.pop("KUBESIM_NETWORK", None)
    session = session_for(state)
    base = f"{url}/api/v1/namespaces/default/pods"
    results: dict[str, list[float]] = {"start": []}
    try:
        time.sleep(3)  # let kube-system's pods start first
        for i in range(pods):
            name = f"box-{i}"
            sent = time.perf_counter()
            session.post(
                base, json=pod(name, "busybox:1.36", ["sleep", "3600"], [])
            ).raise_for_status()
            wait_ready(session, base, name)
            results["start"].append(time.perf_counter() - sent)
        server = pod("server", "kubelab/inference:2.4.0", ["python3", "-c", SERVER], [])
        server["metadata"]["labels"] = {"app": "server"}
        session.post(base, json=server).raise_for_status()
        service: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "server"},
            "spec": {"selector": {"app": "server"}, "ports": [{"port": 80, "targetPort": 8080}]},
        }
        session.post(f"{url}/api/v1/namespaces/default/services", json=service).raise_for_status()
        wait_ready(session, base, "server")
        time.sleep(2)  # the server binds; the endpoints follow readiness
        pod_ip = session.get(f"{base}/server").json()["status"]["podIP"]
        cluster_ip = session.get(f"{url}/api/v1/namespaces/default/services/server").json()["spec"][
            "clusterIP"
        ]
        client = pod(
            "client",
            "kubelab/inference:2.4.0",
            ["python3", "-c", CLIENT, pod_ip, cluster_ip, str(requests)],
            [],
        )
        client["spec"]["restartPolicy"] = "Never"
        session.post(base, json=client).raise_for_status()
        deadline = time.monotonic() + 180
        while session.get(f"{base}/client").json()["status"].get("phase") not in (
            "Succeeded",
            "Failed",
        ):
            if time.monotonic() > deadline:
                raise SystemExit(f"{mode}: the client pod did not finish")
            time.sleep(0.2)
        log = session.get(f"{base}/client/log").text.strip().splitlines()
        results.update(json.loads(log[-1]))
    finally:
        served.stop()
    return results


def pct(samples: list[float], q: float) -> str:
    ordered = sorted(samples)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=6)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    print("| network | pod start to Ready, median (min-max) | request to the pod IP, p50 / p99 "
          "| through the Service, p50 / p99 | Service connections/s (one client) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    for mode in ("fabric", "loopback"):
        r = measure(mode, args.pods, args.requests)
        start_ms = [s * 1000 for s in r["start"]]
        print(
            f"| {mode} | {statistics.median(start_ms):.0f} ms ({min(start_ms):.0f}-"
            f"{max(start_ms):.0f} ms) | {pct(r['pod'], 0.5)} / {pct(r['pod'], 0.99)} "
            f"| {pct(r['service'], 0.5)} / {pct(r['service'], 0.99)} "
            f"| {len(r['service']) / sum(r['service']):.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
