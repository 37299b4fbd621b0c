"""The notebook side of the course: a "Check my work" widget per exercise, and progress.

    from kubelab.notebook import exercise, progress
    ex = exercise("01-deploy", "deploy")   # shows the task, Check and Hint buttons
    ex.check()                             # or: prints PASS/FAIL per check as plain text

The widget needs ipywidgets and a front end that renders them (JupyterLab). Everywhere
else (nbval, a terminal, a notebook exported to text) the same object shows itself as
plain text, and `check()` / `hint()` print their results. Progress (passed exercises,
points, hints revealed) is kept in `.kubelab/progress.json` so it survives kernel restarts.
The lab data comes from lab.yaml, never restated here.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import checker
from kubelab._cmd_grading import labs_dir, load_labs, open_client, pick_exercise, pick_lab
from kubelab._errors import KubelabError
from kubelab._kubeconfig import lab_home

# -- progress store -----------------------------------------------------------------------


@dataclass
class ProgressStore:
    """`.kubelab/progress.json`: per lab, per exercise, passed/points/hints shown."""

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

    def exercise(self, lab_id: str, exercise_id: str) -> dict[str, Any]:
        labs = self.read()["labs"]
        return dict(labs.get(lab_id, {}).get("exercises", {}).get(exercise_id, {}))

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


# -- plain-text views ---------------------------------------------------------------------


def progress_text(lab: checker.Lab, store: ProgressStore) -> str:
    """`Lab 01-deploy: 10/15 points, 1/2 exercises passed` and one line per exercise."""
    rows, points = [], 0
    for ex in lab.exercises:
        state = store.exercise(lab.id, ex.id)
        passed = bool(state.get("passed"))
        points += ex.points if passed else 0
        mark = "PASS" if passed else ("FAIL" if "passed" in state else "----")
        rows.append(f"  [{mark}] {ex.id}: {ex.title} ({ex.points} points)")
    done = sum(bool(store.exercise(lab.id, e.id).get("passed")) for e in lab.exercises)
    head = (
        f"Lab {lab.id}: {lab.title}: {points}/{lab.points} points, "
        f"{done}/{len(lab.exercises)} exercises passed"
    )
    return "\n".join([head, *rows])


class ProgressView:
    """A lab's progress; plain text everywhere, also an HTML table where HTML renders."""

    def __init__(self, lab: checker.Lab, store: ProgressStore) -> None:
        self.lab, self.store = lab, store

    def __repr__(self) -> str:
        return progress_text(self.lab, self.store)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(repr(self)) + "</pre>"


# -- the exercise widget ------------------------------------------------------------------


def _result_html(result: checker.ExerciseResult) -> str:
    """Each check as pass/fail with its message; details folded under a failure."""
    parts = [
        f"<p><b>{html.escape(result.title)}</b>: {result.points}/{result.max_points} points</p>"
    ]
    for check in result.checks:
        icon = "&#9989;" if check.passed else "&#10060;"
        line = f"{icon} <b>{html.escape(check.name)}</b>: {html.escape(check.message)}"
        if check.passed:
            parts.append(f"<div>{line}</div>")
            continue
        body = "\n".join(checker.plain_text(check).splitlines()[1:])
        parts.append(
            f"<details><summary>{line}</summary><pre>{html.escape(body.strip())}</pre></details>"
        )
    return "\n".join(parts)


class ExerciseWidget:
    """One exercise: its task, a Check button, a Hint button, points and the lab's progress."""

    def __init__(
        self,
        lab: checker.Lab,
        exercise: checker.Exercise,
        *,
        store: ProgressStore | None = None,
        client_factory: Callable[[], checker.ReadOnlyClient] = open_client,
    ) -> None:
        self.lab = lab
        self.exercise = exercise
        self.store = store or ProgressStore.default()
        self._client_factory = client_factory
        self._widget: Any = None

    # -- actions (shared by the buttons and by plain calls) --------------------------------

    def run(self) -> checker.ExerciseResult:
        """Grade the exercise now and remember the outcome in the progress file."""
        with self._client_factory() as client:
            result = checker.run_exercise(client, self.lab, self.exercise.id)
        self.store.update(
            self.lab.id,
            self.exercise.id,
            passed=result.passed,
            points=result.points,
            checkedAt=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        return result

    def check(self) -> checker.ExerciseResult:
        """Grade and print PASS/FAIL per check as plain text (works in nbval and terminals)."""
        result = self.run()
        print(checker.plain_text(result))
        print(progress_text(self.lab, self.store))
        return result

    def next_hint(self) -> str | None:
        """Reveal one more hint (remembered); None once all are shown."""
        shown = int(self.store.exercise(self.lab.id, self.exercise.id).get("hintsShown", 0))
        if shown >= len(self.exercise.hints):
            return None
        self.store.update(self.lab.id, self.exercise.id, hintsShown=shown + 1)
        return self.exercise.hints[shown]

    def hint(self) -> str | None:
        """Reveal and print the next hint."""
        text = self.next_hint()
        total = len(self.exercise.hints)
        print(f"Hint {self.hints_shown}/{total}: {text}" if text else "No more hints.")
        return text

    @property
    def hints_shown(self) -> int:
        return int(self.store.exercise(self.lab.id, self.exercise.id).get("hintsShown", 0))

    # -- plain text ------------------------------------------------------------------------

    def __repr__(self) -> str:
        ex = self.exercise
        state = self.store.exercise(self.lab.id, ex.id)
        passed = state.get("passed")
        status = "not checked" if passed is None else "passed" if passed else "not passed yet"
        lines = [
            f"Exercise {ex.id}: {ex.title}  [{ex.points} points, {status}]",
            "",
            ex.task.strip(),
            "",
        ]
        lines += [f"Hint {i + 1}: {h}" for i, h in enumerate(ex.hints[: self.hints_shown])]
        lines.append(
            f"Run .check() to grade, .hint() for a hint ({self.hints_shown}/{len(ex.hints)} shown)."
        )
        lines.append(progress_text(self.lab, self.store))
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    # -- the widget ------------------------------------------------------------------------

    def widget(self) -> Any:
        """The ipywidgets box (built once): task, buttons, points/progress, results."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w
        from markdown_it import MarkdownIt

        ex = self.exercise
        title = w.HTML(f"<h4>{html.escape(ex.title)} ({ex.points} points)</h4>")
        task = w.HTML(MarkdownIt().render(ex.task))
        check_button = w.Button(description="Check", icon="check", button_style="primary")
        hint_button = w.Button(description="Hint", icon="lightbulb-o")
        hints = w.HTML(self._hints_html())
        status = w.HTML(self._progress_html())
        output = w.HTML()

        def on_check(_: Any) -> None:
            check_button.disabled = True
            output.value = "<i>Checking...</i>"
            try:
                output.value = _result_html(self.run())
            except (KubelabError, checker.CheckerError) as exc:
                output.value = f"<p style='color:#b00'>{html.escape(str(exc))}</p>"
            finally:
                check_button.disabled = False
                status.value = self._progress_html()

        def on_hint(_: Any) -> None:
            self.next_hint()
            # greyed out as the last hint appears: a click that shows nothing looks broken
            hint_button.disabled = self.hints_shown >= len(ex.hints)
            hints.value = self._hints_html()

        check_button.on_click(on_check)
        hint_button.on_click(on_hint)
        hint_button.disabled = self.hints_shown >= len(ex.hints)
        self._widget = w.VBox(
            [title, task, w.HBox([check_button, hint_button]), hints, output, status]
        )
        self._widget.check_button, self._widget.hint_button = check_button, hint_button
        self._widget.output, self._widget.hints = output, hints
        return self._widget

    def _hints_html(self) -> str:
        shown = self.exercise.hints[: self.hints_shown]
        return "".join(
            f"<p>&#128161; <b>Hint {i + 1}:</b> {html.escape(h)}</p>" for i, h in enumerate(shown)
        )

    def _progress_html(self) -> str:
        return "<pre>" + html.escape(progress_text(self.lab, self.store)) + "</pre>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The widget where widgets render, and always the plain text beside it."""
        bundle: dict[str, Any] = {}
        with contextlib.suppress(Exception):  # no ipywidgets or no kernel: text is enough
            bundle = dict(self.widget()._repr_mimebundle_())
        bundle["text/plain"] = repr(self)
        return bundle


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
