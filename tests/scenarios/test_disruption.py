"""Lab 07's disruptions: a drain honours the PodDisruptionBudget, and a stopped node's pods
come back on the other worker once the node is NotReady past the pods' tolerationSeconds."""

from __future__ import annotations

import json
import subprocess
from collections import Counter

from scenario_kubectl import KUBECTL, WORKERS, Lab

DEPLOY = (
    "manifests/inference/deployment.yaml",
    "manifests/inference/service.yaml",
    "manifests/inference/pdb.yaml",
)
VIOLATES = "Cannot evict pod as it would violate the pod's disruption budget."


def _busiest_worker(rows: list[dict[str, str]]) -> str:
    return Counter(r["NODE"] for r in rows).most_common(1)[0][0]


def test_drain_evicts_one_pod_at_a_time_as_the_pdb_allows(lab: Lab) -> None:
    lab.apply(*DEPLOY)
    rows = lab.wait_for(
        lambda: lab.ready_running(3), timeout=lab.wall(60), what="3 pods READY 1/1 Running"
    )
    pdb = lab.wait_for(
        lambda: (
            (row := lab.table("pdb", "inference-service")[0])["ALLOWED DISRUPTIONS"] == "1" and row
        ),
        timeout=lab.wall(30),
        what="the PDB to allow 1 disruption",
    )
    assert pdb["MIN AVAILABLE"] == "2"
    node = _busiest_worker(rows)
    on_node = sorted(r["NAME"] for r in rows if r["NODE"] == node)
    other = next(w for w in WORKERS if w != node)

    drain = subprocess.Popen(
        [
            KUBECTL,
            "--kubeconfig",
            str(lab.cluster.kubeconfig),
            "drain",
            node,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            f"--timeout={lab.wall(240):.0f}s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=lab.cluster.env,
    )
    fewest_ready = 3
    while drain.poll() is None:
        ready = [r for r in lab.pod_rows() if r["READY"] == "1/1"]
        fewest_ready = min(fewest_ready, len(ready))
    out = drain.communicate()[0]

    assert drain.returncode == 0, out
    assert f"node/{node} cordoned" in out
    assert f"node/{node} drained" in out
    for name in on_node:
        assert f"evicting pod lab/{name}" in out
        assert f"pod/{name} evicted" in out
    refused = [
        name
        for name in on_node
        if f'error when evicting pods/"{name}" -n "lab" (will retry after 5s): {VIOLATES}' in out
    ]
    # kubectl evicts in parallel: with two pods on the node, the PDB turns one away until
    # the first one's replacement is ready elsewhere
    assert 1 <= len(refused) <= len(on_node) - 1 if len(on_node) > 1 else not refused, out
    assert fewest_ready >= 2, "the PDB keeps at least 2 pods available throughout"
    after = lab.wait_for(
        lambda: lab.ready_running(3), timeout=lab.wall(60), what="3 ready pods after the drain"
    )
    assert {r["NODE"] for r in after} == {other}
    status = {r["NAME"]: r["STATUS"] for r in lab.table("nodes")}
    assert status[node] == "Ready,SchedulingDisabled"


def test_a_stopped_nodes_pods_come_back_on_the_other_worker(lab: Lab) -> None:
    lab.apply(*DEPLOY[:2])
    rows = lab.wait_for(
        lambda: lab.ready_running(3), timeout=lab.wall(60), what="3 pods READY 1/1 Running"
    )
    node = _busiest_worker(rows)
    other = next(w for w in WORKERS if w != node)
    lost = {r["NAME"] for r in rows if r["NODE"] == node}

    before = _kubelet_event_counts(lab, node)
    lab.cluster.kubectl("create", "--raw", f"/kubesim/v1/nodes/{node}/stop", "-f", "-", input="{}")
    try:
        lab.wait_for(
            lambda: {r["NAME"]: r["STATUS"] for r in lab.table("nodes")}[node] == "NotReady",
            timeout=lab.wall(60),
            what=f"{node} to be NotReady",
        )
        # MarkPodsNotReady: one warning per pod of the node, from the node controller
        warned = lab.wait_for(
            lambda: (
                {
                    e["involvedObject"]["name"]
                    for e in lab.get_json("events", "--field-selector", "reason=NodeNotReady")[
                        "items"
                    ]
                    if e["involvedObject"]["kind"] == "Pod"
                    and e["type"] == "Warning"
                    and e["message"] == "Node is not ready"
                    and e["source"]["component"] == "node-controller"
                }
                >= lost
            ),
            timeout=lab.wall(30),
            what="a NodeNotReady warning on each pod of the stopped node",
        )
        assert warned

        # not-ready / unreachable NoExecute taints, tolerated for 300 s, then eviction; as on
        # a real cluster the evicted pods stay Terminating while their node is down (no kubelet
        # can confirm they stopped), and replacements run on the other worker
        def replaced() -> list[dict[str, str]]:
            rows = lab.pod_rows("app=inference")
            running = [r for r in rows if r["STATUS"] == "Running" and r["READY"] == "1/1"]
            if len(running) == 3 and {r["NODE"] for r in running} == {other}:
                return rows
            return []

        after = lab.wait_for(replaced, timeout=lab.wall(300 + 120), what=f"3 ready pods on {other}")
        stuck = {r["NAME"]: r["STATUS"] for r in after if r["NAME"] in lost}
        assert set(stuck.values()) <= {"Terminating"}
    finally:
        lab.cluster.kubectl(
            "create",
            "--raw",
            f"/kubesim/v1/nodes/{node}/start",
            "-f",
            "-",
            input="{}",
            check=False,
        )
        lab.wait_for(
            lambda: {r["NAME"]: r["STATUS"] for r in lab.table("nodes")}[node] == "Ready",
            timeout=lab.wall(60),
            what=f"{node} to be Ready again",
        )
    # the restarted kubelet's own start-up events, as `kubectl describe node` shows on kind
    after = _kubelet_event_counts(lab, node)
    for reason in STARTUP_REASONS:
        assert after.get(reason, 0) > before.get(reason, 0), (reason, before, after)


STARTUP_REASONS = (
    "Starting",
    "NodeAllocatableEnforced",
    "NodeHasSufficientMemory",
    "NodeHasNoDiskPressure",
    "NodeHasSufficientPID",
    "NodeReady",
)


def _kubelet_event_counts(lab: Lab, node: str) -> dict[str, int]:
    """How many times the node's kubelet recorded each reason on its Node (count included)."""
    events = lab.cluster.kubectl(
        "get", "events", "-A", "--field-selector", f"involvedObject.name={node}", "-o", "json"
    ).stdout
    counts: dict[str, int] = {}
    for e in json.loads(events)["items"]:
        if e["involvedObject"]["kind"] == "Node" and e["source"].get("component") == "kubelet":
            assert e["source"].get("host") == node
            counts[e["reason"]] = counts.get(e["reason"], 0) + int(e.get("count") or 1)
    messages = {
        e["reason"]: e["message"]
        for e in json.loads(events)["items"]
        if e["involvedObject"]["kind"] == "Node"
    }
    if "Starting" in messages:
        assert messages["Starting"] == "Starting kubelet."
    if "NodeReady" in messages:
        assert messages["NodeReady"] == f"Node {node} status is now: NodeReady"
    return counts


BARE = """
apiVersion: v1
kind: Pod
metadata: {name: bare, labels: {app: bare}}
spec:
  containers: [{name: c, image: "busybox:1.36", command: [sleep, "3600"]}]
"""


def test_max_unavailable_protects_no_pod_a_controller_does_not_manage(lab: Lab) -> None:
    """Specifying a Disruption Budget: maxUnavailable (or a percentage) counts from the
    pods' controllers' scale, so a bare pod is unmanaged: expectedPods 0, no disruption
    allowed, an UnmanagedPods warning, and its eviction is refused."""
    lab.kubectl("apply", "-f", "-", input=BARE)
    lab.kubectl("wait", "--for=condition=Ready", "pod/bare", f"--timeout={lab.wall(60):.0f}s")
    lab.kubectl("create", "pdb", "bare-pdb", "--selector=app=bare", "--max-unavailable=1")
    status = lab.wait_for(
        lambda: (
            lab.get_json("pdb", "bare-pdb").get("status", {}).get("currentHealthy") == 1
            and lab.get_json("pdb", "bare-pdb")["status"]
        ),
        timeout=lab.wall(30),
        what="the budget's status",
    )
    assert (status["expectedPods"], status["disruptionsAllowed"]) == (0, 0)
    events = lab.get_json("events", "--field-selector", "involvedObject.name=bare-pdb")
    assert [e["reason"] for e in events["items"]] == ["UnmanagedPods"]
    eviction = json.dumps(
        {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "bare"}}
    )
    refused = lab.kubectl(
        "create", "--raw", f"/api/v1/namespaces/{lab.namespace}/pods/bare/eviction",
        "-f", "-", input=eviction, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and VIOLATES in refused.stderr, refused.stderr
