"""What `kubectl logs` (--tail, -f, --previous) and `kubectl top` show a learner, with the
real kubectl against running pods: the course's debugging lessons lean on all of them."""

from __future__ import annotations

import queue
import re
import subprocess
import threading

from scenario_kubectl import KUBECTL, WORKERS, Lab, parse_table

# busybox's `sh` runs as a real process: a line every 0.2 s, numbered.
TICKER = "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"


def _ticks(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^tick (\d+)$", text, re.MULTILINE)]


def _start_ticker(lab: Lab) -> None:
    lab.kubectl(
        "run", "ticker", "--image=busybox:1.36", "--restart=Never", "--", "sh", "-c", TICKER
    )
    lab.wait_for(
        lambda: len(_ticks(lab.kubectl("logs", "ticker", check=False).stdout)) >= 5,
        timeout=lab.wall(30),
        what="the ticker pod to print five lines",
    )


def test_logs_tail_follow_and_no_previous_container(lab: Lab) -> None:
    _start_ticker(lab)

    tail = lab.kubectl("logs", "ticker", "--tail=2").stdout
    first, second = _ticks(tail)
    assert tail.count("\n") == 2 and second == first + 1  # the newest two lines, in order

    follow = subprocess.Popen(
        [KUBECTL, "--kubeconfig", str(lab.cluster.kubeconfig), "-n", lab.namespace]
        + ["logs", "-f", "ticker", "--tail=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=lab.cluster.env,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(line) for line in follow.stdout or ()], daemon=True
    )
    reader.start()
    try:
        streamed = [lines.get(timeout=15) for _ in range(4)]
    finally:
        follow.terminate()
        follow.wait(5)
    numbers = _ticks("".join(streamed))
    assert len(numbers) == 4 and numbers == sorted(numbers), streamed
    assert numbers[0] >= second  # --tail=1 starts at the newest line, then -f keeps reading

    previous = lab.kubectl("logs", "ticker", "--previous", check=False)
    assert previous.returncode != 0  # it never restarted: there is no earlier container
    assert 'previous terminated container "ticker" in pod "ticker" not found' in previous.stderr


def test_top_shows_cpu_and_memory_of_running_pods_and_nodes(lab: Lab) -> None:
    lab.apply("manifests/inference/deployment.yaml")
    pods = lab.wait_for(
        lambda: lab.ready_running(3), timeout=lab.wall(60), what="3 pods READY 1/1 Running"
    )
    names = {r["NAME"] for r in pods}

    def measured() -> list[dict[str, str]]:
        """All 3 listed with the loaded model's memory. A sample is a scrape old (metrics
        lag as metrics-server's do), so one taken while a model was still loading shows
        less at first; a pod that never reports it times out with its last rows."""
        rows = _top(lab, "pods")
        assert names <= {r["NAME"] for r in rows}, rows
        for row in (r for r in rows if r["NAME"] in names):
            assert re.fullmatch(r"\d+m", row["CPU(cores)"]), row
            mebibytes = int(re.fullmatch(r"(\d+)Mi", row["MEMORY(bytes)"]).group(1))  # type: ignore[union-attr]
            assert mebibytes >= 64, row  # the loaded model holds 64 MiB (MODEL_MEMORY_MB)
        return rows

    lab.wait_for(measured, timeout=lab.wall(90), what="`kubectl top pods` with every model loaded")

    nodes = _top(lab, "nodes")
    assert set(WORKERS) < {r["NAME"] for r in nodes}
    assert all(re.fullmatch(r"\d+%", r["CPU(%)"]) for r in nodes), nodes


def _top(lab: Lab, what: str) -> list[dict[str, str]]:
    out = lab.kubectl("top", what, check=False)
    return parse_table(out.stdout) if out.returncode == 0 else []
