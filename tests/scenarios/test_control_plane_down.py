"""The control plane fails without the data plane (issue 16 item 5, `control-plane-down`).

With the API server gone, kubectl's first request is refused in kubectl's own words, while
the pods keep running and a Service keeps answering from them; a container killed
meanwhile is restarted by its kubelet in place (the pod is not replaced: no controller
runs); nothing is scheduled. When the control plane is back, the controllers start afresh
and act again.

The cluster is this module's own (the fault would stop the session's shared one). The
Service is probed from a pod that requests it in a loop and writes each answer to its log;
the test reads that log from the kubelet's folder, because `kubectl logs` goes through the
API server, which is down. That way the probe does not depend on how the Service data plane
is built (userspace proxy or kernel rules).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubesim_process import Cluster, stop_kubesim
from scenario_kubectl import Lab, start_scaled

from kubelab._simprocess import control_plane_argv
from kubesim.core.clock import parse_time

SCALE = float(os.environ.get("KUBELAB_SCENARIO_SCALE", "10"))
DEPLOY = "manifests/inference/deployment.yaml"
SERVICE = "manifests/inference/service.yaml"
PROBE = """
apiVersion: v1
kind: Pod
metadata:
  name: probe
spec:
  restartPolicy: Always
  containers:
    - name: probe
      image: kubelab/inference:2.4.0
      imagePullPolicy: IfNotPresent
      command:
        - python3
        - -u
        - -c
        - |
          import time, urllib.request
          while True:
              try:
                  with urllib.request.urlopen("http://inference-service:8080/ready", timeout=2) as r:
                      print("answer", r.status, flush=True)
              except Exception as exc:
                  print("failed", type(exc).__name__, exc, flush=True)
              time.sleep(0.2)
"""
# A Job whose pod ends while the control plane is down: the kubelet sees it end, but the Job
# controller only records the completion once it runs again.
JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: short
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: short
          image: busybox:1.36
          command: ["sh", "-c", "sleep 6; echo done"]
"""


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = start_scaled(tmp_path_factory.mktemp("cpdown"), SCALE)
    try:
        cluster.kubectl("create", "namespace", "lab")
        yield cluster
    finally:
        _switch(cluster, "start", check=False)
        stop_kubesim(cluster)


def _switch(cluster: Cluster, action: str, *, check: bool = True) -> str:
    """kubesim's admin switch, as kubelab's sim backend runs it."""
    done = subprocess.run(
        control_plane_argv(cluster.state_dir, action),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _log(cluster: Cluster, uid: str, container: str = "probe") -> str:
    folder = cluster.state_dir / "kubelet" / "pods" / uid / container / "logs"
    logs = sorted(folder.glob("*.log"))
    return "".join(p.read_text(errors="replace") for p in logs)


def _kill_container(pod: str) -> int:
    """SIGKILL every process of the pod's container from the host, as a crash would."""
    killed = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"HOSTNAME={pod}".encode() in env:
            try:
                os.kill(int(proc.name), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


def _restarts(lab: Lab, pod: str) -> int:
    statuses = lab.get_json("pod", pod)["status"].get("containerStatuses") or [{}]
    return int(statuses[0].get("restartCount", 0))


def test_services_answer_and_nothing_heals_while_the_control_plane_is_down(
    own_cluster: Cluster,
) -> None:
    lab = Lab(own_cluster, SCALE)
    lab.apply(DEPLOY, SERVICE)
    lab.kubectl("apply", "-f", "-", input=PROBE)
    lab.wait_for(lambda: lab.ready_running(3), timeout=lab.wall(90), what="3 pods READY 1/1")
    uid = lab.get_json("pod", "probe")["metadata"]["uid"]
    lab.wait_for(
        lambda: "answer 200" in _log(own_cluster, uid),
        timeout=lab.wall(60),
        what="the probe pod to get an answer from the Service",
    )
    before = {p["metadata"]["name"] for p in lab.live_pods()}
    victim = sorted(before)[0]
    port = own_cluster.url.rsplit(":", 1)[1]
    lab.kubectl("apply", "-f", "-", input=JOB)
    job_pod = lab.wait_for(
        lambda: next(
            (p for p in lab.pods("job-name=short") if p["status"].get("phase") == "Running"), None
        ),
        timeout=lab.wall(60),
        what="the Job's pod to run",
    )

    assert _switch(own_cluster, "stop") == "down"
    try:
        refused = lab.kubectl("get", "pods", check=False)
        assert refused.returncode == 1
        assert refused.stderr.strip() == (
            f"The connection to the server 127.0.0.1:{port} was refused - did you specify "
            "the right host or port?"
        )
        assert _switch(own_cluster, "status") == "down"

        # the Service keeps answering from the running pods
        seen = len(_log(own_cluster, uid))
        lab.wait_for(
            lambda: _log(own_cluster, uid)[seen:].count("answer 200") >= 5,
            timeout=30,
            what="five more answers from the Service while the API server is down",
        )
        # a crashed container is the kubelet's to restart; nothing replaces the pod
        assert _kill_container(victim) >= 1
        time.sleep(lab.wall(15, slack=0))  # cluster time for controllers that must not act
        seen = len(_log(own_cluster, uid))
        lab.wait_for(
            lambda: _log(own_cluster, uid)[seen:].count("answer 200") >= 5,
            timeout=30,
            what="the Service to keep answering after a pod's container was killed",
        )
        job_uid = job_pod["metadata"]["uid"]
        lab.wait_for(
            lambda: "done" in _log(own_cluster, job_uid, "short"),
            timeout=30,
            what="the Job's pod to finish while the control plane is down",
        )
        # 60 s of cluster time in which a running Job controller would act; the margin over
        # the 10 s asserted below is for a kubelet that, on a busy machine, notices the exit
        # (finishedAt) seconds after the container wrote its last line
        time.sleep(6)
        assert lab.kubectl("get", "pods", check=False).returncode == 1
    finally:
        assert _switch(own_cluster, "start") == "up"

    after = {p["metadata"]["name"] for p in lab.live_pods()}
    assert after == before, "a pod was replaced while no controller ran"
    lab.wait_for(
        lambda: _restarts(lab, victim) >= 1,
        timeout=lab.wall(60),
        what=f"{victim} to show the restart its kubelet made",
    )
    # the Job controller records the completion only now that it runs again
    job = lab.wait_for(
        lambda: (j := lab.get_json("job", "short"))["status"].get("completionTime") and j,
        timeout=lab.wall(60),
        what="the Job controller to record the Job's completion",
    )
    ended = lab.get_json("pod", job_pod["metadata"]["name"])["status"]["containerStatuses"][0]
    finished = parse_time(ended["state"]["terminated"]["finishedAt"]).timestamp()
    recorded = parse_time(job["status"]["completionTime"]).timestamp()
    assert recorded - finished >= 10, (finished, recorded)
    # the controllers are back: a scale is acted on and the Deployment settles
    lab.kubectl("scale", "deployment", "inference-service", "--replicas=4")
    lab.wait_for(lambda: lab.ready_running(4), timeout=lab.wall(90), what="4 pods READY 1/1")
    lab.wait_for(
        lambda: (
            lab.get_json("deployment", "inference-service")["status"].get("availableReplicas") == 4
        ),
        timeout=lab.wall(60),
        what="the Deployment to report 4 available replicas",
    )
