"""The course's landing page (`notebooks/course.ipynb`): every lab, its minutes, objectives
and the learner's score on the live cluster, each linking to its notebook.

    from kubelab.notebook import course_overview
    course_overview()     # the labs found in labs/, graded now (no waiting), as a page

The labs are discovered from `labs/` each time (a lab added later shows up on the next
run, never a list kept here). The score is the checker's grade of the cluster as it is
now (`kubelab grade --no-wait`): read-only, and never recorded as progress. Without a
cluster the page still lists every lab and says how to bring the cluster up.

Rendering is pure (`overview_html`, `overview_text`); `course_overview` gathers the data.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import checker
from kubelab._cmd_grading import labs_dir, load_labs, open_client, translated_errors
from kubelab._errors import ClusterError, KubelabError
from kubelab._widget_card import STYLE, markdown_inline

NOT_UP = "Cluster not up: run `kubelab up` in a terminal, then run this cell again."

PAGE_STYLE = """<style>
.kl-course .kl-lab{margin:6px 0;padding:6px 10px}
.kl-course .kl-lab h4{margin:2px 0;padding-right:11em}
.kl-course .kl-lab h4 a{text-decoration:underline}
.kl-course .kl-score{float:right;font-weight:bold}
.kl-course .kl-objectives{margin:2px 0 2px 0}
</style>"""


@dataclass(frozen=True)
class LabLine:
    """One lab as the page shows it; `points` is None when the cluster was not graded."""

    lab: checker.Lab
    notebook: str | None  # the notebook's name beside the page, if there is one
    points: int | None = None
    max_points: int = 0

    @property
    def status(self) -> str:
        if self.points is None:
            return "unknown"
        if self.max_points and self.points >= self.max_points:
            return "passed"
        return "started" if self.points else "todo"


@dataclass(frozen=True)
class CourseOverview:
    """Every lab of the course and, when the cluster answered, the score on it."""

    labs: tuple[LabLine, ...]
    problem: str = ""  # why there is no score (the cluster is not up, or refused)
    detail: str = ""  # the error behind it, as the CLI would say it

    @property
    def graded(self) -> bool:
        return not self.problem

    @property
    def minutes(self) -> int:
        return sum(line.lab.minutes for line in self.labs)

    @property
    def points(self) -> int:
        return sum(line.points or 0 for line in self.labs)

    @property
    def max_points(self) -> int:
        return sum(sum(e.points for e in line.lab.exercises) for line in self.labs)

    def __repr__(self) -> str:
        return overview_text(self)

    def _repr_pretty_(self, p: object, cycle: bool) -> None:
        p.text(repr(self))  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        return overview_html(self)


_STATUS_WORD = {"passed": "DONE", "started": "STARTED", "todo": "TO DO"}
_STATUS_BADGE = {"passed": "passed", "started": "waiting", "todo": "stopped"}


def overview_text(page: CourseOverview) -> str:
    lines = [f"The kubelab course: {len(page.labs)} labs, about {page.minutes} minutes in all."]
    if page.graded:
        lines.append(f"Your score on the lab cluster now: {page.points}/{page.max_points} points.")
    else:
        lines.append(page.problem)
    for line in page.labs:
        lab = line.lab
        score = (
            f"{line.points}/{line.max_points} points"
            if line.points is not None
            else f"{line.max_points} points"
        )
        where = line.notebook or "no notebook yet"
        lines.append(f"  {lab.id}: {lab.title} ({lab.minutes} min, {score}) -> {where}")
    return "\n".join(lines)


def overview_html(page: CourseOverview) -> str:
    if page.graded:
        head = (
            f"Your score on the lab cluster now: <span class='kl-points'>{page.points}/"
            f"{page.max_points} points</span> <span class='kl-muted'>(graded as it is, "
            "without waiting; run this cell again to refresh)</span>"
        )
    else:
        head = f"<span class='kl-ferr'>{markdown_inline(page.problem)}</span>"
        if page.detail:
            head += f"<div class='kl-muted'>{markdown_inline(page.detail)}</div>"
    cards = "".join(_lab_card(line) for line in page.labs)
    return (
        f"{STYLE}{PAGE_STYLE}<div class='kl-course'>"
        f"<div class='kl-card'><b>{len(page.labs)} labs</b>, about {page.minutes} minutes in "
        f"all. {head}</div>{cards}</div>"
    )


def _lab_card(line: LabLine) -> str:
    lab = line.lab
    name = f"{html.escape(lab.id)}: {html.escape(lab.title)}"
    title = (
        f"<a href='{html.escape(line.notebook, quote=True)}'>{name}</a>"
        if line.notebook
        else f"{name} <span class='kl-muted'>(no notebook yet)</span>"
    )
    if line.points is None:
        score = f"<span class='kl-score kl-muted'>{line.max_points} points</span>"
    else:
        score = (
            f"<span class='kl-score'>{_badge_word(line.status)} "
            f"{line.points}/{line.max_points} points</span>"
        )
    objectives = "".join(f"<li>{markdown_inline(o)}</li>" for o in lab.objectives)
    done = line.status == "passed"
    return (
        f"<div class='kl-card kl-lab{' kl-passed' if done else ''}' data-lab='{lab.id}'>"
        f"{score}<h4>{title}</h4><div class='kl-muted'>About {lab.minutes} minutes, "
        f"{len(lab.exercises)} exercise{'s' if len(lab.exercises) != 1 else ''}, in namespace "
        f"<code>{html.escape(lab.namespace)}</code></div>"
        f"<ul class='kl-objectives'>{objectives}</ul></div>"
    )


def _badge_word(status: str) -> str:
    """A badge in words (readable without colour or an emoji font), coloured by status."""
    return f'<span class="kl-badge kl-{_STATUS_BADGE[status]}">{_STATUS_WORD[status]}</span>'


def _notebook_for(lab: checker.Lab, folder: Path) -> str | None:
    name = f"{lab.id}.ipynb"
    return name if (folder / name).is_file() else None


def overview(
    labs: dict[str, checker.Lab],
    *,
    report: checker.GradeReport | None,
    problem: str = "",
    detail: str = "",
    notebooks: Path,
) -> CourseOverview:
    """The page's data: the labs in order, with the report's score where there is one."""
    results = {r.lab_id: r for r in report.labs} if report is not None else {}
    lines = []
    for lab_id in sorted(labs):
        lab = labs[lab_id]
        result = results.get(lab_id)
        lines.append(
            LabLine(
                lab=lab,
                notebook=_notebook_for(lab, notebooks),
                points=result.points if result is not None else None,
                max_points=sum(e.points for e in lab.exercises),
            )
        )
    return CourseOverview(labs=tuple(lines), problem=problem, detail=detail)


def course_overview(*, labs: Path | None = None, notebooks: Path | None = None) -> CourseOverview:
    """Every lab of the course, graded on the live cluster now when it is up."""
    found = load_labs(labs_dir(labs))
    folder = notebooks if notebooks is not None else Path.cwd()
    try:
        with translated_errors(), open_client() as client:
            report = checker.grade(client, list(found.values()), wait=False)
    except ClusterError as exc:
        return overview(found, report=None, problem=NOT_UP, detail=str(exc), notebooks=folder)
    except KubelabError as exc:  # refused (a foreign context): say so, never grade elsewhere
        return overview(found, report=None, problem=str(exc), notebooks=folder)
    return overview(found, report=report, notebooks=folder)
