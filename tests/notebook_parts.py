"""The notebooks in three parts, each run in course order on one worker's cluster.

Run one after another, fifteen notebooks were the suite's critical path (most of CI's 20
minutes on one worker). The parts interleave the course (00, 03, 06, 09, 12 / 01, 04, 07,
10, 13 / 02, 05, 08, 11, 14), so each mixes early and late labs and the heavy notebooks
spread evenly. Each part ends with the grade of its own labs on that cluster, so a later lab
that breaks an earlier one's grade is still caught; the lab walks
(`test_exercises_fail_then_pass.py`) mix labs on every cluster too.
"""

from __future__ import annotations

from pathlib import Path

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]-*.ipynb"))
PARTS = ("part-1", "part-2", "part-3")


def part_of(stem: str) -> str:
    """Which part a notebook (by stem) belongs to; anything else (the landing page) is in
    the first."""
    stems = [n.stem for n in NOTEBOOKS]
    return PARTS[stems.index(stem) % len(PARTS)] if stem in stems else PARTS[0]
