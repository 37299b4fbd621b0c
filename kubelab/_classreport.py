"""`kubelab class-report`: many learners' `kubelab grade --json` reports -> one class table.

Each report is one learner. Their name is the report's file name (`alice.json` -> alice), or,
for the default name `kubelab-grade.json`, the folder holding it (`alice/kubelab-grade.json`,
as an Actions artifact per repository unpacks). A folder argument is searched for
`*.json` reports. The table prints with rich; `--csv` writes the same rows for a gradebook.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from kubelab._errors import UsageError

DEFAULT_NAME = "kubelab-grade"


@dataclass(frozen=True)
class Learner:
    name: str
    points: dict[str, tuple[int, int]]  # lab id -> (points, max)
    total: int
    max_total: int
    passed: bool


@dataclass(frozen=True)
class ClassReport:
    labs: tuple[str, ...]
    learners: tuple[Learner, ...]

    def rows(self) -> list[list[str]]:
        """Header and one row a learner, as the CSV holds them."""
        head = ["learner", *self.labs, "total", "max", "percent"]
        body = []
        for learner in self.learners:
            cells = [
                f"{learner.points[lab][0]}/{learner.points[lab][1]}"
                if lab in learner.points
                else ""
                for lab in self.labs
            ]
            body.append(
                [learner.name, *cells, str(learner.total), str(learner.max_total), _pct(learner)]
            )
        return [head, *body]

    def __rich__(self) -> RenderableType:
        table = Table(title=f"class report: {len(self.learners)} learner(s)", title_justify="left")
        head, *body = self.rows()
        for index, column in enumerate(head):
            table.add_column(column, justify="left" if index == 0 else "right")
        for learner, row in zip(self.learners, body, strict=True):
            style = "green" if learner.passed else ""
            table.add_row(*row, style=style)
        if not self.learners:
            return Text("No reports.")
        average = sum(lr.total for lr in self.learners) / len(self.learners)
        return Group(table, Text(f"average: {average:.1f} points"))


def _pct(learner: Learner) -> str:
    return f"{100 * learner.total / learner.max_total:.0f}%" if learner.max_total else "-"


def learner_name(path: Path) -> str:
    return path.parent.name if path.stem == DEFAULT_NAME else path.stem


def report_files(arguments: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for argument in arguments:
        if argument.is_dir():
            files += sorted(argument.rglob("*.json"))
        else:
            files.append(argument)
    return files


def learner(path: Path, data: Any) -> Learner:
    """One report; a file that is not a `kubelab grade --json` report is a UsageError."""
    if not isinstance(data, dict) or not isinstance(data.get("labs"), list):
        raise ValueError("no `labs` list")
    points = {str(lab["id"]): (int(lab["points"]), int(lab["maxPoints"])) for lab in data["labs"]}
    return Learner(
        name=learner_name(path),
        points=points,
        total=int(data["points"]),
        max_total=int(data["maxPoints"]),
        passed=bool(data.get("passed")),
    )


def build(paths: Iterable[Path]) -> ClassReport:
    learners: list[Learner] = []
    bad: list[str] = []
    for path in paths:
        try:
            learners.append(learner(path, json.loads(path.read_text())))
        except OSError as exc:
            bad.append(f"{path} ({exc.strerror})")
        except (ValueError, KeyError, TypeError) as exc:
            bad.append(f"{path} ({exc})")
    if bad:
        raise UsageError(
            "These files are not `kubelab grade --json` reports: " + "; ".join(bad) + ". "
            "Pass the kubelab-grade.json files the grading workflow keeps (one per learner), "
            "or folders holding them."
        )
    names = [lr.name for lr in learners]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(
            f"Two reports name the same learner ({', '.join(twice)}): a learner is the file "
            "name, or the folder of a kubelab-grade.json. Rename them, e.g. alice.json."
        )
    labs = list(dict.fromkeys(lab for lr in learners for lab in lr.points))
    return ClassReport(tuple(labs), tuple(sorted(learners, key=lambda lr: lr.name)))


def write_csv(report: ClassReport, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(report.rows())
