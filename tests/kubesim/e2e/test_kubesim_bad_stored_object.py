"""A store that holds an object today's validation would refuse (written by an older kubesim,
issue 21: a Deployment of 2^63 replicas) must not keep the cluster from starting: kubesim
starts, answers, and lets the learner delete the object, after which its pods go away."""

from __future__ import annotations

import time
from pathlib import Path

from kubesim_process import start_kubesim, stop_kubesim

from kubesim.store.sqlite import Store


def test_a_runaway_deployment_in_the_store_still_lets_kubesim_start_serve_and_delete_it(
    tmp_path: Path,
) -> None:
    first = start_kubesim(tmp_path)  # the API alone: nothing acts on it yet
    try:
        first.kubectl(
            "create", "deployment", "runaway", "--image=busybox:1.36", "--", "sleep", "3600"
        )
    finally:
        stop_kubesim(first)
    store = Store(tmp_path / "state.db")
    try:
        (row,) = [r for r in store.list("/apps/deployments/")[1] if r.key.endswith("/runaway")]
        obj = dict(row.obj)
        obj["spec"] = {**obj["spec"], "replicas": 2**63}
        store.update(row.key, obj)
    finally:
        store.close()

    cluster = start_kubesim(tmp_path, controllers=True)
    try:
        worst = 0.0
        for _ in range(20):
            started = time.monotonic()
            cluster.kubectl("get", "--raw", "/api/v1/namespaces/default")
            worst = max(worst, time.monotonic() - started)
            time.sleep(0.1)
        assert worst < 5.0, f"a GET took {worst:.1f}s while the runaway was stored"
        out = cluster.kubectl("delete", "deployment", "runaway", "--wait=false", timeout=30)
        assert 'deployment.apps "runaway" deleted' in out.stdout
        deadline = time.monotonic() + 120
        left = -1
        while time.monotonic() < deadline:
            left = len(
                cluster.kubectl("get", "pods,rs", "-l", "app=runaway", "-o", "name").stdout.split()
            )
            if left == 0:
                break
            time.sleep(1)
        assert left == 0, f"{left} pods and ReplicaSets of the deleted Deployment remain"
    finally:
        stop_kubesim(cluster)
