"""The Kubernetes docs' task "Handling retriable and non-retriable pod failures with Pod
failure policy", on the simulator: an exit code the policy calls a bug fails the Job at once,
and a pod evicted through the Eviction API (what `kubectl drain` sends) is not counted
against backoffLimit, because the eviction marked it with a DisruptionTarget condition."""

from __future__ import annotations

import json

from scenario_kubectl import Lab

# the docs' job-pod-failure-policy-failjob.yaml, with a shorter sleep (a pod's processes run
# in real time, whatever the cluster's clock)
FAILJOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: job-pod-failure-policy-failjob
spec:
  completions: 8
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: docker.io/library/bash:5
        command: ["bash"]
        args:
        - -c
        - echo "Hello world! I'm going to exit with 42 to simulate a software bug." && sleep 1 && exit 42
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes:
        containerName: main
        operator: In
        values: [42]
"""

# shaped like the docs' job-pod-failure-policy-ignore.yaml: a disruption does not count
IGNORE = """
apiVersion: batch/v1
kind: Job
metadata:
  name: job-pod-failure-policy-ignore
spec:
  completions: 1
  parallelism: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: docker.io/library/bash:5
        command: ["bash"]
        args:
        - -c
        - echo "Hello world! I'm going to exit with 0 (success)." && sleep 3600 && exit 0
  backoffLimit: 0
  podFailurePolicy:
    rules:
    - action: Ignore
      onPodConditions:
      - type: DisruptionTarget
"""


def _condition(job: dict, ctype: str) -> dict | None:
    found = [c for c in job["status"].get("conditions") or [] if c["type"] == ctype]
    return found[0] if found and found[0]["status"] == "True" else None


def test_an_exit_code_the_policy_calls_a_bug_fails_the_job_at_once(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=FAILJOB)
    job = lab.wait_for(
        lambda: (
            (j := lab.get_json("job", "job-pod-failure-policy-failjob"))
            and _condition(j, "Failed")
            and j
        ),
        timeout=lab.wall(60),
        what="the Job to fail",
    )
    failed = _condition(job, "Failed")
    assert failed is not None and failed["reason"] == "PodFailurePolicy"
    assert failed["message"].startswith(
        "Container main for pod lab/job-pod-failure-policy-failjob-"
    )
    assert failed["message"].endswith("failed with exit code 42 matching FailJob rule at index 0")
    # not six retries: the first failures (two run in parallel) end it
    assert 1 <= job["status"]["failed"] <= 2
    logs = lab.kubectl("logs", "job/job-pod-failure-policy-failjob").stdout
    assert "exit with 42 to simulate a software bug" in logs


def test_an_evicted_pod_is_not_counted_and_the_job_goes_on(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=IGNORE)

    def running() -> list[str]:
        pods = lab.get_json("pods", "-l", "job-name=job-pod-failure-policy-ignore")["items"]
        return [
            p["metadata"]["name"]
            for p in pods
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]

    first = lab.wait_for(running, timeout=lab.wall(60), what="the Job's pod to run")[0]
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": first}}
    lab.kubectl(
        "create",
        "--raw",
        f"/api/v1/namespaces/lab/pods/{first}/eviction",
        "-f",
        "-",
        input=json.dumps(eviction),
    )

    second = lab.wait_for(
        lambda: [n for n in running() if n != first], timeout=lab.wall(60), what="a new pod"
    )
    assert second
    job = lab.get_json("job", "job-pod-failure-policy-ignore")
    assert _condition(job, "Failed") is None, "backoffLimit 0, and still no failure counted"
    assert not job["status"].get("failed")
