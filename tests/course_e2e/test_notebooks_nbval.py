"""Every notebook runs top to bottom under nbval on the simulator, solutions included, and
leaves its lab fully graded (`kubelab check LAB` exits 0).

nbval runs in lax mode: outputs that change from run to run (ages, pod names) are not
compared; a cell that raises, or a `!` command that fails and makes a later cell raise,
fails the notebook. The grade afterwards is what proves the notebook taught the lab.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nbval_command import nbval
from notebook_parts import NOTEBOOKS, PARTS, part_of

ROOT = Path(__file__).resolve().parents[2]
_PASSED: set[str] = set()  # notebooks that ran and graded in full, for the course-wide grade


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs_and_its_lab_grades_in_full(lab_cluster: Any, notebook: Path):
    proc = lab_cluster.run(*nbval(notebook.name), cwd=notebook.parent, check=False, timeout=1500)
    assert proc.returncode == 0, f"{notebook.name} failed under nbval:\n{proc.stdout[-6000:]}"
    graded = lab_cluster.run("kubelab", "check", notebook.stem, check=False)
    assert graded.returncode == 0, (
        f"{notebook.stem} is not fully graded after its notebook:\n{graded.stdout}"
    )
    _PASSED.add(notebook.stem)


def test_the_course_landing_page_runs_under_nbval(lab_cluster: Any):
    """`course.ipynb`, what `kubelab course` opens first: it lists and grades every lab."""
    page = ROOT / "notebooks" / "course.ipynb"
    proc = lab_cluster.run(*nbval(page.name), cwd=page.parent, check=False, timeout=600)
    assert proc.returncode == 0, f"{page.name} failed under nbval:\n{proc.stdout[-6000:]}"


@pytest.mark.parametrize("part", PARTS)
def test_after_every_notebook_kubelab_grade_awards_every_point(
    lab_cluster: Any, tmp_path: Path, part: str
):
    """Each lab works in its own namespace, so a later lab's reset leaves an earlier lab as
    the learner finished it: after the notebooks of a part, run in order on one cluster
    (tests/notebook_parts.py), the grade is full marks for each of their labs."""
    mine = {n.stem for n in NOTEBOOKS if part_of(n.stem) == part}
    if not mine <= _PASSED:
        pytest.skip(f"needs every notebook of {part} to have run (and passed) first here")
    out = tmp_path / "grade.json"
    lab_cluster.run(
        "kubelab",
        "grade",
        "--no-wait",
        "--json",
        str(out),
        "--junit",
        str(tmp_path / "grade.xml"),
        check=False,
    )
    report = json.loads(out.read_text())
    short = {
        lab["id"]: [
            f"{exercise['id']}/{check['name']}"
            for exercise in lab["exercises"]
            for check in exercise["checks"]
            if not check["passed"]
        ]
        for lab in report["labs"]
        if lab["id"] in mine and not lab["passed"]
    }
    assert not short, f"not full marks at the end of {part}: {short}"
    ours = [lab for lab in report["labs"] if lab["id"] in mine]
    assert len(ours) == len(mine), f"the grade lacks labs of {part}: {sorted(mine)}"
