"""Virtual time on a whole in-process cluster: a long cluster timer passes in jumps, and a
real process in a pod still gets its real time.

A container that exits at once crash-loops with the kubelet's back-off (10 s, 20 s, 40 s):
on a VirtualClock at scale 1 those 70 cluster seconds pass in a fraction of that. Beside
it, a model server that takes STARTUP_SECONDS of real time to load becomes Ready after
about that much cluster time too: while it is not ready its pod holds the clock, so no
back-off deadline is jumped to during its start-up.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from _loops_helpers import live_cluster, settle

from kubesim.core.clock import parse_time

STARTUP = 3  # real seconds the model server takes to load


def _model_server(name: str, env: dict[str, str], **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": "kubelab-worker",
            "containers": [
                {
                    "name": "model-server",
                    "image": "kubelab/inference:2.4.0",
                    "ports": [{"containerPort": 8080}],
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                    **container,
                }
            ],
        },
    }


def _container(pod: dict[str, Any]) -> dict[str, Any]:
    return ((pod.get("status") or {}).get("containerStatuses") or [{}])[0]


async def test_a_crash_loop_back_off_jumps_while_a_slow_start_keeps_its_real_time(
    tmp_path: Path,
) -> None:
    async with live_cluster(tmp_path, scale=1.0, virtual=True) as (api, _):
        pods = api.resource("", "v1", "pods")
        began_real, began_cluster = time.monotonic(), api.clock.monotonic()
        api.create(pods, "default", _model_server("crash", {}))  # no MODEL_PATH: exit 1
        probe = {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 1}
        slow_env = {"MODEL_PATH": "models/iris-logreg.json", "STARTUP_SECONDS": str(STARTUP)}
        api.create(pods, "default", _model_server("slow", slow_env, readinessProbe=probe))

        def ready() -> dict[str, Any] | None:
            pod = api.get(pods, "default", "slow")
            return pod if _container(pod).get("ready") else None

        pod = await settle(ready, timeout=60.0)
        started = parse_time(_container(pod)["state"]["running"]["startedAt"])
        condition = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
        took = (parse_time(condition["lastTransitionTime"]) - started).total_seconds()
        # its real start-up, one probe period and whole-second stamps: the crash loop's
        # back-off deadlines pending meanwhile were not jumped to
        assert STARTUP - 1 <= took <= STARTUP + 4, took

        def restarted_four_times() -> dict[str, Any] | None:
            pod = api.get(pods, "default", "crash")
            return pod if _container(pod).get("restartCount", 0) >= 4 else None

        await settle(restarted_four_times, timeout=60.0)
        real = time.monotonic() - began_real
        cluster = api.clock.monotonic() - began_cluster
        assert cluster >= 10 + 20 + 40, cluster  # the back-offs before the fourth restart
        assert real < cluster / 3, (real, cluster)
