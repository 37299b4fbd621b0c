"""A ResourceQuota denial reads as on a real cluster: kubectl apply fails with the API
server's Forbidden message naming the quota, what was requested, used and limited."""

from __future__ import annotations

from scenario_kubectl import Lab

QUOTA = """
apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
spec:
  hard:
    requests.cpu: "1"
    requests.memory: 1Gi
    limits.memory: 512Mi
"""

BIG_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: inference-big
  labels:
    app: inference
spec:
  containers:
    - name: model-server
      image: kubelab/inference:2.4.0
      env:
        - name: MODEL_PATH
          value: models/iris-logreg.json
      resources:
        requests:
          cpu: 100m
          memory: 128Mi
        limits:
          memory: 1Gi
"""


def test_a_pod_over_the_quota_is_refused_with_the_api_servers_message(lab: Lab) -> None:
    assert "resourcequota/compute created" in lab.kubectl("apply", "-f", "-", input=QUOTA).stdout
    # the quota controller fills status.used first (`kubectl describe quota` shows it)
    lab.wait_for(
        lambda: (
            "limits.memory" in lab.get_json("resourcequota", "compute")["status"].get("used", {})
        ),
        timeout=lab.wall(30),
        what="the quota's status.used",
    )

    denied = lab.kubectl("apply", "-f", "-", input=BIG_POD, check=False)

    assert denied.returncode == 1
    assert denied.stderr.strip() == (
        'Error from server (Forbidden): error when creating "STDIN": pods "inference-big" is '
        "forbidden: exceeded quota: compute, requested: limits.memory=1Gi, "
        "used: limits.memory=0, limited: limits.memory=512Mi"
    )
    assert lab.kubectl("get", "pod", "inference-big", check=False).returncode == 1
    used = lab.get_json("resourcequota", "compute")["status"]["used"]
    assert used["limits.memory"] == "0"


ONE_POD = """
apiVersion: v1
kind: ResourceQuota
metadata:
  name: one-pod
spec:
  hard:
    pods: "1"
    requests.cpu: "1"
"""

HELD_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: held
  finalizers: [kubelab.dev/hold]
spec:
  terminationGracePeriodSeconds: 5
  containers:
    - name: app
      image: registry.k8s.io/pause:3.10
      resources:
        requests:
          cpu: 100m
"""


def test_a_pod_stuck_terminating_gives_its_quota_back(lab: Lab) -> None:
    """QuotaV1Pod: a pod that cannot go away (here a finalizer holds it; on a real cluster,
    often a lost node) stops being charged once its grace period has passed twice, so its
    replacement fits. The quota controller has to look again at that moment by itself:
    nothing else changes then."""
    lab.kubectl("apply", "-f", "-", input=ONE_POD)
    lab.kubectl("apply", "-f", "-", input=HELD_POD)
    used = lambda: lab.get_json("resourcequota", "one-pod")["status"].get("used", {})  # noqa: E731
    try:
        lab.wait_for(lambda: used().get("pods") == "1", timeout=lab.wall(30), what="pods=1")
        lab.kubectl("delete", "pod", "held", "--wait=false")
        assert lab.get_json("pod", "held")["metadata"]["deletionTimestamp"]
        lab.wait_for(
            lambda: used().get("pods") == "0" and used().get("requests.cpu") == "0",
            timeout=lab.wall(60),
            what="the held pod uncharged",
        )
        assert lab.get_json("pod", "held")["metadata"]["finalizers"] == ["kubelab.dev/hold"]
    finally:
        lab.kubectl(
            "patch",
            "pod",
            "held",
            "--type=merge",
            "-p",
            '{"metadata":{"finalizers":null}}',
            check=False,
        )
        lab.kubectl("delete", "resourcequota", "one-pod", "--ignore-not-found")
