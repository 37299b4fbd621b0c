"""Measure kubesim's API speed: start to ready, GET p50, 1000-pod LIST p50, watch latency.

Runs `python -m kubesim serve --no-controllers` on a temporary state folder (the API alone:
no scheduler or kubelet adding load), talks HTTPS with the bearer token over one
keep-alive connection, and prints one line per measurement. Aims (issue 3): GET p50 under
2 ms, 1000-pod LIST under 100 ms, ready in under 3 s.

    .venv/bin/python bench/kubesim_api.py [--pods 1000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import yaml

from kubelab._simprocess import Served, launch


def start(state: Path, *, controllers: bool = False) -> tuple[Served, float, float, str]:
    t0 = time.perf_counter()
    served = launch(state, controllers=controllers)
    ready = time.perf_counter() - t0
    return served, t0, ready, served.url


def session_for(state: Path) -> requests.Session:
    config = yaml.safe_load((state / "kubeconfig").read_text())
    ca = state / "bench-ca.crt"
    ca.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
    s = requests.Session()
    s.trust_env = False
    s.verify = str(ca)
    s.headers["Authorization"] = "Bearer " + config["users"][0]["user"]["token"]
    return s


def pod(i: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{i:04d}", "labels": {"app": "bench", "n": str(i % 10)}},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                }
            ]
        },
    }


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        proc, t0, ready, url = start(state)
        s = session_for(state)
        while True:
            try:
                if s.get(url + "/api/v1/namespaces/default").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.01)
        usable = time.perf_counter() - t0
        try:
            base = url + "/api/v1/namespaces/default/pods"
            t = time.perf_counter()
            for i in range(args.pods):
                r = s.post(base, json=pod(i))
                assert r.status_code == 201, r.text
            create = (time.perf_counter() - t) / args.pods
            gets = []
            for i in range(args.rounds):
                t = time.perf_counter()
                r = s.get(f"{base}/pod-{i % args.pods:04d}")
                gets.append(time.perf_counter() - t)
                assert r.status_code == 200
            lists, tables = [], []
            table_accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
            for _ in range(20):
                t = time.perf_counter()
                r = s.get(base)
                lists.append(time.perf_counter() - t)
                assert len(r.json()["items"]) == args.pods
                t = time.perf_counter()
                r = s.get(base + "?limit=500", headers={"Accept": table_accept})
                tables.append(time.perf_counter() - t)
            latencies = watch_latency(url, s, rounds=50)
        finally:
            proc.stop()

    print(f"start to ready line      {ready * 1000:8.1f} ms")
    print(f"start to first answer    {usable * 1000:8.1f} ms")
    print(f"create pod (mean)        {create * 1000:8.2f} ms")
    print(f"GET pod p50              {p50(gets):8.2f} ms")
    print(f"LIST {args.pods} pods p50        {p50(lists):8.2f} ms")
    print(f"LIST 500 pods Table p50  {p50(tables):8.2f} ms")
    print(
        f"watch event latency p50  {p50(latencies):8.2f} ms "
        f"(write sent -> event read; max {max(latencies) * 1000:.2f} ms)"
    )
    return 0


def watch_latency(url: str, s: requests.Session, *, rounds: int) -> list[float]:
    base = url + "/api/v1/namespaces/default/configmaps"
    s.post(
        base,
        json={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "w"},
            "data": {"n": "0"},
        },
    )
    arrivals: dict[str, float] = {}
    watcher = requests.Session()
    watcher.trust_env = False
    watcher.verify = s.verify
    watcher.headers.update(s.headers)
    rv = s.get(base + "/w").json()["metadata"]["resourceVersion"]
    stream = watcher.get(
        f"{base}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name=w", stream=True
    )

    def read() -> None:
        for line in stream.iter_lines():
            event = json.loads(line)
            arrivals[event["object"]["data"]["n"]] = time.perf_counter()
            if len(arrivals) >= rounds:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent: dict[str, float] = {}
    for i in range(1, rounds + 1):
        obj = s.get(base + "/w").json()
        obj["data"]["n"] = str(i)
        sent[str(i)] = time.perf_counter()
        s.put(base + "/w", json=obj)
        time.sleep(0.005)
    reader.join(10)
    stream.close()
    return [arrivals[k] - sent[k] for k in sent if k in arrivals]


if __name__ == "__main__":
    sys.exit(main())
