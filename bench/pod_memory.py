"""Measure what running pods cost in memory when idle: a served kubesim (at real speed, with
whatever isolation and network this machine gives it: on Linux as root, the container world
and the fabric), first with kube-system only, then with 10 busybox `sleep` pods more, then 10
pods of the course's inference image more.

Memory is taken from /proc for kubesim and every process below it (the pods' processes, the
`nsenter`/`unshare` each container keeps as its parent, the fabric's agent and sandboxes):
RSS summed (counts shared pages once per process, as the issue 4 budget did) and PSS summed
(`/proc/PID/smaps_rollup`: shared pages split between their users, what the machine really
gives). Each figure is the median of 5 samples a second apart, after 10 s of settling.

    .venv/bin/python bench/pod_memory.py [--pods 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from container_start import pod, ready  # noqa: E402
from kubesim_api import session_for, start  # noqa: E402

from kubesim.kubelet._cgroups import process_tree  # noqa: E402

MIB = 1024 * 1024
SETTLE_SECONDS = 10
IMAGES = {
    "busybox sleep": ("busybox:1.36", ["sleep", "3600"], []),
    "inference": (
        "kubelab/inference:2.4.0",
        None,
        [{"name": "MODEL_PATH", "value": "models/iris-logreg.json"}],
    ),
}


def _field(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def sample(root: int) -> tuple[int, int, Counter[str]]:
    """(RSS, PSS, processes by name) of `root` and everything below it."""
    rss = pss = 0
    names: Counter[str] = Counter()
    for pid in process_tree(root):
        rss += _field(Path(f"/proc/{pid}/status"), "VmRSS")
        pss += _field(Path(f"/proc/{pid}/smaps_rollup"), "Pss")
        try:
            names[Path(f"/proc/{pid}/comm").read_text().strip()] += 1
        except OSError:
            continue
    return rss, pss, names


def settled(root: int) -> tuple[float, float, Counter[str]]:
    time.sleep(SETTLE_SECONDS)
    samples = []
    for _ in range(5):
        samples.append(sample(root))
        time.sleep(1)
    rss = statistics.median(s[0] for s in samples) / MIB
    pss = statistics.median(s[1] for s in samples) / MIB
    return rss, pss, samples[-1][2]


def wait_ready(session, url: str, names: list[str], *, timeout: float = 180) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    for name in names:
        while not ready(session.get(f"{url}/{name}").json()):
            if time.monotonic() > deadline:
                raise SystemExit(f"pod {name} not Ready within {timeout:.0f} s")
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=10)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="bench-pod-memory-"))
    served, _, _, url = start(state, controllers=True)
    session = session_for(state)
    try:
        status = session.get(f"{url}/kubesim/v1/status").json()
        print(f"isolation: {status.get('isolation', {}).get('mode')}; ", end="")
        print(f"network: {status.get('network', {}).get('mode', status.get('network'))}")
        system = f"{url}/api/v1/namespaces/kube-system/pods"
        deadline = time.monotonic() + 120
        while True:
            items = session.get(system).json()["items"]
            if items and all(ready(p) for p in items) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        rows: list[tuple[str, float, float, Counter[str]]] = [
            ("kube-system only", *settled(served.process.pid))
        ]
        base = f"{url}/api/v1/namespaces/default/pods"
        for kind, (image, command, env) in IMAGES.items():
            pods = [f"{kind.split()[0]}-{i}" for i in range(args.pods)]
            for name in pods:
                session.post(base, json=pod(name, image, command, env)).raise_for_status()
            wait_ready(session, base, pods)
            rows.append((f"+ {args.pods} {kind} pods", *settled(served.process.pid)))
    finally:
        served.stop()
    print("| state | RSS summed | PSS summed | added PSS | processes |")
    print("| --- | --- | --- | --- | --- |")
    previous: float | None = None
    for label, rss, pss, names in rows:
        added = f"+{pss - previous:.0f} MiB" if previous is not None else ""
        top = ", ".join(f"{n} {c}" for n, c in names.most_common(4))
        print(
            f"| {label} | {rss:.0f} MiB | {pss:.0f} MiB | {added} | {sum(names.values())} ({top}) |"
        )
        previous = pss
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
