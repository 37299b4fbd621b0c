"""A saved notebook reopened without the kernel that drew its widgets: lab 00 in JupyterLab.

A widget output is saved as a view of a model that lived in the kernel. Reopened (the page
reloaded, the kernel restarted or new), no kernel knows that model, and JupyterLab's widget
renderer says "Error displaying widget: model not found" in place of the exercise. These
tests save the notebook in the states a learner leaves it in (widgets live, the kernel
restarted, already reopened once), reload, and assert that every exercise shows its task, its
buttons disabled with the reason, and "run this cell to load the exercise"; then that running
the cell brings a working widget back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = "00-welcome.ipynb"
EXERCISE = 'exercise("00-welcome", "namespace")'
WIDGET = ".kubelab-exercise"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.browser


def _save(nb) -> None:
    nb.command("docmanager:save")
    nb.page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000
    )


def _reopen(course, nb) -> None:
    nb.page.goto(course.notebook_url(NOTEBOOK))
    nb.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    nb.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget")
    nb.wait_idle()


def _saved(course) -> dict:
    return json.loads(Path(course.workdir, "notebooks", NOTEBOOK).read_text())


def test_a_notebook_opens_saved_and_stays_so_once_its_kernel_is_up(nb):
    """JupyterLab writes the kernel's spec and language_info into the notebook when the kernel
    starts; the course's contents manager reads them in already, so nothing turns unsaved."""
    nb.page.wait_for_function(
        "() => (window.jupyterapp.shell.currentWidget.context.model.sharedModel"
        ".getMetadata().language_info || {}).version !== undefined",
        timeout=60_000,
    )
    nb.page.wait_for_timeout(500)  # any change the kernel's info reply makes lands by now
    assert not nb.notebook_js("return nb.context.model.dirty;"), (
        "the notebook turned unsaved when its kernel started"
    )


def _assert_offline_exercise(nb, real_errors) -> None:
    """The exercise as a notebook without its kernel shows it: no error, the way back said."""
    cell = nb.cell(nb.cell_index(EXERCISE))
    exercise = cell.locator(WIDGET)
    exercise.wait_for(timeout=30_000)
    assert "Create your namespace and make it the default" in exercise.inner_text()
    assert "Run this cell to load the exercise" in exercise.inner_text()
    for name in ("Check", "Hint"):
        button = exercise.get_by_role("button", name=name)
        assert button.is_disabled(), f"{name} must be off without a kernel"
        assert "Run this cell to load the exercise" in (button.get_attribute("title") or "")
    # the renderer shows its error a moment after the model lookup fails: give it that moment
    nb.page.wait_for_timeout(1_000)
    assert "Error displaying widget" not in nb.page.content()
    assert real_errors(nb.errors) == []


def test_widgets_saved_then_the_kernel_restarted_reopen_as_their_exercise(course, nb, real_errors):
    show = nb.cell_index(EXERCISE)
    nb.run_cells(0, 1)
    nb.run_cells(show, show + 1)
    nb.cell(show).locator(WIDGET).get_by_role("button", name="Check").wait_for(timeout=30_000)
    _save(nb)
    nb.restart_kernel()
    nb.wait_idle()
    _save(nb)  # Ctrl-S after the restart, as a learner does before closing the tab
    saved = _saved(course)
    assert "widgets" not in saved["metadata"], "widget state in the file goes stale"
    outputs = [o for c in saved["cells"] for o in c.get("outputs", [])]
    assert outputs, "the exercise's output was not saved at all"
    assert not [o for o in outputs if VIEW_MIME in o.get("data", {})]
    _reopen(course, nb)
    _assert_offline_exercise(nb, real_errors)
    nb.shot("10-reopened-after-restart", nb.cell(show))


def test_a_reopened_notebook_saved_again_still_reopens(course, nb, real_errors):
    _save(nb)
    _reopen(course, nb)
    _assert_offline_exercise(nb, real_errors)


def test_running_the_cell_again_brings_back_a_working_widget(nb, real_errors):
    show = nb.cell_index(EXERCISE)
    nb.run_cells(0, 1)
    nb.run_cells(show, show + 1)
    exercise = nb.cell(show).locator(WIDGET)
    hint = exercise.get_by_role("button", name="Hint")
    hint.wait_for(timeout=30_000)
    assert not exercise.get_by_role("button", name="Check").is_disabled()
    assert "Run this cell to load the exercise" not in exercise.inner_text()
    hint.click()  # a round trip through the new kernel's comm
    exercise.get_by_text("Hint 1/2:").wait_for(timeout=5_000)
    assert "Error displaying widget" not in nb.page.content()
    assert real_errors(nb.errors) == []
