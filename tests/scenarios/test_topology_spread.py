"""Lab 01's spread constraint, as a learner meets it on kind: with the default
nodeTaintsPolicy (Ignore) the tainted control plane counts as a node holding zero replicas,
so the third pod stays Pending; `nodeTaintsPolicy: Honor` (the lab's manifest) places all
three, two on one worker and one on the other, and a drain still moves them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from scenario_kubectl import REPO, WORKERS, Lab

SOLUTION = REPO / "labs/01-deploy/solution/deployment.yaml"
NOT_MATCH = "didn't match pod topology spread constraints"


def _manifest(honor: bool) -> str:
    doc = yaml.safe_load(SOLUTION.read_text())
    (constraint,) = doc["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert constraint["nodeTaintsPolicy"] == "Honor"
    if not honor:
        del constraint["nodeTaintsPolicy"]
    return yaml.safe_dump(doc)


def _two_running_one_pending(lab: Lab) -> list[dict[str, str]] | None:
    rows = lab.pod_rows()
    states = Counter(r["STATUS"] for r in rows)
    return rows if len(rows) == 3 and states == {"Running": 2, "Pending": 1} else None


def _describe_once_refused(lab: Lab, pod: str) -> str | None:
    out = lab.kubectl("describe", "pod", pod).stdout
    return out if NOT_MATCH in out else None


def test_ignored_taints_leave_the_third_pod_pending(lab: Lab) -> None:
    lab.kubectl("apply", "-f", "-", input=_manifest(honor=False))
    rows = lab.wait_for(
        lambda: _two_running_one_pending(lab),
        timeout=lab.wall(60),
        what="two pods Running and one Pending",
    )
    running = [r["NODE"] for r in rows if r["STATUS"] == "Running"]
    assert sorted(running) == sorted(WORKERS), "one per worker"
    (pending,) = [r["NAME"] for r in rows if r["STATUS"] == "Pending"]
    described = lab.wait_for(
        lambda: _describe_once_refused(lab, pending),
        timeout=lab.wall(30),
        what="the FailedScheduling event",
    )
    assert "FailedScheduling" in described
    assert "0/3 nodes are available: 1 node(s) had untolerated taint" in described
    assert f"2 node(s) {NOT_MATCH}" in described


def test_honoured_taints_place_all_three_and_a_drain_moves_them(lab: Lab, tmp_path: Path) -> None:
    lab.kubectl("apply", "-f", "-", input=_manifest(honor=True))
    rows = lab.wait_for(lambda: lab.ready_running(3), timeout=lab.wall(60), what="3 pods Ready")
    counts = Counter(r["NODE"] for r in rows)
    assert set(counts) == set(WORKERS) and sorted(counts.values()) == [1, 2]
    node = WORKERS[0]
    try:
        lab.cluster.kubectl(
            "drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=120s",
            timeout=lab.wall(150),
        )  # fmt: skip
        moved = lab.wait_for(
            lambda: lab.ready_running(3), timeout=lab.wall(120), what="3 pods Ready after drain"
        )
        assert {r["NODE"] for r in moved} == {WORKERS[1]}
    finally:
        lab.cluster.kubectl("uncordon", node)
