"""A deleted pod ends in a terminal phase before it goes, as the kubelet has done since 1.27
(Pod Lifecycle: "the kubelet transitions deleted Pods ... to a terminal phase (Failed or
Succeeded depending on the exit statuses of the pod containers) before their deletion"), and
what waits for that phase (a Job that replaces only failed pods) moves on."""

from __future__ import annotations

from scenario_kubectl import Lab

SLEEPER = """
apiVersion: v1
kind: Pod
metadata:
  name: sleeper
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: sleep
      image: busybox:1.37
      command: ["sleep", "3600"]
"""

WORKER = """
apiVersion: batch/v1
kind: Job
metadata:
  name: worker
spec:
  podReplacementPolicy: Failed
  backoffLimit: 3
  template:
    spec:
      restartPolicy: OnFailure  # with Never, the container's exit alone fails the pod
      terminationGracePeriodSeconds: 2
      containers:
        - name: work
          image: busybox:1.37
          command: ["sleep", "3600"]
"""


def _running(lab: Lab, selector: str) -> list[str]:
    rows = lab.kubectl("get", "pods", "-l", selector, "--no-headers").stdout.splitlines()
    return [r.split()[0] for r in rows if r.split()[2] == "Running"]


def test_a_deleted_pod_shows_how_it_ended_before_it_goes(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=SLEEPER)
    lab.wait_for(
        lambda: lab.get_json("pod", "sleeper")["status"].get("phase") == "Running",
        timeout=lab.wall(60),
        what="the sleeper to run",
    )
    watch = lab.watch("pod", "sleeper")
    try:
        lab.kubectl("delete", "pod", "sleeper", "--wait=false")
        # `sleep` as PID 1 ignores SIGTERM: killed when the grace period ends, exit 137
        ended = lab.wait_for(
            lambda: [r for r in watch.rows() if r.get("STATUS") == "Error"],
            timeout=lab.wall(30),
            what="the deleted pod's last row, STATUS Error",
        )
    finally:
        printed = watch.stop()
    # the watch's later rows are wider than its header: split them, not cut at its columns
    statuses = [line.split()[2] for line in printed.splitlines()[1:] if line.strip()]
    assert "Terminating" in statuses, printed
    assert statuses.index("Terminating") < statuses.index("Error"), printed
    assert ended[0]["READY"] == "0/1", printed
    lab.wait_for(
        lambda: "sleeper" not in lab.kubectl("get", "pods", "-o", "name").stdout,
        timeout=lab.wall(30),
        what="the pod to be gone",
    )


def test_a_job_that_replaces_only_failed_pods_replaces_a_deleted_one(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=WORKER)
    first = lab.wait_for(
        lambda: _running(lab, "job-name=worker"), timeout=lab.wall(60), what="the Job's pod"
    )[0]

    lab.kubectl("delete", "pod", first, "--wait=false")

    # the pod counts as failed once the kubelet has written phase Failed; then the Job
    # controller lets it go (its tracking finalizer) and starts a replacement
    second = lab.wait_for(
        lambda: [n for n in _running(lab, "job-name=worker") if n != first],
        timeout=lab.wall(60),
        what="a replacement pod",
    )
    assert second
    status = lab.wait_for(
        lambda: (s := lab.get_json("job", "worker")["status"]).get("failed") == 1 and s,
        timeout=lab.wall(30),
        what="the Job to count one failed pod",
    )
    assert status.get("active") == 1
    lab.wait_for(
        lambda: first not in lab.kubectl("get", "pods", "-o", "name").stdout,
        timeout=lab.wall(30),
        what="the deleted pod to be gone",
    )


PINNED = """
apiVersion: v1
kind: Pod
metadata:
  name: pinned
spec:
  nodeName: kubelab-worker2
  containers:
    - name: sleep
      image: busybox:1.37
      command: ["sleep", "3600"]
"""

TARGET = '.status.conditions[?(@.type=="DisruptionTarget")].reason'


def test_a_deleted_nodes_pods_are_collected_and_the_node_returns_with_its_kubelet(
    lab: Lab,
) -> None:
    """`kubectl delete node` while the node is down: after the pod GC's 40 s quarantine its
    pods end Failed with DisruptionTarget DeletionByPodGC and are force-deleted; the kubelet
    registers the Node again when it starts."""
    node = "kubelab-worker2"
    lab.kubectl("apply", "-f", "-", input=PINNED)
    lab.wait_for(
        lambda: lab.get_json("pod", "pinned")["status"].get("phase") == "Running",
        timeout=lab.wall(60),
        what="the pinned pod to run",
    )
    columns = f"custom-columns=NAME:.metadata.name,PHASE:.status.phase,WHY:{TARGET}"
    watch = lab.watch("pod", "pinned", "-o", columns)
    cluster = lab.cluster
    cluster.kubectl("create", "--raw", f"/kubesim/v1/nodes/{node}/stop", "-f", "-", input="{}")
    try:
        cluster.kubectl("delete", "node", node)
        lab.wait_for(
            lambda: "pinned" not in lab.kubectl("get", "pods", "-o", "name").stdout,
            timeout=lab.wall(40 + 30),
            what="the pod GC to delete the orphan",
        )
    finally:
        printed = watch.stop()
        cluster.kubectl("create", "--raw", f"/kubesim/v1/nodes/{node}/start", "-f", "-", input="{}")
    assert any(
        line.split()[1:] == ["Failed", "DeletionByPodGC"] for line in printed.splitlines()
    ), printed
    ready = lab.wait_for(
        lambda: (
            cluster.kubectl(
                "get",
                "node",
                node,
                "-o",
                "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
                check=False,
            ).stdout
            == "True"
        ),
        timeout=lab.wall(60),
        what=f"{node} registered again and Ready",
    )
    assert ready
