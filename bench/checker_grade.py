"""Benchmark: how long a passing lab takes to grade, and how many requests it costs.

    python bench/checker_grade.py [--pods N] [--runs R]
    python bench/checker_grade.py --kubesim [--runs R]

Default: serves the healthy fixture cluster plus N extra pods from the recording fake API
server on 127.0.0.1 and grades tests/checker/labs' 01-deploy (5 checks) with a fresh client
per run (so discovery is counted too).

--kubesim: brings a simulator up the way a learner does (`kubelab up --backend sim` in a
temporary KUBELAB_HOME), solves the course's lab 01-deploy, and times grading it in process
and as the `kubelab check 01-deploy` command (start-up included). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "tests" / "checker"
sys.path[:0] = [str(ROOT), str(HERE)]

from checker_fakeapi import DATA, HEALTHY_PROXY, FakeApi, Server, write_kubeconfig  # noqa: E402  # noqa: E402

from checker import ReadOnlyClient, discover_labs, run_lab  # noqa: E402


def _on_kubesim(runs: int) -> None:
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / ".kubelab"
        env = dict(
            os.environ,
            KUBELAB_HOME=str(home),
            KUBECONFIG=str(home / "kubeconfig"),
            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            HOME=tmp,
        )

        def kubelab(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(bin_dir / "kubelab"), *args], env=env, capture_output=True, text=True
            )

        try:
            for step in (
                ("up", "--backend", "sim"),
                ("reset", "01-deploy", "--yes"),
                ("solve", "01-deploy"),
            ):
                done = kubelab(*step)
                assert done.returncode == 0, done.stdout + done.stderr
            assert kubelab("check", "01-deploy").returncode == 0, "01-deploy must pass"
            lab = discover_labs(ROOT / "labs")["01-deploy"]
            times, requests = [], []
            for _ in range(runs):
                started = time.perf_counter()
                with ReadOnlyClient.from_kubeconfig(home / "kubeconfig") as client:
                    result = run_lab(client, lab)
                times.append(time.perf_counter() - started)
                requests.append(len(client.requests))
                assert result.passed
            walls = []
            for _ in range(min(runs, 5)):
                started = time.perf_counter()
                assert kubelab("check", "01-deploy").returncode == 0
                walls.append(time.perf_counter() - started)
        finally:
            kubelab("down")
    checks = sum(len(e.checks) for e in lab.exercises)
    print(
        f"kubesim, course lab 01-deploy ({checks} checks): in process median "
        f"{statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {runs} "
        f"runs, {requests[0]} requests per run; `kubelab check 01-deploy` median "
        f"{statistics.median(walls):.2f} s wall over {len(walls)} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--kubesim", action="store_true", help="grade on a served simulator")
    args = parser.parse_args()
    if args.kubesim:
        _on_kubesim(args.runs)
        return
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
