"""Who makes virtual time jump: a client outside the cluster waiting on it, for as long as
it waits, and nobody else (docs/architecture.md, "Virtual time").

Measured from two ConfigMaps' creationTimestamps (cluster time) a quiet spell apart: after
the first, a client asked, so the cluster may jump for UNOBSERVED_AFTER (2 real seconds);
for the rest of the spell nobody outside asks anything, and the cluster runs at its scale
(10 in the scenarios). Here that measured 10-11 cluster seconds per real second over 10 s,
and 22-24 with either fault below (a cluster that believes someone waits jumps to each
next deadline, up to 50 times real time).
"""

from __future__ import annotations

import json

from scenario_kubectl import Lab, measured_speed

# Asks the API server every real half second with its ServiceAccount's token, as lab 13's
# outage watcher does, and says so.
POLLER = """
import http.client, os, ssl, time
SA = "/var/run/secrets/kubernetes.io/serviceaccount/"
while True:
    conn = http.client.HTTPSConnection(
        os.environ["KUBERNETES_SERVICE_HOST"], int(os.environ["KUBERNETES_SERVICE_PORT"]),
        timeout=2, context=ssl.create_default_context(cafile=SA + "ca.crt"))
    conn.request("GET", "/api",  # discovery: any authenticated user may
                 headers={"Authorization": "Bearer " + open(SA + "token").read().strip()})
    print("asked", conn.getresponse().status, flush=True)
    conn.close()
    time.sleep(0.5)
"""
POLLER_POD = f"""
apiVersion: v1
kind: Pod
metadata:
  name: poller
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: poll
      image: kubelab/inference:2.4.0
      env:
        - name: SCRIPT
          value: {json.dumps(POLLER)}
      command: ["python3", "-c", "$(SCRIPT)"]
"""
QUIET_SECONDS = 10.0
MOST = 16  # cluster seconds per real second over the spell, at most


def test_a_watch_whose_client_hung_up_no_longer_counts_as_waiting(lab: Lab) -> None:
    """`kubectl wait` returns at once on an active namespace and leaves; kube-apiserver ends the
    watch with its client's connection, and so must kubesim, or the cluster believes
    someone still waits on that quiet object and keeps jumping."""
    lab.kubectl("wait", "namespace/lab", "--for=jsonpath={.status.phase}=Active")
    speed = measured_speed(lab.kubectl, QUIET_SECONDS)
    assert speed < MOST, f"cluster time ran at {speed:.0f}x after kubectl wait had left"


def test_a_pods_own_api_requests_are_not_someone_waiting(lab: Lab) -> None:
    """A pod that asks the API server every half second is workload, in real time: the
    cluster keeps its scale while only the pod asks."""
    lab.kubectl("apply", "-f", "-", input=POLLER_POD)
    lab.wait_for(
        lambda: lab.kubectl("logs", "poller", check=False).stdout.count("asked 200") >= 3,
        timeout=lab.wall(60),
        what="the poller to ask the API server",
    )
    speed = measured_speed(lab.kubectl, QUIET_SECONDS)
    assert speed < MOST, f"cluster time ran at {speed:.0f}x while only a pod asked"
    lab.kubectl("delete", "pod", "poller", "--wait=false")
