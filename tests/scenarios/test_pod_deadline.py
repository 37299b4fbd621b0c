"""A pod's own spec.activeDeadlineSeconds on the simulator: the kubelet stops it once it has
been active that long and it ends Failed with reason DeadlineExceeded, without a restart
whatever its restartPolicy (a Job's activeDeadlineSeconds is the Job controller's, apart)."""

from __future__ import annotations

from scenario_kubectl import Lab

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: batch-step
spec:
  activeDeadlineSeconds: 20
  terminationGracePeriodSeconds: 2
  restartPolicy: Always
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "sleep 3600"]
"""


def test_a_pod_past_its_active_deadline_ends_failed_with_deadline_exceeded(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=POD)
    pod = lab.wait_for(
        lambda: (p := lab.get_json("pod", "batch-step"))["status"].get("phase") == "Failed" and p,
        timeout=lab.wall(60),
        what="the pod to fail past its deadline",
    )
    assert (pod["status"]["reason"], pod["status"]["message"]) == (
        "DeadlineExceeded",
        "Pod was active on the node longer than the specified deadline",
    )
    state = pod["status"]["containerStatuses"][0]["state"]
    assert "terminated" in state, state  # stopped, and not restarted despite restartPolicy
    # kubectl's STATUS prefers the stopped container's reason (printPod), as on kind
    assert lab.table("pod", "batch-step")[0]["STATUS"] == "Error"
    events = lab.get_json("events", "--field-selector", "involvedObject.name=batch-step")["items"]
    assert ("Normal", "DeadlineExceeded") in {(e["type"], e["reason"]) for e in events}
    assert lab.get_json("pod", "batch-step")["status"]["phase"] == "Failed"  # it stays


def test_a_pod_that_finishes_in_time_is_not_touched(lab: Lab) -> None:
    # a deadline far beyond the run: at the scenarios' time scale 20 cluster seconds are 2 s
    # of wall time, which a loaded machine can spend starting the container
    quick = (
        POD.replace("sleep 3600", "true")
        .replace("restartPolicy: Always", "restartPolicy: Never")
        .replace("activeDeadlineSeconds: 20", "activeDeadlineSeconds: 600")
    )
    lab.kubectl("apply", "-f", "-", input=quick)
    pod = lab.wait_for(
        lambda: (
            (p := lab.get_json("pod", "batch-step"))["status"].get("phase") == "Succeeded" and p
        ),
        timeout=lab.wall(30),
        what="the pod to succeed",
    )
    lab.kubectl("get", "pod", "batch-step")
    assert "reason" not in pod["status"]


def test_a_deadline_set_on_a_running_pod_is_kept(lab: Lab) -> None:
    """ValidatePodUpdate lets activeDeadlineSeconds be set or shortened on a running pod, and
    the kubelet reads it on every sync."""
    lab.kubectl("apply", "-f", "-", input=POD.replace("  activeDeadlineSeconds: 20\n", ""))
    lab.kubectl(
        "wait", "--for=condition=Ready", "pod/batch-step", f"--timeout={int(lab.wall(60))}s"
    )
    lab.kubectl("patch", "pod", "batch-step", "-p", '{"spec":{"activeDeadlineSeconds":5}}')
    pod = lab.wait_for(
        lambda: (p := lab.get_json("pod", "batch-step"))["status"].get("phase") == "Failed" and p,
        timeout=lab.wall(60),
        what="the pod to fail at its new deadline",
    )
    assert pod["status"]["reason"] == "DeadlineExceeded"
