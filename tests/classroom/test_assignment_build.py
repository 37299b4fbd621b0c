"""`kubelab assignment build`: a learner edition made from the lab data, without solutions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fresh_python import check_workflows

import checker
from kubelab import _assignment, _replay
from kubelab._assignment import learner_lab, strip_solution_cells
from kubelab._backend_kind import KIND_SHA256_LINUX_AMD64, KIND_VERSION
from kubelab.cli import main

ROOT = Path(__file__).resolve().parents[2]
LABS = checker.discover_labs(ROOT / "labs")


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("edition") / "assignment"
    assert main(["assignment", "build", str(out)]) == 0
    return out


def tags(cell: dict) -> list[str]:
    return (cell.get("metadata") or {}).get("tags") or []


def test_every_lab_and_notebook_is_there_without_a_solution(edition: Path):
    built = checker.discover_labs(edition / "labs")
    assert list(built) == list(LABS)
    for lab_id, lab in built.items():
        assert not (edition / "labs" / lab_id / "solution").exists()
        assert all(not exercise.solution for exercise in lab.exercises)
        assert [e.id for e in lab.exercises] == [e.id for e in LABS[lab_id].exercises]
        assert [c.name for e in lab.exercises for c in e.checks] == [
            c.name for e in LABS[lab_id].exercises for c in e.checks
        ], "the checks are the course's, unchanged"
        source = json.loads((ROOT / "notebooks" / f"{lab_id}.ipynb").read_text())
        learner = json.loads((edition / "notebooks" / f"{lab_id}.ipynb").read_text())
        solutions = [c for c in source["cells"] if "solution" in tags(c)]
        assert not [c for c in learner["cells"] if "solution" in tags(c)]
        assert len(learner["cells"]) == len(source["cells"]) - len(solutions) + 1
        assert f"work/{lab_id}/commands.txt" in "".join(learner["cells"][1]["source"])
        assert (edition / "work" / lab_id / "commands.txt").is_file()
    landing = json.loads((edition / "notebooks" / "course.ipynb").read_text())
    assert not [c for c in landing["cells"] if "solution" in tags(c)]


def test_a_solution_file_the_setup_needs_is_kept_under_given(edition: Path):
    """Lab 06 starts from solution/deployment.yaml (its setup applies it): kept as given/."""
    for lab_id, lab in checker.discover_labs(edition / "labs").items():
        steps = [*lab.setup, *(s for f in lab.faults.values() for s in f.steps)]
        steps += [s for e in lab.exercises for s in e.setup]
        for step in steps:
            path = getattr(step, "apply", None)
            if path is not None:
                assert "solution" not in path.split("/"), (lab_id, path)
                assert (edition / "labs" / lab_id / path).resolve().exists(), (lab_id, path)


def test_every_object_of_a_given_file_is_marked_as_the_courses_copy(edition: Path):
    given = sorted((edition / "labs").glob("*/given/**/*.yaml"))
    assert given, "labs 02-06 start from given copies of lab 01's and lab 02's work"
    for path in given:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert docs, path
        for doc in docs:
            mark = doc["metadata"]["annotations"][_assignment.GIVEN_ANNOTATION]
            assert mark.startswith("labs/") and "/solution/" in mark, (path, mark)


def test_mark_given_keeps_every_object_and_its_own_annotations():
    text = (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  annotations: {x: y}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"
    )
    marked = list(yaml.safe_load_all(_assignment.mark_given(text, "labs/02/solution/s.yaml")))
    assert [d["metadata"]["name"] for d in marked] == ["a", "b"]
    assert marked[0]["metadata"]["annotations"] == {
        "x": "y",
        "kubelab.dev/given": "labs/02/solution/s.yaml",
    }


def test_the_edition_carries_what_grading_needs_and_nothing_of_the_projects_own(edition: Path):
    for name in ("pyproject.toml", "bootstrap.py", "README.md", ".gitignore"):
        assert (edition / name).is_file(), name
    for package in ("kubelab", "checker", "kubesim", "inference", "manifests"):
        assert (edition / package).is_dir(), package
    assert not list(edition.rglob("__pycache__"))
    for absent in ("tests", "bench", "docs", ".ci"):
        assert not (edition / absent).exists(), absent
    assert [p.name for p in (edition / ".github" / "workflows").iterdir()] == ["classroom.yml"]
    readme = (edition / "README.md").read_text()
    assert "work/<lab>/commands.txt" in readme and "kubelab assignment replay" in readme


def test_the_grading_workflow_is_valid_and_runs_what_the_test_below_runs(edition: Path):
    workflow = edition / ".github" / "workflows" / "classroom.yml"
    checked = check_workflows(str(workflow))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = workflow.read_text()
    data = yaml.safe_load(text)
    job = data["jobs"]["run-autograding-tests"]
    assert data["name"] == job["name"] == "Autograding Tests"  # the reporter's check run name
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert f"releases/download/{KIND_VERSION}/kind-linux-amd64" in runs
    assert f'{KIND_SHA256_LINUX_AMD64}  kind" | sha256sum --check' in runs
    for command in (
        "kubelab up --backend kind",
        "kubelab assignment replay",
        "kubelab grade --json kubelab-grade.json --junit kubelab-grade.xml",
        "kubelab assignment points kubelab-grade.json --out autograding.json",
    ):
        assert command in runs, command
    [reporter] = [s for s in job["steps"] if "autograding-grading-reporter" in s.get("uses", "")]
    assert reporter["with"]["runners"] == "kubelab"
    assert reporter["env"]["KUBELAB_RESULTS"] == "${{ steps.kubelab.outputs.result }}"


def test_a_sim_edition_needs_no_kind(tmp_path: Path):
    assert (
        main(["assignment", "build", str(tmp_path / "a"), "--labs", "01", "--backend", "sim"]) == 0
    )
    runs = (tmp_path / "a" / ".github" / "workflows" / "classroom.yml").read_text()
    assert "kubelab up --backend sim" in runs and "kind-linux-amd64" not in runs
    assert yaml.safe_load((tmp_path / "a" / "kubelab-assignment.yaml").read_text()) == {
        "apiVersion": "kubelab.dev/v1",
        "kind": "Assignment",
        "labs": ["01-deploy"],
        "backend": "sim",
    }


@pytest.mark.parametrize(
    "argv, words",
    [
        pytest.param(["--labs", "99"], "There is no lab '99'", id="unknown-lab"),
        pytest.param(["--backend", "docker"], "kind or sim", id="bad-backend"),
    ],
)
def test_bad_input_is_one_paragraph(tmp_path: Path, capsys, argv, words):
    assert main(["assignment", "build", str(tmp_path / "x"), *argv]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error:") and words in err and "Traceback" not in err


def test_a_folder_with_files_is_not_overwritten(tmp_path: Path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["assignment", "build", str(tmp_path)]) == 2
    assert "already holds files" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_strip_solution_cells_keeps_order_and_adds_the_work_note():
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": "header"},
            {"cell_type": "code", "metadata": {"tags": ["solution", "x"]}, "source": "answer"},
            {"cell_type": "markdown", "metadata": {"tags": ["x"]}, "source": "prose"},
        ],
        "metadata": {"k": 1},
    }
    out = strip_solution_cells(nb, lab_id="01-deploy")
    assert [c["source"] for c in out["cells"]][::2] == ["header", "prose"]
    assert "work/01-deploy/commands.txt" in out["cells"][1]["source"]
    assert out["metadata"] == {"k": 1} and len(nb["cells"]) == 3, "the input is not changed"


def test_learner_lab_drops_solutions_and_moves_needed_files_to_given():
    data = {
        "id": "09-x",
        "setup": [{"apply": "solution/start.yaml"}, {"kubectl": "get pods"}],
        "exercises": [
            {
                "id": "a",
                "setup": [{"apply": "faults/f.yaml"}],
                "solution": [{"apply": "solution/a.yaml"}],
            },
        ],
        "faults": {"f": {"description": "d", "steps": [{"apply": "solution/sub/g.yaml"}]}},
    }
    lab, needed = learner_lab(data)
    assert needed == ["solution/start.yaml", "solution/sub/g.yaml"]
    assert lab["setup"][0] == {"apply": "given/start.yaml"}
    assert lab["exercises"] == [{"id": "a", "setup": [{"apply": "faults/f.yaml"}]}]
    assert lab["faults"]["f"]["steps"] == [{"apply": "given/sub/g.yaml"}]
    assert data["setup"][0] == {"apply": "solution/start.yaml"}, "the input is not changed"


def test_commands_template_parses_to_nothing():
    text = _assignment.commands_template("01-deploy", "Deploy")
    assert _replay.parse_commands(text, origin="t") == []
