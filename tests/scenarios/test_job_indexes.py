"""The Kubernetes docs' Indexed Job examples on the simulator: a back-off limit per index
(`job-backoff-limit-per-index-example.yaml`, and its FailIndex variant from the task
"Handling retriable and non-retriable pod failures with Pod failure policy"), and a success
policy (`job-success-policy.yaml`). Each ends as the docs show it ends."""

from __future__ import annotations

from scenario_kubectl import Lab

# the docs' examples, as written
PER_INDEX = """
apiVersion: batch/v1
kind: Job
metadata:
  name: job-backoff-limit-per-index-example
spec:
  completions: 10
  parallelism: 3
  completionMode: Indexed  # required for the feature
  backoffLimitPerIndex: 1  # maximal number of failures per index
  maxFailedIndexes: 5      # maximal number of failed indexes before terminating the Job execution
  template:
    spec:
      restartPolicy: Never # required for the feature
      containers:
      - name: example
        image: python
        command:           # The jobs fails as there is at least one failed index
                           # (all even indexes fail in here), yet all indexes
                           # are executed as maxFailedIndexes is not exceeded.
        - python3
        - -c
        - |
          import os, sys
          print("Hello world")
          if int(os.environ.get("JOB_COMPLETION_INDEX")) % 2 == 0:
            sys.exit(1)
"""

FAIL_INDEX = """
apiVersion: batch/v1
kind: Job
metadata:
  name: job-backoff-limit-per-index-failindex
spec:
  completions: 4
  parallelism: 2
  completionMode: Indexed
  backoffLimitPerIndex: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: docker.io/library/python:3
        command:
        # The script:
        # - fails the Pod with index 0 with exit code 1, which results in one retry;
        # - fails the Pod with index 1 with exit code 42 which results
        #   in failing the index without retry.
        # - succeeds Pods with any other index.
        - python3
        - -c
        - |
          import os, sys
          index = int(os.environ.get("JOB_COMPLETION_INDEX"))
          if index == 0:
            sys.exit(1)
          elif index == 1:
            sys.exit(42)
          else:
            sys.exit(0)
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailIndex
      onExitCodes:
        containerName: main
        operator: In
        values: [42]
"""

SUCCESS_POLICY = """
apiVersion: batch/v1
kind: Job
metadata:
  name: job-success
spec:
  parallelism: 10
  completions: 10
  completionMode: Indexed # Required for the success policy
  successPolicy:
    rules:
      - succeededIndexes: 0,2-3
        succeededCount: 1
  template:
    spec:
      containers:
      - name: main
        image: python
        command:          # Provided that at least one of the Pods with 0, 2, and 3 indexes has succeeded,
                          # the overall Job is a success.
          - python3
          - -c
          - |
            import os, sys
            if os.environ.get("JOB_COMPLETION_INDEX") == "2":
              sys.exit(0)
            else:
              sys.exit(1)
      restartPolicy: Never
"""


def _conditions(job: dict) -> list[tuple[str, str, str]]:
    return [
        (c["type"], c.get("reason", ""), c.get("message", ""))
        for c in job["status"].get("conditions") or []
        if c["status"] == "True"
    ]


def _finished(lab: Lab, name: str, *, cluster_seconds: float) -> dict:
    return lab.wait_for(
        lambda: (
            (j := lab.get_json("job", name))
            and any(t in ("Complete", "Failed") for t, _, _ in _conditions(j))
            and j
        ),
        timeout=lab.wall(cluster_seconds, slack=60),
        what=f"the Job {name} to finish",
    )


def test_each_index_has_its_own_backoff_limit(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=PER_INDEX)
    job = _finished(lab, "job-backoff-limit-per-index-example", cluster_seconds=300)
    status = job["status"]
    # the docs: 1 succeeded pod for each of 5 succeeded indexes, 2 failed pods (1 retry)
    # for each of 5 failed indexes
    assert status["completedIndexes"] == "1,3,5,7,9"
    assert status["failedIndexes"] == "0,2,4,6,8"
    assert (status["succeeded"], status["failed"]) == (5, 10)
    assert _conditions(job) == [
        ("FailureTarget", "FailedIndexes", "Job has failed indexes"),
        ("Failed", "FailedIndexes", "Job has failed indexes"),
    ]
    pods = lab.get_json("pods", "-l", "job-name=job-backoff-limit-per-index-example")["items"]
    retries = [
        p
        for p in pods
        if p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == "0"
    ]
    counts = sorted(
        p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] for p in retries
    )
    assert counts == ["0", "1"]  # the retry carries the index's first failure


def test_a_fail_index_rule_fails_an_index_without_a_retry(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=FAIL_INDEX)
    job = _finished(lab, "job-backoff-limit-per-index-failindex", cluster_seconds=120)
    status = job["status"]
    assert (status["failedIndexes"], status["completedIndexes"]) == ("0,1", "2,3")
    assert (status["failed"], status["succeeded"]) == (3, 2)
    assert job["spec"]["podReplacementPolicy"] == "Failed"  # defaulted: a podFailurePolicy


def test_a_success_policy_ends_the_job_at_the_first_index_it_names(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=SUCCESS_POLICY)
    job = _finished(lab, "job-success", cluster_seconds=120)
    assert _conditions(job) == [
        ("SuccessCriteriaMet", "SuccessPolicy", "Matched rules at index 0"),
        ("Complete", "SuccessPolicy", "Matched rules at index 0"),
    ]
    assert job["status"]["completedIndexes"] == "2"
    assert job["status"]["succeeded"] == 1
    assert not job["status"].get("active")  # the other indexes' pods were ended


def test_the_api_server_refuses_per_index_fields_on_a_non_indexed_job(lab: Lab) -> None:
    bad = PER_INDEX.replace("completionMode: Indexed", "completionMode: NonIndexed")
    out = lab.kubectl("apply", "-f", "-", input=bad, check=False)
    assert "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode" in (
        out.stderr
    )
    assert "spec.maxFailedIndexes: Invalid value: 5: requires indexed completion mode" in out.stderr
