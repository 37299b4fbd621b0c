"""The docs' task "Assign Pod-level CPU and memory resources" through kubectl: a pod's own
`spec.resources` set its QoS class, its defaults and what the scheduler reserves; its
containers without limits of their own run under the pod's (the 250M stress is OOMKilled
under a 100Mi pod limit); and the API refuses what validatePodResources refuses. The page's
second pod runs `fedora` (`sleep inf`), which kubesim has no stand-in for: busybox here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenario_kubectl import Lab

from kubesim.kubelet import _cgroups


def _pod(name: str, pod_resources: str, containers: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  resources:
{pod_resources}
  containers:
{containers}
"""


STRESS = """\
  - name: memory-demo-ctr
    image: polinux/stress
    command: ["stress"]
    args: ["--vm", "1", "--vm-bytes", "{bytes}", "--vm-hang", "1"]
"""


def _top_mib(lab: Lab, name: str) -> int:
    out = lab.kubectl("top", "pod", name, check=False).stdout.split()
    return int(out[-1][:-2]) if len(out) >= 6 and out[-1].endswith("Mi") else 0


def test_the_docs_memory_pod_runs_within_its_pod_level_limit(lab: Lab) -> None:
    resources = '    requests:\n      memory: "100Mi"\n    limits:\n      memory: "200Mi"'
    lab.kubectl(
        "apply", "-f", "-", input=_pod("memory-demo", resources, STRESS.format(bytes="150M"))
    )
    lab.kubectl("wait", "--for=condition=Ready", "pod/memory-demo", "--timeout=60s", timeout=90)
    pod = lab.get_json("pod", "memory-demo")
    assert pod["spec"]["resources"] == {
        "limits": {"memory": "200Mi"},
        "requests": {"memory": "100Mi"},
    }
    assert pod["spec"]["containers"][0]["resources"] == {}  # nothing defaulted from the pod
    assert pod["status"]["qosClass"] == "Burstable"
    lab.wait_for(
        lambda: 140 <= _top_mib(lab, "memory-demo") < 200,
        timeout=lab.wall(90),
        what="`kubectl top pod memory-demo` near 150Mi",
    )
    described = lab.kubectl("describe", "pod", "memory-demo").stdout
    assert "Resources:\n  Limits:\n    memory:  200Mi\n  Requests:\n    memory:  100Mi" in described


def test_a_container_without_a_limit_runs_under_the_pod_s(lab: Lab) -> None:
    resources = '    requests:\n      memory: "50Mi"\n    limits:\n      memory: "100Mi"'
    lab.kubectl("apply", "-f", "-", input=_pod("too-big", resources, STRESS.format(bytes="250M")))

    def killed() -> dict[str, Any] | None:
        status = lab.get_json("pod", "too-big")["status"]["containerStatuses"][0]
        return status["lastState"].get("terminated")

    last = lab.wait_for(killed, timeout=lab.wall(120), what="too-big OOMKilled")
    assert (last["reason"], last["exitCode"]) == ("OOMKilled", 137), last


def test_pod_level_resources_decide_qos_defaults_and_the_scheduler_s_reservation(lab: Lab) -> None:
    # the page's pod-resources-demo: limits of its own for one container, none for the other
    resources = (
        '    limits:\n      cpu: "1"\n      memory: "200Mi"\n'
        '    requests:\n      cpu: "1"\n      memory: "100Mi"'
    )
    containers = """\
  - name: ctr-1
    image: nginx
    resources:
      limits:
        cpu: "0.5"
        memory: "100Mi"
      requests:
        cpu: "0.5"
        memory: "50Mi"
  - name: ctr-2
    image: busybox
    command: ["sleep", "inf"]
"""
    lab.kubectl("apply", "-f", "-", input=_pod("pod-resources-demo", resources, containers))
    lab.kubectl(
        "wait", "--for=condition=Ready", "pod/pod-resources-demo", "--timeout=60s", timeout=90
    )
    pod = lab.get_json("pod", "pod-resources-demo")
    assert pod["status"]["qosClass"] == "Burstable"
    node = lab.kubectl("describe", "node", pod["spec"]["nodeName"]).stdout
    row = next(line for line in node.splitlines() if "pod-resources-demo" in line)
    assert "1 (" in row.split("pod-resources-demo", 1)[1], row  # CPU Requests: the pod's 1
    # pod limits alone: requests default to them; cpu and memory both: Guaranteed
    guaranteed = '    limits:\n      cpu: "500m"\n      memory: "64Mi"'
    box = '  - name: box\n    image: busybox\n    command: ["sleep", "3600"]\n'
    lab.kubectl("apply", "-f", "-", input=_pod("guaranteed", guaranteed, box))
    pod = lab.get_json("pod", "guaranteed")
    assert pod["spec"]["resources"]["requests"] == {"cpu": "500m", "memory": "64Mi"}
    assert pod["status"]["qosClass"] == "Guaranteed"
    if _cgroups.available():  # the container's cgroup holds the pod's limits
        uid = pod["metadata"]["uid"]
        lab.kubectl("wait", "--for=condition=Ready", "pod/guaranteed", "--timeout=60s", timeout=90)
        [limit] = Path("/sys/fs/cgroup/memory/kubesim").glob(f"*-{uid}-box-0/memory.limit_in_bytes")
        assert int(limit.read_text()) == 64 << 20


def test_the_api_refuses_what_validate_pod_resources_refuses(lab: Lab) -> None:
    box = """\
  - name: box
    image: busybox
    resources:
      requests:
        cpu: "1500m"
      limits:
        cpu: "2"
"""
    small = '    requests:\n      cpu: "1"\n    limits:\n      cpu: "1"'
    refused = lab.kubectl("apply", "-f", "-", input=_pod("small", small, box), check=False)
    assert refused.returncode != 0
    assert (
        'spec.resources.requests[cpu]: Invalid value: "1": must be greater than or equal to '
        "aggregate container requests of 1500m"
    ) in refused.stderr, refused.stderr
    assert (
        'spec.resources.containers[0][cpu].limits: Invalid value: "2": must be less than or '
        "equal to pod limits of 1"
    ) in refused.stderr, refused.stderr
    storage = '    requests:\n      ephemeral-storage: "1Gi"'
    refused = lab.kubectl("apply", "-f", "-", input=_pod("disk", storage, box), check=False)
    assert (
        'spec.resources.requests[ephemeral-storage]: Unsupported value: "ephemeral-storage": '
        'supported values: "cpu", "hugepages-", "memory"'
    ) in refused.stderr, refused.stderr
