"""One exercise in a notebook: the "Check my work" widget, `.check()`, `.hint()`, the card.

A check never blocks silently. The Check button starts a `CheckRun` in the background and a
ticker thread redraws the card every quarter second: each check ticks as it passes, the
ones still failing show the countdown to their `within`, and Stop ends the wait. `.check()`
in a cell waits for the same run in the foreground, redrawing one output in place (or, in a
terminal, printing a line per change); Ctrl-C or the kernel's interrupt stops the run and
ends the cell with one line, not a traceback through the checker.

The widget lives as long as its kernel. Its style block tells JupyterLab what to show when
the kernel restarts under an open notebook: ipywidgets marks a widget whose kernel
connection died with the class `jupyter-widgets-disconnected`, and the style then greys the
buttons out and says "run this cell to load the exercise". A saved notebook keeps no widget
(`_widget_settings.drop_widget_views`): reopened, it shows the output's HTML fallback, the
same exercise with its buttons disabled and the same sentence.
"""

from __future__ import annotations

import contextlib
import html
import sys
import threading
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import checker
from kubelab._cmd_grading import open_client, translated_errors
from kubelab._errors import KubelabError
from kubelab._widget_card import (
    STYLE,
    badge,
    card_html,
    duration,
    hints_html,
    markdown,
    markdown_inline,
    message_html,
)
from kubelab._widget_progress import ProgressStore, ProgressView, progress_text
from kubelab._widget_run import CheckRun

TICK = 0.25
_MARK = {
    "passed": "PASS",
    "failed": "FAIL",
    "error": "ERROR",
}  # seconds between redraws of a running check's card

# What JupyterLab shows once the kernel behind a widget is gone.
OFFLINE_STYLE = """<style>
.kl-offline{display:none}
.kubelab-exercise.jupyter-widgets-disconnected .kl-offline{display:block;margin:4px 0;
 padding:4px 8px;border-left:4px solid #b26a00;background:rgba(178,106,0,.08);line-height:1.45}
.kubelab-exercise.jupyter-widgets-disconnected .widget-button{pointer-events:none;opacity:.4}
</style>"""
OFFLINE = (
    "Not connected to a running kernel (it was restarted, or this notebook was reopened): "
    "Check and Hint are disabled. Run this cell to load the exercise."
)

# The title of the fallback's disabled buttons: why they do nothing, and what does.
BUTTON_OFF = "Run this cell to load the exercise: no running kernel has it yet."
STATIC_NOTE = (
    "display:block;margin:4px 0;padding:4px 8px;border-left:4px solid #b26a00;"
    "background:rgba(178,106,0,.08);line-height:1.45"
)

CELL_STOP = "Interrupt the kernel (the &#9632; button, or I, I) to stop waiting."

# Every live widget, so a result from anywhere (a `.check()` cell, another widget of the
# same exercise) updates every progress block of its lab at once.
_LIVE: weakref.WeakSet[ExerciseWidget] = weakref.WeakSet()


class CheckInterrupted(KeyboardInterrupt):
    """Ctrl-C (or the kernel's interrupt) during `.check()`: the run was stopped."""


def _one_paragraph(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None):
    """IPython's handler for kubelab's own errors: the message, no traceback."""
    line = f"{etype.__name__}: {value}"
    shell._showtraceback(etype, value, [line])
    return [line]


def _kernel_shell() -> Any:
    """The IPython kernel running this code, if any (not a terminal IPython, not pytest)."""
    shell = sys.modules.get("IPython") and _get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return None
    # kubelab's errors are paragraphs written for the learner: show them without a traceback
    shell.set_custom_exc((CheckInterrupted, KubelabError, checker.CheckerError), _one_paragraph)
    return shell


def _get_ipython() -> Any:
    with contextlib.suppress(ImportError):
        from IPython import get_ipython

        return get_ipython()
    return None


class ResultCard:
    """What `.check()` returns: the `checker.ExerciseResult` (its fields are reachable here)
    shown as a few lines of text or as the card; `.details()` has the diff and evidence."""

    def __init__(self, result: checker.ExerciseResult, *, progress: ProgressView) -> None:
        self.result = result
        self._progress = progress
        self._progress_text = repr(progress)
        self._progress_html = progress.html()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "result":
            raise AttributeError(name)
        return getattr(self.result, name)

    def __repr__(self) -> str:
        r = self.result
        verdict = "PASS" if r.passed else "FAIL"
        ok = sum(c.passed for c in r.checks)
        lines = [
            f"{verdict} {r.title}: {r.points}/{r.max_points} points "
            f"({ok}/{len(r.checks)} checks pass)"
        ]
        lines += [
            f"  [{_MARK[c.status]}] {c.name}" + ("" if c.passed else f": {c.message}")
            for c in r.checks
        ]
        lines.append(self._progress_text.splitlines()[0])
        if not r.passed:
            lines.append("(.details() shows what the checker saw and the evidence)")
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def _repr_html_(self) -> str:
        return card_html(self.result, progress=self._progress_html)

    def details(self) -> str:
        """The full plain-text result: field errors, diffs, events and logs."""
        text = checker.plain_text(self.result)
        print(text)
        return text


class ExerciseWidget:
    """One exercise: its task, Check / Stop / Hint buttons, the result card and progress."""

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
        self._run: CheckRun | None = None
        self._lock = threading.Lock()

    # -- grading ------------------------------------------------------------------------

    def start(self, on_change: Callable[[CheckRun], None] | None = None) -> CheckRun:
        """Start grading in the background (what the Check button does)."""
        return CheckRun(self.lab, self.exercise, self._client_factory, on_change=on_change).start()

    def record(self, result: checker.ExerciseResult) -> ResultCard:
        """Remember a result, and show it in every live widget of this lab."""
        self.store.update(
            self.lab.id,
            self.exercise.id,
            passed=result.passed,
            points=result.points,
            checkedAt=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        card = ResultCard(result, progress=ProgressView(self.lab, self.store))
        for widget in list(_LIVE):
            if widget.lab.id == self.lab.id:
                widget._show_result(card if widget.exercise.id == self.exercise.id else None)
        return card

    def run(self) -> checker.ExerciseResult:
        """Grade now, in the foreground, and record the outcome."""
        run = self.start()
        run.wait()
        return self._finish(run).result

    def _finish(self, run: CheckRun) -> ResultCard:
        if run.error is not None:
            with translated_errors():
                raise run.error
        assert run.result is not None
        return self.record(run.result)

    def check(self) -> ResultCard:
        """Grade, showing progress while checks wait; returns the result (a compact card)."""
        shell = _kernel_shell()
        run = self.start()
        handle = None
        said: set[str] = set()
        try:
            while not run.wait(TICK):
                if shell is not None:
                    from IPython.display import HTML, display

                    page = HTML(self._running_html(run, how_to_stop=CELL_STOP))
                    if handle is None:
                        handle = display(page, display_id=True)
                    else:
                        handle.update(page)
                else:
                    self._print_changes(run, said)
        except KeyboardInterrupt:
            run.stop()
            run.wait(10)
            if handle is not None:
                from IPython.display import HTML

                handle.update(HTML(""))
            raise CheckInterrupted(
                f"Check of {self.exercise.id!r} stopped after {run.elapsed():.0f}s; "
                "run the cell again to check again."
            ) from None
        if handle is not None:
            from IPython.display import HTML

            handle.update(HTML(""))
        card = self._finish(run)
        if shell is None:
            self._print_changes(run, said)
            print(checker.plain_text(card.result))
            print(progress_text(self.lab, self.store))
        return card

    def _print_changes(self, run: CheckRun, said: set[str]) -> None:
        """Terminal form of the countdown: one line when waiting starts and per tick."""
        waiting = run.waiting()
        if waiting and "wait" not in said:
            said.add("wait")
            names = ", ".join(s.name for s in waiting)
            print(
                f"Waiting up to {duration(run.seconds_left())} for {names} "
                "(each check's `within`); Ctrl-C stops.",
                flush=True,
            )
        for state in run.states:
            if state.status == "passed" and state.name not in said and "wait" in said:
                said.add(state.name)
                print(f"  [PASS] {state.name}", flush=True)

    # -- hints --------------------------------------------------------------------------

    def next_hint(self) -> str | None:
        """Reveal one more hint (remembered); None once all are shown."""
        shown = self.hints_shown
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
        passed = self.store.exercise(self.lab.id, ex.id).get("passed")
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

    def _static_html(self) -> str:
        """The exercise without a kernel: what a saved notebook shows when reopened (and
        outside JupyterLab): its task, the buttons disabled saying why, the way back."""
        ex = self.exercise
        buttons = "".join(
            f"<button class='jupyter-button widget-button' disabled "
            f"title='{html.escape(BUTTON_OFF, quote=True)}' style='margin:2px 4px 2px 0'>"
            f"{name}</button>"
            for name in ("Check", "Hint")
        )
        return (
            f"{STYLE}<div class='kubelab-exercise kl-static'>"
            f"<h4 style='margin:4px 0'>{html.escape(ex.title)} ({ex.points} points)</h4>"
            f"<div class='kl-offline' style='{STATIC_NOTE}'>{html.escape(OFFLINE)}</div>"
            f"<div class='kl-card' style='border-left-width:1px'>{markdown(ex.task)}</div>"
            f"<div>{buttons}</div></div>"
        )

    # -- the widget ------------------------------------------------------------------------

    def widget(self) -> Any:
        """The ipywidgets box (built once): task, buttons, hints, result card, progress."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        ex = self.exercise
        title = w.HTML(
            f"{STYLE}{OFFLINE_STYLE}<h4 style='margin:4px 0'>{html.escape(ex.title)} "
            f"({ex.points} points)</h4><div class='kl-offline'>{html.escape(OFFLINE)}</div>"
        )
        task = w.HTML(
            f"<div class='kl-card' style='border-left-width:1px'>{markdown(ex.task)}</div>"
        )
        check_button = w.Button(
            description="Check", icon="check", button_style="primary", tooltip="Grade my work"
        )
        stop_button = w.Button(description="Stop", icon="stop", tooltip="Stop waiting")
        stop_button.layout.display = "none"
        hint_button = w.Button(description="Hint", icon="lightbulb-o", tooltip="Show a hint")
        hints = w.HTML(self._hints_html())
        output = w.HTML()
        status = w.HTML(self._progress_html())

        def on_check(_: Any) -> None:
            with self._lock:
                if self._run is not None and not self._run.done:
                    return
                check_button.disabled = True
                stop_button.layout.display = ""
                stop_button.disabled = False
                output.value = message_html(f"Checking {ex.title}...", status="checking")
                changed = threading.Event()
                try:
                    self._run = self.start(on_change=lambda _run: changed.set())
                except Exception as exc:  # noqa: BLE001 - shown, never a silent dead button
                    self._end_run(str(exc))
                    return
            threading.Thread(target=self._tick, args=(self._run, changed), daemon=True).start()

        def on_stop(_: Any) -> None:
            stop_button.disabled = True
            if self._run is not None:
                self._run.stop()

        def on_hint(_: Any) -> None:
            self.next_hint()
            self._sync_hints()

        check_button.on_click(on_check)
        stop_button.on_click(on_stop)
        hint_button.on_click(on_hint)
        box = w.VBox(
            [title, task, w.HBox([check_button, stop_button, hint_button]), hints, output, status]
        )
        box.add_class("kubelab-exercise")
        self._widget = box
        box.check_button, box.stop_button, box.hint_button = check_button, stop_button, hint_button
        box.output, box.hints, box.status = output, hints, status
        self._sync_hints()
        _LIVE.add(self)
        return box

    def _tick(self, run: CheckRun, changed: threading.Event) -> None:
        """The ticker: redraw the running card until the run ends, then show the result.

        It redraws every TICK for the countdowns, and at once when the run says something
        changed: the first pass's outcome (the countdown a learner waits to see after a
        click) or the end, not up to a tick later."""
        box = self._widget
        while not run.done:
            changed.wait(TICK)
            changed.clear()
            if not run.done:
                box.output.value = self._running_html(run)
        try:
            self._finish(run)  # shows the card here and in the lab's other widgets
            problem = None
        except (KubelabError, checker.CheckerError) as exc:
            problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - a dead Check button would hide it
            problem = f"The check itself failed ({type(exc).__name__}: {exc}); please report it."
        self._end_run(problem)

    def _end_run(self, problem: str | None) -> None:
        box = self._widget
        if problem is not None:
            box.output.value = message_html(problem)
        box.check_button.disabled = False
        box.stop_button.layout.display = "none"

    def _show_result(self, card: ResultCard | None) -> None:
        if self._widget is None:
            return
        if card is not None:
            stopped = self._run is not None and self._run.stopped
            footer = (
                "<p class='kl-muted'>Stopped before every check's wait ran out: "
                "Check again to keep waiting.</p>"
                if stopped and not card.result.passed
                else ""
            )
            self._widget.output.value = card_html(card.result, footer=footer)
        self._widget.status.value = self._progress_html()

    def _running_html(
        self, run: CheckRun, *, how_to_stop: str = "<b>Stop</b> ends the wait."
    ) -> str:
        """The card while the run is on: a tick per passed check, a countdown per waiting one."""
        left = run.seconds_left()
        rows = []
        for state in run.states:
            note = ""
            if state.status == "waiting" and state.deadline:
                mine = duration(state.deadline - time.monotonic())
                note = (
                    " <span class='kl-muted'>(not yet; gives up in "
                    f"<span class='kl-countdown'>{mine}</span>)</span>"
                )
            rows.append(
                f"<div class='kl-check'>{badge(state.status)}<b>{html.escape(state.name)}</b>: "
                f"<span class='kl-check-message'>{markdown_inline(state.message)}</span>"
                f"{note}</div>"
            )
        waiting = run.waiting()
        if waiting:
            head = (
                f"Waiting for {len(waiting)} check{'s' if len(waiting) > 1 else ''} to pass, up "
                f"to <span class='kl-countdown kl-left'>{duration(left)}</span> more "
                f"(a cluster takes time to catch up). {how_to_stop}"
            )
        else:
            head = f"Checking {html.escape(self.exercise.title)}..."
        return (
            f"{STYLE}<div class='kl-card kl-running'><div>{badge('waiting' if waiting else 'checking')}"
            f"{head}</div>{''.join(rows)}</div>"
        )

    def _sync_hints(self) -> None:
        box = self._widget
        total = len(self.exercise.hints)
        box.hints.value = self._hints_html()
        # greyed out as the last hint appears: a click that shows nothing looks broken
        box.hint_button.disabled = self.hints_shown >= total
        box.hint_button.tooltip = (
            "This exercise has no hints"
            if not total
            else "All hints are shown"
            if self.hints_shown >= total
            else f"Show hint {self.hints_shown + 1} of {total}"
        )

    def _hints_html(self) -> str:
        return hints_html(self.exercise.hints[: self.hints_shown], len(self.exercise.hints))

    def _progress_html(self) -> str:
        return ProgressView(self.lab, self.store).html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The widget where widgets render; text and static HTML beside it for the rest."""
        bundle: dict[str, Any] = {"text/html": self._static_html()}
        with contextlib.suppress(Exception):  # no ipywidgets or no kernel: the rest is enough
            bundle.update(self.widget()._repr_mimebundle_())
        bundle["text/plain"] = repr(self)
        return bundle
