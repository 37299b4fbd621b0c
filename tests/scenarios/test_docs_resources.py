"""The docs' tasks "Assign Memory Resources to Containers and Pods" and "Assign CPU
Resources to Containers and Pods", step by step through kubectl, with their images
(polinux/stress, vish/stress) and the outcomes the pages show: a pod within its limit runs
and `kubectl top` shows the 150 MiB it holds; one over it is OOMKilled (exit 137) and
restarted into CrashLoopBackOff; one asking more than any node has stays Pending with
"Insufficient memory"; a container that wants two CPUs under a limit of one is held to it.
The pages' namespaces (mem-example, cpu-example) are the fixture's `lab`.
"""

from __future__ import annotations

import re

from scenario_kubectl import Lab, parse_table

from kubesim.kubelet import _cgroups


def _stress_pod(name: str, requests: str, limits: str, args: str) -> str:
    """The page's manifest (pods/resource/memory-request-limit*.yaml), in the lab namespace."""
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: {name}-ctr
    image: polinux/stress
    resources:
      requests:
        memory: "{requests}"
      limits:
        memory: "{limits}"
    command: ["stress"]
    args: {args}
"""


def _top_pod(lab: Lab, name: str) -> dict[str, str] | None:
    out = lab.kubectl("top", "pod", name, check=False)
    rows = parse_table(out.stdout) if out.returncode == 0 else []
    return rows[0] if rows else None


def _mebibytes(cell: str) -> int:
    match = re.fullmatch(r"(\d+)Mi", cell)
    assert match, cell
    return int(match.group(1))


def test_a_container_within_its_memory_limit_runs_and_top_shows_what_it_holds(lab: Lab) -> None:
    args = '["--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"]'
    lab.kubectl("apply", "-f", "-", input=_stress_pod("memory-demo", "100Mi", "200Mi", args))
    lab.wait_for(
        lambda: lab.table("pod", "memory-demo")[0]["STATUS"] == "Running",
        timeout=lab.wall(60),
        what="memory-demo Running",
    )
    pod = lab.get_json("pod", "memory-demo")
    assert pod["spec"]["containers"][0]["resources"] == {
        "requests": {"memory": "100Mi"},
        "limits": {"memory": "200Mi"},
    }

    def holding() -> dict[str, str] | None:
        """The page: "about 162,900,000 bytes, which is around 150 MiB", more than the
        request and within the limit. stress frees and writes again every second, so a
        sample may fall in the gap; the next one will not."""
        row = _top_pod(lab, "memory-demo")
        return row if row and 140 <= _mebibytes(row["MEMORY(bytes)"]) < 200 else None

    lab.wait_for(holding, timeout=lab.wall(90), what="`kubectl top pod memory-demo` near 150Mi")
    logs = lab.kubectl("logs", "memory-demo").stdout
    assert re.search(r"stress: info: \[\d+\] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd", logs)
    assert lab.get_json("pod", "memory-demo")["status"]["containerStatuses"][0]["restartCount"] == 0


def test_a_container_past_its_memory_limit_is_oomkilled_and_restarted(lab: Lab) -> None:
    args = '["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]'
    lab.kubectl("apply", "-f", "-", input=_stress_pod("memory-demo-2", "50Mi", "100Mi", args))

    def killed() -> dict | None:
        status = lab.get_json("pod", "memory-demo-2")["status"]["containerStatuses"][0]
        return status["lastState"].get("terminated")

    last = lab.wait_for(killed, timeout=lab.wall(120), what="memory-demo-2 OOMKilled once")
    assert (last["reason"], last["exitCode"]) == ("OOMKilled", 137), last
    rows = lab.wait_for(
        lambda: [r for r in lab.table("pod", "memory-demo-2") if r["STATUS"] == "CrashLoopBackOff"],
        timeout=lab.wall(120),
        what="memory-demo-2 in CrashLoopBackOff after its restarts",
    )
    assert int(rows[0]["RESTARTS"].split()[0]) >= 1, rows
    described = lab.kubectl("describe", "pod", "memory-demo-2").stdout
    assert "Reason:       OOMKilled" in described and "Exit Code:    137" in described


def test_a_memory_request_no_node_can_meet_stays_pending(lab: Lab) -> None:
    args = '["--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"]'
    lab.kubectl("apply", "-f", "-", input=_stress_pod("memory-demo-3", "1000Gi", "1000Gi", args))

    def refused() -> str:
        described = lab.kubectl("describe", "pod", "memory-demo-3").stdout
        return described if "Insufficient memory" in described else ""

    described = lab.wait_for(refused, timeout=lab.wall(60), what="FailedScheduling for memory")
    assert "FailedScheduling" in described
    assert lab.table("pod", "memory-demo-3")[0]["STATUS"] == "Pending"


def test_a_container_wanting_two_cpus_under_a_limit_of_one_is_held_to_it(lab: Lab) -> None:
    lab.kubectl(
        "apply",
        "-f",
        "-",
        input="""
apiVersion: v1
kind: Pod
metadata:
  name: cpu-demo
spec:
  containers:
  - name: cpu-demo-ctr
    image: vish/stress
    resources:
      limits:
        cpu: "1"
      requests:
        cpu: "0.5"
    args:
    - -cpus
    - "2"
""",
    )

    def using_cpu() -> int:
        row = _top_pod(lab, "cpu-demo")
        millis = int(row["CPU(cores)"].rstrip("m")) if row else 0
        return millis if millis >= 100 else 0

    millis = lab.wait_for(using_cpu, timeout=lab.wall(90), what="`kubectl top pod cpu-demo`")
    if _cgroups.available():  # the CFS quota is the limit; without cgroups nothing holds it
        assert millis <= 1100, millis  # the page: 974m, "a bit less than the limit of 1 cpu"
    logs = lab.kubectl("logs", "cpu-demo").stdout
    assert logs.count("Spawning a thread to consume CPU") == 2, logs
    assert 'Allocating "0" memory, in "4Ki" chunks, with a 1ms sleep between allocations' in logs
    lab.kubectl("delete", "pod", "cpu-demo", "--grace-period=0", "--force", check=False)
