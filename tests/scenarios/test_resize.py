"""The docs' task "Resize CPU and Memory Resources assigned to Containers", step by step
through kubectl: a CPU resize applied live (no restart), a memory resize that the resize
policy says restarts the container, a request no node can meet left Infeasible with the
previous resources still in force, and a resize that waits (Deferred) until another pod
leaves room. The page's namespace (qos-example) is the fixture's `lab`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenario_kubectl import Lab

from kubesim.kubelet import _cgroups

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: resize-demo
spec:
  containers:
  - name: pause
    image: registry.k8s.io/pause:3.8
    resizePolicy:
    - resourceName: cpu
      restartPolicy: NotRequired
    - resourceName: memory
      restartPolicy: RestartContainer
    resources:
      limits:
        memory: "200Mi"
        cpu: "700m"
      requests:
        memory: "200Mi"
        cpu: "700m"
"""


def _resize(lab: Lab, resources: str, pod: str = "resize-demo", container: str = "pause") -> None:
    patch = f'{{"spec":{{"containers":[{{"name":"{container}", "resources":{resources}}}]}}}}'
    lab.kubectl("patch", "pod", pod, "--subresource", "resize", "--patch", patch)


def _settled(lab: Lab, want: dict[str, Any], pod: str = "resize-demo") -> dict[str, Any]:
    """The pod once its container runs with `want` and no resize is in progress."""

    def done() -> dict[str, Any] | None:
        got = lab.get_json("pod", pod)
        status = got["status"]["containerStatuses"][0]
        types = {c["type"] for c in got["status"]["conditions"]}
        running = "running" in status["state"]
        if running and status.get("resources") == want and "PodResizeInProgress" not in types:
            return got
        return None

    return lab.wait_for(done, timeout=lab.wall(60), what=f"{pod} running with {want}")


def _reasons(lab: Lab, pod: str = "resize-demo") -> list[str]:
    events = lab.get_json("events", "--field-selector", f"involvedObject.name={pod}")["items"]
    return [e["reason"] for e in sorted(events, key=lambda e: e["metadata"]["creationTimestamp"])]


def _cpu_quota(pod: dict[str, Any]) -> int:
    uid = pod["metadata"]["uid"]
    restarts = pod["status"]["containerStatuses"][0]["restartCount"]
    [quota] = Path("/sys/fs/cgroup/cpu/kubesim").glob(f"*-{uid}-pause-{restarts}/cpu.cfs_quota_us")
    return int(quota.read_text())


def test_the_docs_resize_task(lab: Lab) -> None:
    lab.kubectl("create", "-f", "-", input=POD)
    lab.kubectl("wait", "--for=condition=Ready", "pod/resize-demo", "--timeout=60s", timeout=90)
    start = {
        "limits": {"cpu": "700m", "memory": "200Mi"},
        "requests": {"cpu": "700m", "memory": "200Mi"},
    }
    pod = _settled(lab, start)
    assert pod["status"]["qosClass"] == "Guaranteed"
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0

    # Example 1: CPU, resizePolicy NotRequired: applied to the running container
    _resize(lab, '{"requests":{"cpu":"800m"}, "limits":{"cpu":"800m"}}')
    cpu = {
        "limits": {"cpu": "800m", "memory": "200Mi"},
        "requests": {"cpu": "800m", "memory": "200Mi"},
    }
    pod = _settled(lab, cpu)
    assert pod["spec"]["containers"][0]["resources"] == cpu
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
    assert pod["status"]["containerStatuses"][0]["allocatedResources"] == cpu["requests"]
    if _cgroups.available():  # the CFS quota of the running container moved with it
        assert _cpu_quota(pod) == 80000
    reasons = _reasons(lab)
    assert reasons.count("ResizeStarted") == 1 and reasons.count("ResizeCompleted") == 1, reasons

    # Example 2: memory, resizePolicy RestartContainer: the container starts again
    _resize(lab, '{"requests":{"memory":"300Mi"}, "limits":{"memory":"300Mi"}}')
    memory = {
        "limits": {"cpu": "800m", "memory": "300Mi"},
        "requests": {"cpu": "800m", "memory": "300Mi"},
    }
    pod = _settled(lab, memory)
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 1
    events = lab.get_json("events", "--field-selector", "involvedObject.name=resize-demo")["items"]
    assert any(e["message"] == "Container pause resize requires restart" for e in events), events

    # Infeasible: 1000 CPUs; the spec keeps them, the container keeps what it had
    _resize(lab, '{"requests":{"cpu":"1000"}, "limits":{"cpu":"1000"}}')

    def pending() -> dict[str, Any] | None:
        got = lab.get_json("pod", "resize-demo")
        found = [c for c in got["status"]["conditions"] if c["type"] == "PodResizePending"]
        return found[0] if found else None

    condition = lab.wait_for(pending, timeout=lab.wall(30), what="PodResizePending")
    assert condition["reason"] == "Infeasible", condition
    assert condition["message"].startswith(
        "Node didn't have enough capacity: cpu, requested: 1000000, capacity: "
    ), condition
    pod = lab.get_json("pod", "resize-demo")
    assert pod["spec"]["containers"][0]["resources"]["limits"]["cpu"] in ("1k", "1000")
    assert pod["status"]["containerStatuses"][0]["resources"] == memory
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 1
    assert condition["observedGeneration"] == pod["metadata"]["generation"]
    assert "ResizeInfeasible" in _reasons(lab)
    described = lab.kubectl("describe", "pod", "resize-demo").stdout
    assert "PodResizePending" in described

    # resources change only through the subresource
    plain = lab.kubectl(
        "patch",
        "pod",
        "resize-demo",
        "--patch",
        '{"spec":{"containers":[{"name":"pause","resources":{"requests":{"cpu":"900m"},"limits":{"cpu":"900m"}}}]}}',
        check=False,
    )
    assert plain.returncode != 0
    assert "pod updates may not change fields other than" in plain.stderr


def test_a_resize_that_does_not_fit_beside_another_pod_waits_until_it_leaves(lab: Lab) -> None:
    lab.kubectl("create", "-f", "-", input=POD)
    lab.kubectl("wait", "--for=condition=Ready", "pod/resize-demo", "--timeout=60s", timeout=90)
    node = lab.get_json("pod", "resize-demo")["spec"]["nodeName"]
    allocatable = int(lab.get_json("node", node)["status"]["allocatable"]["cpu"]) * 1000
    # a pod bound to the same node (past the scheduler) holds one CPU of it
    lab.kubectl(
        "create",
        "-f",
        "-",
        input=f"""
apiVersion: v1
kind: Pod
metadata:
  name: hog
spec:
  nodeName: {node}
  containers:
  - name: pause
    image: registry.k8s.io/pause:3.8
    resources:
      requests:
        cpu: 1000m
""",
    )
    want = allocatable - 500  # fits the node, not beside the hog
    _resize(lab, f'{{"requests":{{"cpu":"{want}m"}}, "limits":{{"cpu":"{want}m"}}}}')

    def deferred() -> dict[str, Any] | None:
        got = lab.get_json("pod", "resize-demo")
        found = [c for c in got["status"]["conditions"] if c["type"] == "PodResizePending"]
        return found[0] if found and found[0]["reason"] == "Deferred" else None

    condition = lab.wait_for(deferred, timeout=lab.wall(30), what="PodResizePending Deferred")
    assert condition["message"].startswith(
        f"Node didn't have enough resource: cpu, requested: {want}, used: "
    ), condition
    assert "ResizeDeferred" in _reasons(lab)
    lab.kubectl("delete", "pod", "hog", "--grace-period=0", "--force")
    pod = _settled(
        lab,
        {
            "limits": {"cpu": f"{want}m", "memory": "200Mi"},
            "requests": {"cpu": f"{want}m", "memory": "200Mi"},
        },
    )
    assert not [c for c in pod["status"]["conditions"] if c["type"] == "PodResizePending"]
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0


def test_a_memory_cut_below_what_the_container_uses_is_skipped_with_an_error(lab: Lab) -> None:
    """KEP-1287's best effort against an OOM kill: with resizePolicy NotRequired, a memory
    limit below the container's usage is not applied; PodResizeInProgress stays with reason
    Error until a later resize makes it fit. A memory request alone restarts nothing."""
    lab.kubectl(
        "create",
        "-f",
        "-",
        input="""
apiVersion: v1
kind: Pod
metadata:
  name: holder
spec:
  containers:
  - name: stress
    image: polinux/stress
    command: ["stress"]
    args: ["--vm", "1", "--vm-bytes", "150M", "--vm-hang", "0"]
    resizePolicy:
    - resourceName: memory
      restartPolicy: NotRequired
    resources:
      requests:
        memory: "100Mi"
      limits:
        memory: "300Mi"
""",
    )
    lab.kubectl("wait", "--for=condition=Ready", "pod/holder", "--timeout=60s", timeout=90)

    def holding() -> bool:
        row = lab.kubectl("top", "pod", "holder", check=False).stdout.split()
        return len(row) >= 6 and row[-1].endswith("Mi") and int(row[-1][:-2]) >= 150

    lab.wait_for(holding, timeout=lab.wall(90), what="holder holding its 150M")
    _resize(lab, '{"limits":{"memory":"128Mi"}}', pod="holder", container="stress")

    def refused() -> dict[str, Any] | None:
        got = lab.get_json("pod", "holder")
        found = [c for c in got["status"]["conditions"] if c["type"] == "PodResizeInProgress"]
        return found[0] if found and found[0].get("reason") == "Error" else None

    condition = lab.wait_for(refused, timeout=lab.wall(30), what="PodResizeInProgress Error")
    assert "below the container's current usage" in condition["message"], condition
    pod = lab.get_json("pod", "holder")
    status = pod["status"]["containerStatuses"][0]
    assert status["resources"]["limits"]["memory"] == "300Mi"
    assert status["restartCount"] == 0 and "running" in status["state"]
    assert "ResizeError" in _reasons(lab, "holder")

    _resize(lab, '{"requests":{"memory":"200Mi"}, "limits":{"memory":"300Mi"}}', pod="holder", container="stress")  # fmt: skip
    pod = _settled(
        lab, {"limits": {"memory": "300Mi"}, "requests": {"memory": "200Mi"}}, pod="holder"
    )
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0


def test_a_resize_past_the_namespace_quota_is_refused(lab: Lab) -> None:
    """The ResourceQuota plugin weighs a resize by what it adds (lab 07's quotas too)."""
    lab.kubectl(
        "create", "quota", "compute", "--hard=requests.cpu=1,limits.cpu=1,requests.memory=1Gi,limits.memory=1Gi"
    )  # fmt: skip
    lab.kubectl("create", "-f", "-", input=POD)
    lab.kubectl("wait", "--for=condition=Ready", "pod/resize-demo", "--timeout=60s", timeout=90)
    lab.wait_for(
        lambda: (
            lab.get_json("quota", "compute")["status"].get("used", {}).get("requests.cpu") == "700m"
        ),
        timeout=lab.wall(30),
        what="the quota counting the pod",
    )
    refused = lab.kubectl(
        "patch", "pod", "resize-demo", "--subresource", "resize", "--patch",
        '{"spec":{"containers":[{"name":"pause","resources":{"requests":{"cpu":"1200m"},"limits":{"cpu":"1200m"}}}]}}',
        check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert (
        'pods "resize-demo" is forbidden: exceeded quota: compute, requested: '
        "limits.cpu=500m,requests.cpu=500m, used: limits.cpu=700m,requests.cpu=700m, "
        "limited: limits.cpu=1,requests.cpu=1"
    ) in refused.stderr, refused.stderr
    _resize(lab, '{"requests":{"cpu":"900m"}, "limits":{"cpu":"900m"}}')  # within the room
    _settled(
        lab,
        {
            "limits": {"cpu": "900m", "memory": "200Mi"},
            "requests": {"cpu": "900m", "memory": "200Mi"},
        },
    )
