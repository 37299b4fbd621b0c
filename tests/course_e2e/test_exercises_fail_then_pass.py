"""Every exercise's checks fail on its starting state, with the lab's own messages, and pass
after `kubelab solve` (DESIGN.md, "What makes a check honest"), on a served simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker import discover_labs

ROOT = Path(__file__).resolve().parents[2]
LabCluster = Any  # the `lab_cluster` fixture's type, from this folder's conftest

LABS = discover_labs(ROOT / "labs")
CASES = [pytest.param(lab.id, ex.id, id=f"{lab.id}/{ex.id}") for lab in LABS.values() for ex in lab.exercises]


def _report(cluster: LabCluster, lab_id: str, exercise_id: str, *, wait: bool) -> dict:
    args = ["kubelab", "check", lab_id, exercise_id, "--format", "json"]
    if not wait:
        args.append("--no-wait")
    proc = cluster.run(*args, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    return report["labs"][0]["exercises"][0]


@pytest.mark.parametrize("lab_id, exercise_id", CASES)
def test_exercise_fails_before_its_solution_and_passes_after(lab_cluster: LabCluster, lab_id: str, exercise_id: str):
    lab = LABS[lab_id]
    wanted = {c.name: c.message for c in lab.exercise(exercise_id).checks}
    lab_cluster.run("kubelab", "reset", lab_id, exercise_id, "--yes")

    before = _report(lab_cluster, lab_id, exercise_id, wait=False)
    assert not before["passed"], f"{lab_id}/{exercise_id} passes before its solution"
    failed = [c for c in before["checks"] if not c["passed"]]
    assert failed
    for check in failed:
        assert check["message"] == wanted[check["name"]]

    lab_cluster.run("kubelab", "solve", lab_id, exercise_id)
    after = _report(lab_cluster, lab_id, exercise_id, wait=True)
    problems = [f"{c['name']}: {c.get('detail') or c['fieldErrors']}" for c in after["checks"] if not c["passed"]]
    assert after["passed"], f"{lab_id}/{exercise_id} still fails after its solution: {problems}"
