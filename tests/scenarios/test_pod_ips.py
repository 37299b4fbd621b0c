"""Pod IPs come from the node's range round-robin, as kindnet's host-local IPAM hands them
out: a pod deleted and made again (same name, same node) gets another address, which is why
the docs say "the IP addresses associated with the Pods may have changed" and clients use a
Service or a stable DNS name."""

from __future__ import annotations

from scenario_kubectl import Lab

POD = """
apiVersion: v1
kind: Pod
metadata: {name: where}
spec:
  nodeName: kubelab-worker
  containers:
  - {name: c, image: busybox:1.36, command: [sleep, "3600"]}
"""


def _ip(lab: Lab) -> str:
    lab.kubectl("wait", "--for=condition=Ready", "pod/where", f"--timeout={lab.wall(60):.0f}s")
    return str(lab.get_json("pod", "where")["status"]["podIP"])


def test_a_pod_made_again_gets_another_ip(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=POD)
    first = _ip(lab)
    lab.kubectl("delete", "pod", "where", "--grace-period=0", "--force")
    lab.kubectl("apply", "-f", "-", input=POD)
    second = _ip(lab)
    assert first.startswith("10.244.") and second.startswith("10.244.")
    assert second != first
    lab.kubectl("delete", "pod", "where", "--grace-period=0", "--force")
