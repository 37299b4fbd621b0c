"""Priority and preemption with the real kubectl: on a cluster whose workers are full of
low-priority pods, a high-priority pod preempts one of them, is nominated, and runs once
the victim is gone; `kubectl get events` and `kubectl describe pod` show the scheduler's
FailedScheduling, the victim's Preempted event and the replacement left Pending."""

from __future__ import annotations

from scenario_kubectl import Lab

CLASSES = """
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: lab-batch
value: 100
description: work that can wait
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: lab-serving
value: 100000
description: the model server
"""

FILLER = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: batch
spec:
  replicas: 2
  selector:
    matchLabels: {app: batch}
  template:
    metadata:
      labels: {app: batch}
    spec:
      priorityClassName: lab-batch
      terminationGracePeriodSeconds: 2
      containers:
        - name: pause
          image: registry.k8s.io/pause:3.10
          resources:
            requests: {cpu: "3"}
"""

VIP = """
apiVersion: v1
kind: Pod
metadata:
  name: serving
  labels: {app: serving}
spec:
  priorityClassName: lab-serving
  containers:
    - name: pause
      image: registry.k8s.io/pause:3.10
      resources:
        requests: {cpu: "3"}
"""

TAINT = "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"


def test_a_high_priority_pod_preempts_a_low_one_on_a_full_cluster(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=CLASSES)
    try:
        lab.kubectl("apply", "-f", "-", input=FILLER)
        lab.wait_for(
            lambda: lab.ready_running(2, selector="app=batch"),
            timeout=lab.wall(60),
            what="both batch pods Running, one per worker",
        )
        lab.kubectl("apply", "-f", "-", input=VIP)
        serving = lab.wait_for(
            lambda: (
                (pod := lab.get_json("pod", "serving"))["status"].get("phase") == "Running" and pod
            ),
            timeout=lab.wall(60),
            what="the serving pod Running after preemption",
        )
        node = serving["spec"]["nodeName"]
        assert serving["spec"]["priority"] == 100000

        preempted = lab.get_json("events", "--field-selector", "reason=Preempted")["items"]
        assert [e["message"] for e in preempted] == [
            f"Preempted by pod {serving['metadata']['uid']} on node {node}"
        ]
        assert preempted[0]["involvedObject"]["name"].startswith("batch-")
        assert preempted[0]["source"]["component"] == "default-scheduler"

        described = lab.kubectl("describe", "pod", "serving").stdout
        assert "Priority:             100000" in described
        assert "Priority Class Name:  lab-serving" in described
        assert f"0/3 nodes are available: {TAINT}, 2 Insufficient cpu." in described
        assert f"Successfully assigned lab/serving to {node}" in described

        # the victim's replacement cannot preempt the serving pod (higher) nor its twin
        # (equal): it waits, and says so
        pending = lab.wait_for(
            lambda: [
                p
                for p in lab.get_json("pods", "-l", "app=batch")["items"]
                if p["status"].get("phase") == "Pending"
                and any(c["type"] == "PodScheduled" for c in p["status"].get("conditions", []))
            ],
            timeout=lab.wall(30),
            what="the replacement batch pod Pending",
        )
        condition = next(
            c for c in pending[0]["status"]["conditions"] if c["type"] == "PodScheduled"
        )
        assert condition["message"] == (
            f"0/3 nodes are available: {TAINT}, 2 Insufficient cpu. preemption: 0/3 nodes are "
            "available: 1 Preemption is not helpful for scheduling, 2 No preemption victims "
            "found for incoming pod."
        )
        events = lab.kubectl("get", "events", "--field-selector", "reason=Preempted").stdout
        assert "Preempted" in events and "pod/batch-" in events
    finally:
        lab.kubectl("delete", "pod", "serving", "--wait=false", check=False)
        lab.kubectl("delete", "deployment", "batch", "--wait=false", check=False)
        lab.cluster.kubectl("delete", "priorityclass", "lab-batch", "lab-serving", check=False)
