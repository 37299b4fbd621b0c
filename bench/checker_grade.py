"""Benchmark: how long a passing lab takes to grade, and how many requests it costs.

    python bench/checker_grade.py [--pods N] [--runs R]

Serves the healthy fixture cluster plus N extra pods from the recording fake API server
on 127.0.0.1 and grades tests/checker/labs (5 checks in 01-deploy, 2 in 02-scale) with a
fresh client per run (so discovery is counted too). Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "tests" / "checker"
sys.path[:0] = [str(ROOT), str(HERE)]

from checker_fakeapi import DATA, HEALTHY_PROXY, FakeApi, Server, write_kubeconfig  # noqa: E402  # noqa: E402

from checker import ReadOnlyClient, discover_labs, run_lab  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    api = FakeApi()
    api.load(DATA / "healthy.yaml")
    pod = next(o for o in api.objects if o["kind"] == "Pod")
    for i in range(args.pods):
        extra = copy.deepcopy(pod)
        extra["metadata"]["name"] = f"filler-{i}"
        api.objects.append(extra)
    api.proxy.update(HEALTHY_PROXY)
    server = Server(api)
    server.start()
    lab = discover_labs(HERE / "labs")["01-deploy"]
    times, requests = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            kubeconfig = write_kubeconfig(Path(tmp) / "kubeconfig", api.url)
            for _ in range(args.runs):
                started = time.perf_counter()
                with ReadOnlyClient.from_kubeconfig(kubeconfig) as client:
                    result = run_lab(client, lab)
                times.append(time.perf_counter() - started)
                requests.append(len(client.requests))
                assert result.passed, "the benchmark lab must pass"
    finally:
        server.stop()
    print(
        f"01-deploy (5 checks, {args.pods + 1} pods): median {statistics.median(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms over {args.runs} runs; {requests[0]} requests per run"
    )


if __name__ == "__main__":
    main()
