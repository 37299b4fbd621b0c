"""The notebooks in two halves, each run in order on one worker's cluster.

Run one after another, fifteen notebooks were the suite's critical path (a third of CI on
one worker). Each half still runs top to bottom on one cluster and ends with the grade of
its own labs, so a later lab that breaks an earlier one's grade is still caught within a
half; the lab walks (`test_exercises_fail_then_pass.py`) mix labs on every cluster too.
"""

from __future__ import annotations

from math import ceil
from pathlib import Path

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]-*.ipynb"))
HALVES = ("half-1", "half-2")


def half_of(stem: str) -> str:
    """Which half a notebook (by stem) belongs to; anything else (the landing page) is in
    the first."""
    stems = [n.stem for n in NOTEBOOKS]
    if stem in stems and stems.index(stem) >= ceil(len(stems) / 2):
        return HALVES[1]
    return HALVES[0]
