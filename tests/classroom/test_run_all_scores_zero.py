"""Run All in the learner edition earns nothing (issue 17): with the solution cells gone, every
cell a learner can run without doing the work leaves each exercise at 0 points.

Each lab's learner notebook runs top to bottom under nbval on the simulator, then the lab is
graded. The notebook's `.check()` cells are left out: the checker only reads, so they cannot
change the grade, and a failing check waits out its `within`. Only the first labs run here,
for CI time; bench/run_all_learner_edition.py runs every lab. The one leak Run All found, lab
03's node brought back by a later lab's reset, has its own test in
tests/course_e2e/test_shortcuts_score_zero.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nbval_command import nbval

import checker

ROOT = Path(__file__).resolve().parents[2]
# The first labs, whose learner notebooks run in about a minute together; the rest cost CI
# minutes each (lab 03 about six, waiting on timeouts for work never done) and are run by
# bench/run_all_learner_edition.py, which grades every lab after Run All.
LABS = [lab for lab in checker.discover_labs(ROOT / "labs") if lab[:2] in ("00", "01", "02")]

pytestmark = pytest.mark.kubesim


def without_check_cells(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook minus the cells that call `.check()` (read-only, and slow when failing)."""
    cells = [
        c
        for c in notebook["cells"]
        if not (c["cell_type"] == "code" and ".check()" in "".join(c["source"]))
    ]
    return {**notebook, "cells": cells}


@pytest.mark.parametrize("lab_id", LABS)
def test_run_all_of_a_learner_notebook_scores_zero(
    learner: Any, edition: Path, lab_id: str
) -> None:
    source = edition / "notebooks" / f"{lab_id}.ipynb"
    run_all = source.with_name(f"run-all-{lab_id}.ipynb")
    run_all.write_text(json.dumps(without_check_cells(json.loads(source.read_text()))))
    ran = learner.run(*nbval(run_all.name), cwd=run_all.parent, check=False, timeout=1200)
    assert ran.returncode == 0, f"a cell raised under Run All:\n{ran.stdout[-3000:]}"
    graded = learner.run(
        "kubelab", "check", lab_id, "--no-wait", "--format", "json", check=False, cwd=edition
    )
    report = json.loads(graded.stdout)["labs"][0]
    earned = {e["id"]: e["points"] for e in report["exercises"] if e["points"]}
    assert not earned, f"Run All alone earned points in {lab_id}: {earned}"
