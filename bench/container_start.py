"""Measure what a container world costs a pod: creation to Ready on a served kubesim, with
each container in its own namespaces and root filesystem, and in process mode
(`KUBESIM_ISOLATION=process`), for a busybox pod and the course's inference image.

Ready is the pod's Ready condition as the API reports it (no probes: the container has
started), polled every 10 ms; the kubesim runs at real speed.

    .venv/bin/python bench/container_start.py [--pods 8] [--layers]

`--layers` measures only the root filesystem's layer as a container start writes it: the
kubesim's CPU (user + kernel) to lay out each image's layer, with its symlinks made anew or
as hard links to the runtime's templates (`_rootfs._link`), median of 30.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kubesim_api import session_for, start  # noqa: E402

IMAGES = {
    "busybox": ("busybox:1.36", ["sleep", "3600"], []),
    "inference": (
        "kubelab/inference:2.4.0",
        None,
        [{"name": "MODEL_PATH", "value": "models/iris-logreg.json"}],
    ),
}


def pod(name: str, image: str, command: list[str] | None, env: list[dict]) -> dict:
    container: dict = {"name": "c", "image": image, "env": env}
    if command:
        container["command"] = command
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container]}}  # fmt: skip


def ready(p: dict) -> bool:
    conditions = (p.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def measure(mode: str, pods: int) -> dict[str, list[float]]:
    if mode == "process":
        os.environ["KUBESIM_ISOLATION"] = "process"
    try:
        state = Path(tempfile.mkdtemp(prefix=f"bench-ctr-{mode}-"))
        served, _, _, url = start(state, controllers=True)
    finally:
        os.environ.pop("KUBESIM_ISOLATION", None)
    session = session_for(state)
    base = f"{url}/api/v1/namespaces/default/pods"
    results: dict[str, list[float]] = {}
    try:
        time.sleep(3)  # let kube-system's pods start first
        for kind, (image, command, env) in IMAGES.items():
            samples = []
            for i in range(pods):
                name = f"{kind}-{i}"
                sent = time.perf_counter()
                session.post(base, json=pod(name, image, command, env)).raise_for_status()
                while not ready(session.get(f"{base}/{name}").json()):
                    if time.perf_counter() - sent > 60:
                        raise SystemExit(f"{mode}: pod {name} not Ready within 60 s")
                    time.sleep(0.01)
                samples.append(time.perf_counter() - sent)
            results[kind] = samples
    finally:
        served.stop()
    return results


def layer_costs(rounds: int = 30) -> None:
    from kubesim.kubelet import _images, _rootfs

    pod_identity = _rootfs.PodIdentity(hostname="p", namespace="default", pod_ip="10.244.1.5")
    print("| image | symlinks | layer CPU, median | min | max |")
    print("| --- | --- | --- | --- | --- |")
    for kind, (image, _, _) in IMAGES.items():
        layout = _rootfs.plan(_images.pull(image), pod_identity)
        for how in ("made anew", "hard links to templates"):
            folder = Path(tempfile.mkdtemp(prefix="bench-layer-"))
            links = folder / "links" if how != "made anew" else None
            samples = []
            for i in range(rounds):
                started = time.process_time()
                layout.materialize_fresh(folder / f"r{i}" / "rootfs", links=links)
                samples.append(time.process_time() - started)
            shutil.rmtree(folder)
            print(
                f"| {kind} | {how} | {statistics.median(samples) * 1000:.1f} ms "
                f"| {min(samples) * 1000:.1f} ms | {max(samples) * 1000:.1f} ms |"
            )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=8)
    parser.add_argument("--layers", action="store_true", help="only the rootfs layer's CPU")
    args = parser.parse_args()
    if args.layers:
        layer_costs()
        return 0
    print("| pod | mode | creation to Ready, median | min | max |")
    print("| --- | --- | --- | --- | --- |")
    for mode in ("world", "process"):
        for kind, samples in measure(mode, args.pods).items():
            print(
                f"| {kind} | {mode} | {statistics.median(samples) * 1000:.0f} ms "
                f"| {min(samples) * 1000:.0f} ms | {max(samples) * 1000:.0f} ms |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
