"""The notebook side of the course: a "Check my work" widget per exercise, progress, a live
view of the cluster.

    from kubelab.notebook import exercise, progress, cluster_view
    ex = exercise("01-deploy", "deploy")   # the task, Check / Stop / Hint buttons, the card
    ex.check()                             # grades in a cell: countdown, then a compact card
    cluster_view("lab-01")                 # nodes and their pods, kept current by a watch
    course_overview()                      # every lab, its minutes and your score now

The widgets need ipywidgets and a front end that renders them (JupyterLab). Everywhere else
(nbval, a terminal, a notebook exported to HTML) the same objects show themselves as plain
text or static HTML, and `check()` / `hint()` print their results. Progress (passed
exercises, points, hints revealed) is kept in `.kubelab/progress.json` so it survives kernel
restarts. The lab data comes from lab.yaml, never restated here. The modules behind this
one: `_widget_card` (HTML), `_widget_run` (background grading), `_widget_progress`,
`_widget_exercise`, `_widget_live` (the cluster view), `_widget_course` (the landing page).
"""

from __future__ import annotations

from pathlib import Path

import checker
from kubelab._cmd_grading import labs_dir, load_labs, pick_exercise, pick_lab
from kubelab._widget_course import CourseOverview, course_overview
from kubelab._widget_exercise import CheckInterrupted, ExerciseWidget, ResultCard, _kernel_shell
from kubelab._widget_live import ClusterView, cluster_view
from kubelab._widget_progress import ProgressStore, ProgressView, progress_text

# `checker` loads the official client on first use (0.3 s of CPU, seconds under load); in a
# notebook that would be the first Check click, where the widget must show its countdown
# within a second. A notebook pays it with its first cell, the import, instead.
checker.run_exercise  # noqa: B018

__all__ = [
    "CheckInterrupted",
    "ClusterView",
    "CourseOverview",
    "ExerciseWidget",
    "LabHeader",
    "ProgressStore",
    "ProgressView",
    "ResultCard",
    "cluster_view",
    "course_overview",
    "exercise",
    "lab_header",
    "progress",
    "progress_text",
]


# In a notebook kernel, kubelab's errors (a wrong lab id, no cluster yet) show as their one
# paragraph from the first cell on, not as a traceback through kubelab's code.
_kernel_shell()


def _lab(lab_id: str, labs: Path | None) -> checker.Lab:
    return pick_lab(load_labs(labs_dir(labs)), lab_id)


def exercise(lab_id: str, exercise_id: str, *, labs: Path | None = None) -> ExerciseWidget:
    """The widget for one exercise of a lab (lab ids may be shortened to `01`)."""
    lab = _lab(lab_id, labs)
    return ExerciseWidget(lab, pick_exercise(lab, exercise_id))


def progress(lab_id: str, *, labs: Path | None = None) -> ProgressView:
    """Which exercises of a lab have passed, and the points so far."""
    return ProgressView(_lab(lab_id, labs), ProgressStore.default())


class LabHeader:
    """A lab's title, minutes and objectives, rendered from lab.yaml (never restated)."""

    def __init__(self, lab: checker.Lab) -> None:
        self.lab = lab

    def _lines(self) -> list[str]:
        lab = self.lab
        return [
            f"# {lab.title}",
            "",
            f"*About {lab.minutes} minutes, in namespace `{lab.namespace}`.* "
            "By the end of this lab you will be able to:",
            "",
            *[f"- {objective}" for objective in lab.objectives],
        ]

    def __repr__(self) -> str:
        return "\n".join(self._lines())

    def _repr_markdown_(self) -> str:
        return "\n".join(self._lines())


def lab_header(lab_id: str, *, labs: Path | None = None) -> LabHeader:
    """The heading cell of a lab's notebook."""
    return LabHeader(_lab(lab_id, labs))
