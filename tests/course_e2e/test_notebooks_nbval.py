"""Every notebook runs top to bottom under nbval on the simulator, solutions included, and
leaves its lab fully graded (`kubelab check LAB` exits 0).

nbval runs in lax mode: outputs that change from run to run (ages, pod names) are not
compared; a cell that raises, or a `!` command that fails and makes a later cell raise,
fails the notebook. The grade afterwards is what proves the notebook taught the lab.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs_and_its_lab_grades_in_full(lab_cluster: Any, notebook: Path):
    proc = lab_cluster.run(
        sys.executable.rsplit("/", 1)[-1],
        "-m",
        "pytest",
        "--nbval-lax",
        "-p",
        "no:cacheprovider",
        "-q",
        "--nbval-cell-timeout=600",
        notebook.name,
        cwd=notebook.parent,
        check=False,
        timeout=1500,
    )
    assert proc.returncode == 0, f"{notebook.name} failed under nbval:\n{proc.stdout[-6000:]}"
    graded = lab_cluster.run("kubelab", "check", notebook.stem, check=False)
    assert graded.returncode == 0, (
        f"{notebook.stem} is not fully graded after its notebook:\n{graded.stdout}"
    )
