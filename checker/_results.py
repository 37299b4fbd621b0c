"""What grading produces: plain dataclasses, one per level (check, exercise, lab, grade).

Scoring: an exercise earns its points only when every one of its checks passes, guards
included (a guard says what must already hold, like the fault being in place, and is worth
nothing by itself); a lab's points are the sum of its exercises'. Reporters (`_report.py`) turn these into text, JSON
and JUnit; nothing here formats for a reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["passed", "failed", "error"]


@dataclass(frozen=True)
class Evidence:
    """Something a person would look at next, with the command that shows it to them."""

    kind: Literal["events", "logs"]
    title: str
    command: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class CheckResult:
    name: str
    message: str
    kind: Literal["expect", "absent", "http", "context", "log", "order"]
    status: Status
    target: str
    field_errors: tuple[str, ...] = ()
    detail: str | None = None
    diff: str | None = None
    evidence: tuple[Evidence, ...] = ()
    attempts: int = 1
    seconds: float = 0.0
    guard: bool = False  # must already hold: required for the points, worth none itself

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class ExerciseResult:
    lab_id: str
    exercise_id: str
    title: str
    max_points: int
    checks: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def points(self) -> int:
        return self.max_points if self.passed else 0


@dataclass(frozen=True)
class LabResult:
    lab_id: str
    title: str
    exercises: tuple[ExerciseResult, ...]

    @property
    def passed(self) -> bool:
        return all(e.passed for e in self.exercises)

    @property
    def points(self) -> int:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> int:
        return sum(e.max_points for e in self.exercises)


@dataclass(frozen=True)
class GradeReport:
    labs: tuple[LabResult, ...]
    generated_at: str
    seconds: float = 0.0
    server: str = field(default="")

    @property
    def passed(self) -> bool:
        return all(lab.passed for lab in self.labs)

    @property
    def points(self) -> int:
        return sum(lab.points for lab in self.labs)

    @property
    def max_points(self) -> int:
        return sum(lab.max_points for lab in self.labs)
