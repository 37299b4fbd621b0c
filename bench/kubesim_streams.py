"""Measure exec and port-forward on kubesim: `kubectl exec POD -- true` round trips and
port-forward throughput, with the real kubectl and the official Python client.

Runs `python -m kubesim serve` with its cluster on a temporary state folder, starts a busybox
pod and a file server pod (the inference image running `python3 -m http.server`, with a
file of `--megabytes` random bytes written through exec), then prints one line per
measurement:

* `kubectl get pod` p50, for scale: what one kubectl process costs before any streaming;
* `kubectl exec POD -- true` p50 and p90 over `--rounds` runs (a new kubectl each time:
  what a learner waits for);
* the Python client's `stream()` exec of `true`, p50 (one process, no kubectl start-up);
* a GET of the file through `kubectl port-forward` (SPDY in a WebSocket), MB/s, median of 3;
* the same through the Python client's `portforward` (v4 channels), MB/s, median of 3.

    .venv/bin/python bench/kubesim_streams.py [--rounds 30] [--megabytes 100]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from kubernetes import client, config
from kubernetes.stream import portforward, stream

from kubelab._simprocess import launch

KUBECTL = str(Path(sys.executable).parent / "kubectl")
FILES = """
apiVersion: v1
kind: Pod
metadata: {name: files}
spec:
  containers:
  - name: files
    image: kubelab/inference:2.5.0
    command: [python3, -m, http.server, "8000"]
    readinessProbe: {tcpSocket: {port: 8000}, periodSeconds: 1}
"""


def kubectl(env: dict[str, str], *args: str, input: str | None = None) -> str:
    done = subprocess.run(
        [KUBECTL, *args], env=env, input=input, capture_output=True, text=True, check=True
    )
    return done.stdout


def timed(fn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def kubectl_forward_mbps(env: dict[str, str], size: int) -> float:
    proc = subprocess.Popen(
        [KUBECTL, "port-forward", "--address=127.0.0.1", "pod/files", ":8000"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        match = re.match(r"Forwarding from 127\.0\.0\.1:(\d+)", proc.stdout.readline())
        assert match
        t0 = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{match.group(1)}/blob", timeout=120) as r:
            got = len(r.read())
        elapsed = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)
    assert got == size, got
    return size / elapsed / 1e6


def python_forward_mbps(api: client.CoreV1Api, size: int) -> float:
    forward = portforward(
        api.connect_get_namespaced_pod_portforward, "files", "default", ports="8000"
    )
    conn = forward.socket(8000)
    conn.setblocking(True)
    t0 = time.perf_counter()
    conn.sendall(b"GET /blob HTTP/1.0\r\nHost: files\r\n\r\n")
    got = 0
    while chunk := conn.recv(1 << 20):
        got += len(chunk)
    elapsed = time.perf_counter() - t0
    conn.close()
    assert got > size, got  # the headers and the body
    return size / elapsed / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--megabytes", type=int, default=100)
    opts = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="kubesim-bench-streams-"))
    served = launch(state, controllers=True)
    home = state / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "KUBECONFIG": str(served.kubeconfig)}
    try:
        kubectl(env, "run", "box", "--image=busybox:1.36", "--", "sleep", "3600")
        kubectl(env, "apply", "-f", "-", input=FILES)
        kubectl(env, "wait", "--for=condition=Ready", "pod/box", "pod/files", "--timeout=120s")
        size = opts.megabytes * 1_000_000
        kubectl(env, "exec", "files", "--", "sh", "-c", f"head -c {size} /dev/urandom > blob")

        gets = timed(lambda: kubectl(env, "get", "pod", "box"), opts.rounds)
        execs = timed(lambda: kubectl(env, "exec", "box", "--", "true"), opts.rounds)
        print(f"kubectl get pod box: p50 {statistics.median(gets) * 1000:.0f} ms")
        print(
            f"kubectl exec box -- true: p50 {statistics.median(execs) * 1000:.0f} ms, "
            f"p90 {pct(execs, 0.9) * 1000:.0f} ms ({opts.rounds} runs)"
        )
        api = client.CoreV1Api(config.new_client_from_config(str(served.kubeconfig)))

        def python_exec() -> None:
            stream(
                api.connect_get_namespaced_pod_exec,
                "box",
                "default",
                command=["true"],
                stderr=True,
                stdin=False,
                stdout=True,
                tty=False,
            )

        pyexecs = timed(python_exec, opts.rounds)
        print(f"Python client stream() exec true: p50 {statistics.median(pyexecs) * 1000:.0f} ms")
        kube = [kubectl_forward_mbps(env, size) for _ in range(3)]
        print(f"kubectl port-forward, GET {opts.megabytes} MB: {statistics.median(kube):.0f} MB/s")
        py = [python_forward_mbps(api, size) for _ in range(3)]
        print(
            f"Python client portforward, GET {opts.megabytes} MB: {statistics.median(py):.0f} MB/s"
        )
    finally:
        served.stop()


if __name__ == "__main__":
    main()
