"""An assignment built, left unsolved (0 points) and solved as a student would (full marks),
graded on the simulator with the commands the grading workflow runs.

The student's work is made generically from the course's reference solutions (lab.yaml's
`solution:` steps and files): what a student who did each exercise would have committed as
`work/<lab>/commands.txt` and the manifests beside it.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import checker

ROOT = Path(__file__).resolve().parents[2]
LABS = checker.discover_labs(ROOT / "labs")
# two labs whose solutions a student types (no node stop/start), kept small for the 2-core CI
ASSIGNED = ("01-deploy", "02-expose")

pytestmark = pytest.mark.kubesim


def student_work(lab: checker.Lab, work: Path) -> list[str]:
    """The lines and files of a student who did every exercise of `lab` as the solutions do."""
    lines = []
    folder = ROOT / "labs" / lab.id
    for number, step in enumerate(
        s for exercise in lab.exercises for s in [*exercise.setup, *exercise.solution]
    ):
        data: dict[str, Any] = step.model_dump(exclude_none=True, by_alias=True)
        if "apply" in data:
            source = (folder / data["apply"]).resolve()
            shutil.copy2(source, work / source.name)
            lines.append(f"kubectl apply -f {source.name}")
        elif "manifest" in data:
            name = f"step-{number}.yaml"
            (work / name).write_text(yaml.safe_dump(data["manifest"]))
            lines.append(f"kubectl apply -f {name}")
        elif "kubectl" in data:
            lines.append(f"kubectl {data['kubectl']}")
        elif "delete" in data:
            target = data["delete"]
            lines.append(f"kubectl delete {target['kind']} {target['name']} --ignore-not-found")
        elif "wait" in data:
            continue  # the grade waits out each check's `within`
        else:
            raise AssertionError(f"{lab.id}: a student cannot type the step {data}")
    (work / "commands.txt").write_text("\n".join(["# what I ran", *lines]) + "\n")
    return lines


def grade(cluster: Any, edition: Path, name: str, *, wait: bool) -> tuple[int, dict, dict]:
    """`kubelab grade` then `kubelab assignment points`, as the workflow's Grade step runs them
    (in the assignment, where kubelab finds its labs; here through KUBELAB_LABS)."""
    output = edition / f"{name}.github-output"
    step = type(cluster)(
        home=cluster.home,
        env={**cluster.env, "KUBELAB_LABS": str(edition / "labs"), "GITHUB_OUTPUT": str(output)},
    )
    graded = step.run(
        "kubelab", "grade", *([] if wait else ["--no-wait"]),
        "--json", f"{name}.json", "--junit", f"{name}.xml", cwd=edition, check=False,
    )  # fmt: skip
    step.run(
        "kubelab", "assignment", "points", f"{name}.json", "--out", f"{name}.points.json",
        cwd=edition,
    )  # fmt: skip
    points = json.loads((edition / f"{name}.points.json").read_text())
    key, value = output.read_text().strip().split("=", 1)
    assert key == "result" and json.loads(base64.b64decode(value)) == points
    return graded.returncode, json.loads((edition / f"{name}.json").read_text()), points


def test_an_assignment_grades_zero_unsolved_and_full_marks_solved(sim_cluster: Any, tmp_path):
    edition = tmp_path / "assignment"
    sim_cluster.run(
        "kubelab", "assignment", "build", str(edition), "--labs", ",".join(ASSIGNED),
        "--backend", "sim",
    )  # fmt: skip
    max_points = sum(e.points for lab_id in ASSIGNED for e in LABS[lab_id].exercises)

    sim_cluster.run("kubelab", "assignment", "replay", cwd=edition)
    code, report, points = grade(sim_cluster, edition, "unsolved", wait=False)
    assert code == 1 and report["points"] == 0
    assert points["status"] == "fail" and points["max_score"] == max_points > 0
    assert sum(t["score"] for t in points["tests"]) == 0

    for lab_id in ASSIGNED:
        assert student_work(LABS[lab_id], edition / "work" / lab_id)
    replayed = sim_cluster.run("kubelab", "assignment", "replay", cwd=edition)
    assert "exited non-zero" in replayed.stdout and "0 exited non-zero" in replayed.stdout, (
        replayed.stdout
    )
    code, report, points = grade(sim_cluster, edition, "solved", wait=True)
    assert code == 0, json.dumps(report, indent=1)[:3000]
    assert report["points"] == report["maxPoints"] == max_points
    assert points["status"] == "pass"
    assert [t["status"] for t in points["tests"]] == ["pass"] * len(points["tests"])
    assert sum(t["score"] for t in points["tests"]) == points["max_score"] == max_points
