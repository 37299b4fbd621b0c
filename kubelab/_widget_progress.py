"""Progress kept between kernels: `.kubelab/progress.json`, and the views of it.

Per lab, per exercise: passed, points, when it was checked, how many hints were shown. The
file is written whole and renamed into place, so a kernel killed mid-write never leaves
half a file, and every widget reads it again before it shows progress.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import checker
from kubelab._kubeconfig import lab_home
from kubelab._widget_card import STYLE, progress_html


@dataclass
class ProgressStore:
    """`.kubelab/progress.json`: per lab, per exercise: passed/points/hints shown."""

    path: Path

    @classmethod
    def default(cls) -> ProgressStore:
        return cls(lab_home() / "progress.json")

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {"version": 1, "labs": {}}
        return data if isinstance(data, dict) and "labs" in data else {"version": 1, "labs": {}}

    def lab(self, lab_id: str) -> dict[str, dict[str, Any]]:
        return dict(self.read()["labs"].get(lab_id, {}).get("exercises", {}))

    def exercise(self, lab_id: str, exercise_id: str) -> dict[str, Any]:
        return dict(self.lab(lab_id).get(exercise_id, {}))

    def update(self, lab_id: str, exercise_id: str, **fields: Any) -> None:
        data = self.read()
        lab = data["labs"].setdefault(lab_id, {"exercises": {}})
        lab["exercises"].setdefault(exercise_id, {}).update(fields)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # write-then-rename: a kernel killed mid-write never leaves a half file
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".progress.")
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=2, sort_keys=True)
        os.replace(tmp, self.path)


def progress_text(lab: checker.Lab, store: ProgressStore) -> str:
    """`Lab 01-deploy: 10/15 points, 1/2 exercises passed` and one line per exercise."""
    states = store.lab(lab.id)
    rows, points, done = [], 0, 0
    for ex in lab.exercises:
        state = states.get(ex.id, {})
        passed = bool(state.get("passed"))
        points += ex.points if passed else 0
        done += passed
        mark = "PASS" if passed else ("FAIL" if "passed" in state else "----")
        rows.append(f"  [{mark}] {ex.id}: {ex.title} ({ex.points} points)")
    head = (
        f"Lab {lab.id}: {lab.title}: {points}/{lab.points} points, "
        f"{done}/{len(lab.exercises)} exercises passed"
    )
    return "\n".join([head, *rows])


class ProgressView:
    """A lab's progress; plain text everywhere, a table where HTML renders."""

    def __init__(self, lab: checker.Lab, store: ProgressStore) -> None:
        self.lab, self.store = lab, store

    def __repr__(self) -> str:
        return progress_text(self.lab, self.store)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def _repr_html_(self) -> str:
        return STYLE + f"<div class='kl-card'>{self.html()}</div>"

    def html(self) -> str:
        return progress_html(self.lab, self.store.lab(self.lab.id))
