"""Measure how a served kubesim (with its controllers, scheduler and kubelets) holds up while
a Deployment of 2,000 replicas is created, and how fast its pods go away after it is deleted.

Issue 21: the ReplicaSet controller creates in slow-start batches and yields to the loop
after each write, so a GET stays fast meanwhile (aim: p99 under 50 ms). The pods run
`registry.k8s.io/pause` (one `sleep` process each); past the nodes' 110-pod capacity they
stay Pending, as on kind.

    .venv/bin/python bench/kubesim_scale.py [--replicas 2000] [--no-delete]

Each figure line also gives the load average at that moment: the machine is often shared,
and a GET waits for the CPU as much as for the loop.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kubesim_api import session_for, start  # noqa: E402


def deployment(replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "many"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "many"}},
            "template": {
                "metadata": {"labels": {"app": "many"}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [{"name": "p", "image": "registry.k8s.io/pause:3.10"}],
                },
            },
        },
    }


def list_pods(s: requests.Session, url: str) -> int:
    r = s.get(url + "/api/v1/namespaces/default/pods", params={"labelSelector": "app=many"})
    return len(r.json()["items"])


def count_pods(s: requests.Session, url: str) -> int:
    """Pods of the Deployment, as its ReplicaSets count them: one small GET, never a LIST of
    thousands of pods (that would load the server the benchmark measures)."""
    r = s.get(
        url + "/apis/apps/v1/namespaces/default/replicasets", params={"labelSelector": "app=many"}
    )
    return sum(int((rs.get("status") or {}).get("replicas") or 0) for rs in r.json()["items"])


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user and system, every thread) the process has used: the loop's work,
    whatever else shares the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", type=int, default=2000)
    parser.add_argument(
        "--no-delete", action="store_true", help="stop after the creation (its GETs measured)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        served, _, ready, url = start(state, controllers=True)
        proc = served.process
        s = session_for(state)
        probe = session_for(state)
        gets: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                t = time.perf_counter()
                r = probe.get(url + "/api/v1/namespaces/default")
                gets.append(time.perf_counter() - t)
                assert r.status_code == 200
                time.sleep(0.02)

        try:
            time.sleep(2)  # nodes register and turn Ready
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            t0 = time.perf_counter()
            cpu0 = _cpu_seconds(proc.pid)
            r = s.post(
                url + "/apis/apps/v1/namespaces/default/deployments", json=deployment(args.replicas)
            )
            assert r.status_code == 201, r.text
            while (n := count_pods(s, url)) < args.replicas:
                if time.perf_counter() - t0 > 600:
                    print(f"gave up: {n} pods after 600 s")
                    break
                time.sleep(1)
            created = time.perf_counter() - t0
            cpu = _cpu_seconds(proc.pid) - cpu0
            stop.set()
            sampler.join()
            gets_ms = sorted(g * 1000 for g in gets)
            p99 = gets_ms[int(len(gets_ms) * 0.99) - 1]
            print(
                f"{args.replicas} pods created in {created:.1f} s, kubesim used {cpu:.1f} s "
                f"of CPU (load {_load()})"
            )
            print(
                f"GET while creating: n={len(gets_ms)} p50={statistics.median(gets_ms):.1f} ms "
                f"p99={p99:.1f} ms max={gets_ms[-1]:.1f} ms",
                flush=True,
            )
            if args.no_delete:
                proc.terminate()  # kubesim stops its pods' processes as it exits
                proc.wait(timeout=120)
                return 0
            t1 = time.perf_counter()
            r = s.delete(url + "/apis/apps/v1/namespaces/default/deployments/many")
            assert r.status_code == 200, r.text
            while (n := list_pods(s, url)) > 0:
                if time.perf_counter() - t1 > 600:
                    print(f"gave up: {n} pods left after 600 s")
                    break
                time.sleep(1)
            print(f"deployment deleted, all pods gone in {time.perf_counter() - t1:.1f} s")
            t2 = time.perf_counter()
            proc.terminate()
            proc.wait(timeout=30)
            print(f"SIGTERM to exit: {time.perf_counter() - t2:.2f} s (ready was {ready:.2f} s)")
        finally:
            if proc.poll() is None:
                proc.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
