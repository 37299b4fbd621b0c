"""A kubesim restart is a node reboot (`kubelab down`, then `up`: every process is gone), and
the kubelet treats each pod's old containers as computePodActions does: a pod that may
restart gets a new sandbox and its running containers start again as restarts, except one
that had succeeded under OnFailure; a pod under restartPolicy Never that ran gets no new
sandbox, so it ends Failed, its running containers `Unknown` (255), and its Job replaces it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kubesim_process import Cluster, stop_kubesim
from scenario_kubectl import start_scaled

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: always}
spec:
  containers:
  - {name: main, image: busybox:1.36, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: on-failure}
spec:
  restartPolicy: OnFailure
  containers:
  - {name: done, image: busybox:1.36, command: ["true"]}
  - {name: main, image: busybox:1.36, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  restartPolicy: Never
  containers:
  - {name: done, image: busybox:1.36, command: ["true"]}
  - {name: main, image: busybox:1.36, command: [sleep, "3600"]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  backoffLimit: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: main, image: busybox:1.36, command: [sleep, "3600"]}
"""


def _wait(what: str, check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = check()
        except (AssertionError, KeyError, IndexError):
            got = None
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _containers(cluster: Cluster, pod: str) -> dict[str, dict[str, Any]]:
    import json

    got = json.loads(cluster.kubectl("get", "pod", pod, "-o", "json").stdout)
    return {c["name"]: c for c in got["status"].get("containerStatuses") or []} | {
        "phase": got["status"].get("phase")
    }


def _running(cluster: Cluster, pod: str, *names: str, restarts: int = 0) -> bool:
    got = _containers(cluster, pod)
    return all("running" in got[n]["state"] and got[n]["restartCount"] == restarts for n in names)


def test_after_a_reboot_pods_restart_or_end_as_their_restart_policy_says(tmp_path: Path) -> None:
    cluster = start_scaled(tmp_path / "state", 10, virtual=True)
    try:
        cluster.kubectl("apply", "-f", "-", input=PODS)
        _wait(
            "the pods running",
            lambda: all(_running(cluster, p, "main") for p in ("always", "on-failure", "never")),
        )
        _wait(
            "the finished containers",
            lambda: all(
                "terminated" in _containers(cluster, p)["done"]["state"]
                for p in ("on-failure", "never")
            ),
        )
        job_pod = _wait(
            "the job's pod",
            lambda: cluster.kubectl(
                "get", "pods", "-l", "job-name=batch", "-o", "name"
            ).stdout.strip(),
        )
        _wait("the job's pod running", lambda: _running(cluster, job_pod.split("/")[1], "main"))
    finally:
        stop_kubesim(cluster)

    cluster = start_scaled(tmp_path / "state", 10, virtual=True)
    try:
        _wait("always restarted", lambda: _running(cluster, "always", "main", restarts=1))
        always = _containers(cluster, "always")["main"]
        assert always["restartCount"] == 1
        assert always["lastState"]["terminated"]["exitCode"] == 255
        assert always["lastState"]["terminated"]["reason"] == "Unknown"

        _wait(
            "on-failure's main restarted",
            lambda: _running(cluster, "on-failure", "main", restarts=1),
        )
        on_failure = _containers(cluster, "on-failure")
        assert on_failure["main"]["restartCount"] == 1
        assert on_failure["done"]["restartCount"] == 0  # it had succeeded: not run again
        assert on_failure["done"]["state"]["terminated"]["reason"] == "Completed"

        never = _wait(
            "never Failed",
            lambda: (got := _containers(cluster, "never"))["phase"] == "Failed" and got,
        )
        assert never["main"]["state"]["terminated"]["exitCode"] == 255
        assert never["main"]["state"]["terminated"]["reason"] == "Unknown"
        assert never["main"]["restartCount"] == 0
        assert never["done"]["state"]["terminated"]["reason"] == "Completed"

        def replaced() -> bool:
            import json

            job = json.loads(cluster.kubectl("get", "job", "batch", "-o", "json").stdout)
            return job["status"].get("failed") == 1 and job["status"].get("active") == 1

        _wait("the job to count the failure and replace its pod", replaced)
    finally:
        stop_kubesim(cluster)
