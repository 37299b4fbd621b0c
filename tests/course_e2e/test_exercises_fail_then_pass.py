"""Every lab grades 0 right after its reset; each check of each exercise fails on the
exercise's starting state (or is a declared guard), with the lab's own messages, and passes
after `kubelab solve`; and after solve -> reset the lab grades 0 again (DESIGN.md, "What makes
a check honest"), on a served simulator. Labs are discovered from `labs/`, never listed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker import discover_labs

ROOT = Path(__file__).resolve().parents[2]
LabCluster = Any  # the `lab_cluster` fixture's type, from this folder's conftest

LABS = discover_labs(ROOT / "labs")


def _report(cluster: LabCluster, lab_id: str, exercise_id: str, *, wait: bool) -> dict:
    args = ["kubelab", "check", lab_id, exercise_id, "--format", "json"]
    if not wait:
        args.append("--no-wait")
    proc = cluster.run(*args, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    return report["labs"][0]["exercises"][0]


def _lab_points(cluster: LabCluster, lab_id: str) -> tuple[int, list[str]]:
    """The lab graded as it stands now (no waiting): points, and the checks that passed."""
    proc = cluster.run("kubelab", "check", lab_id, "--format", "json", "--no-wait", check=False)
    assert proc.returncode in (0, 1), proc.stderr
    lab = json.loads(proc.stdout)["labs"][0]
    passed = [
        f"{e['id']}/{c['name']}" for e in lab["exercises"] for c in e["checks"] if c["passed"]
    ]
    return lab["points"], passed


@pytest.fixture
def walked(lab_cluster: LabCluster, lab_id: str) -> Iterator[LabCluster]:
    """The cluster for one lab's walk; afterwards the lab's namespace goes (not waited for).

    Its reset state would otherwise run on for the rest of the worker's course tests, its
    pods probed on the virtual clock, CPU that a 2-core CI machine shares with every other
    test. No later test needs it: each walk starts with its own lab's reset, and the
    notebooks' tests reset theirs too."""
    yield lab_cluster
    namespace = LABS[lab_id].namespace
    lab_cluster.run(
        "kubectl", "delete", "namespace", namespace, "--ignore-not-found", "--wait=false",
        check=False,
    )  # fmt: skip


@pytest.mark.parametrize("lab_id", list(LABS))
def test_each_exercise_fails_before_its_solution_and_passes_after(walked: LabCluster, lab_id: str):
    """Walk the lab as a learner does: from its start, each exercise's state (its setup on
    top of the earlier exercises' solutions) fails its checks with the lab's own messages,
    and its reference solution makes them pass."""
    lab, lab_cluster = LABS[lab_id], walked
    lab_cluster.run("kubelab", "reset", lab_id, "--yes")
    points, passed = _lab_points(lab_cluster, lab_id)
    assert points == 0, f"{lab_id} grades {points} right after its reset ({passed} pass)"
    for exercise in lab.exercises:
        wanted = {c.name: c.message for c in exercise.checks}
        guards = {c.name for c in exercise.checks if c.guard}
        if exercise.setup:  # without one, the exercise starts where the last one ended
            lab_cluster.run("kubelab", "solve", lab_id, exercise.id, "--setup-only")

        before = _report(lab_cluster, lab_id, exercise.id, wait=False)
        assert not before["passed"], f"{lab_id}/{exercise.id} passes before its solution"
        passing = [c["name"] for c in before["checks"] if c["passed"] and c["name"] not in guards]
        assert not passing, (
            f"{lab_id}/{exercise.id}: {passing} already pass on the exercise's starting state; "
            "make each fail there, or declare it `guard: true` if it must already hold"
        )
        failed = [c for c in before["checks"] if not c["passed"]]
        for check in failed:
            assert check["message"] == wanted[check["name"]]

        lab_cluster.run("kubelab", "solve", lab_id, exercise.id)
        after = _report(lab_cluster, lab_id, exercise.id, wait=True)
        problems = [
            f"{c['name']}: {c.get('detail') or c['fieldErrors']}"
            for c in after["checks"]
            if not c["passed"]
        ]
        assert after["passed"], f"{lab_id}/{exercise.id} still fails after its solution: {problems}"

    # solve -> reset -> every check that grades the work fails again
    lab_cluster.run("kubelab", "reset", lab_id, "--yes")
    points, passed = _lab_points(lab_cluster, lab_id)
    assert points == 0, f"{lab_id} grades {points} after solve and reset ({passed} pass)"
