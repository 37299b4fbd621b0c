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
