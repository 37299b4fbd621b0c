"""Lab 01 in JupyterLab as a learner meets it: the cells, Check before and after the solution,
every hint, an interrupted `.check()`, the live cluster view, a kernel restart and a reopen.

The tests share one notebook session and run in file order (each builds on the last).
What they assert is what is on the page: words, colours, no "Error displaying widget",
no console errors.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
LAB = yaml.safe_load((ROOT / "labs" / "01-deploy" / "lab.yaml").read_text())
HINTS = next(e for e in LAB["exercises"] if e["id"] == "deploy")["hints"]
NOTEBOOK = "01-deploy.ipynb"
WIDGET = ".kubelab-exercise"
EMOJI = re.compile("[\u2705\u274c\U0001f000-\U0001faff]")

pytestmark = pytest.mark.browser


def _widget(nb):
    return nb.page.locator(WIDGET).first


def _no_page_errors(nb, real_errors) -> None:
    assert "Error displaying widget" not in nb.page.content()
    assert real_errors(nb.errors) == []


def test_the_first_notebook_renders_and_the_time_from_up_is_measured(course, nb, real_errors):
    rendered = course.timings["first notebook rendered"]
    print(
        f"\nkubelab up: {course.timings['kubelab up']:.1f}s; up to first notebook: {rendered:.1f}s"
    )
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "browser-timings.txt").write_text(
        f"kubelab up --backend sim: {course.timings['kubelab up']:.1f}s\n"
        f"kubelab up -> first notebook rendered in Chromium: {rendered:.1f}s\n"
    )
    assert nb.page.locator(".jp-Notebook .jp-Cell").count() > 10
    nb.shot("01-opened")
    _no_page_errors(nb, real_errors)


def test_check_before_the_solution_counts_down_within_a_second_and_stops(nb, real_errors):
    show = nb.cell_index('exercise("01-deploy", "deploy")')
    nb.run_cells(0, show + 1)
    widget = _widget(nb)
    widget.wait_for(timeout=30_000)
    assert "Deployment is a contract" in nb.page.content()  # the cells ran
    widget.get_by_role("button", name="Check").click()
    clicked = time.monotonic()
    widget.get_by_text(re.compile(r"Waiting for \d+ checks? to pass")).wait_for(timeout=3_000)
    assert time.monotonic() - clicked < 1.0, "the countdown must show within a second"
    first = widget.locator(".kl-left").inner_text()
    time.sleep(1.5)
    assert widget.locator(".kl-left").inner_text() != first  # counting down, in place
    nb.shot("02-check-waiting")
    widget.get_by_role("button", name="Stop").click()
    widget.locator(".kl-card.kl-failed").wait_for(timeout=5_000)
    card = widget.locator(".kl-card.kl-failed")
    assert "FAIL" in card.locator(".kl-badge").first.inner_text()
    assert "0/10 points" in card.inner_text()
    nb.shot("03-check-failed", widget)
    _no_page_errors(nb, real_errors)


def test_the_card_reads_without_an_emoji_font(nb):
    fonts = subprocess.run(["fc-list", ":charset=2705"], capture_output=True, text=True).stdout
    if fonts.strip():
        pytest.skip(f"an emoji font is installed ({fonts.split(':')[0]}); .ci/run installs none")
    card = _widget(nb).locator(".kl-card.kl-failed")
    text = card.inner_text()
    assert not EMOJI.search(text), "an emoji renders as an empty box without an emoji font"
    badges = card.locator(".kl-badge")
    words = {badges.nth(i).inner_text().split()[-1] for i in range(badges.count())}
    assert "FAIL" in words
    colour = badges.first.evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(198, 40, 40)"  # red, beside the word
    line_height = card.evaluate("c => parseFloat(getComputedStyle(c).lineHeight)")
    assert line_height < 22, f"line height {line_height}px: the card is double-spaced"
    assert card.locator("details.kl-evidence").count() <= 1


def test_every_hint_shows_once_then_the_button_says_why_it_is_off(nb):
    widget = _widget(nb)
    hint = widget.get_by_role("button", name="Hint")
    for number in range(1, len(HINTS) + 1):
        hint.click()
        widget.get_by_text(f"Hint {number}/{len(HINTS)}:").wait_for(timeout=5_000)
    # the button's state and its tooltip arrive as separate widget messages: wait for both
    expect(hint).to_be_disabled()
    expect(hint).to_have_attribute("title", "All hints are shown")
    assert "`" not in widget.locator(".kl-card").filter(has_text="Hint 1/").inner_text()
    nb.shot("04-hints")


def test_an_interrupted_check_cell_ends_in_one_line(nb, real_errors):
    cell = nb.cell_index('exercise("01-deploy", "deploy").check()')
    nb.notebook_js(f"nb.content.activeCellIndex = {cell};")
    nb.command("notebook:run-cell", wait=False)
    output = nb.cell(cell).locator(".jp-OutputArea")
    output.get_by_text(re.compile(r"Waiting for \d+ checks? to pass")).wait_for(timeout=10_000)
    assert "Interrupt the kernel" in output.inner_text()  # no Stop button in a cell's output
    nb.shot("05-check-cell-waiting", output)
    nb.notebook_js("nb.sessionContext.session.kernel.interrupt();")
    nb.wait_idle(30)
    text = output.inner_text()
    assert re.search(r"CheckInterrupted: Check of 'deploy' stopped after \d+s", text), text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    assert len([line for line in text.splitlines() if line.strip()]) <= 2, text
    _no_page_errors(nb, real_errors)


def test_check_after_the_solution_passes_and_progress_follows(nb, real_errors):
    solution = nb.cell_index("kubectl apply -f ../labs/01-deploy/solution/deployment.yaml")
    nb.run_cells(solution, solution + 1)
    widget = _widget(nb)
    widget.get_by_role("button", name="Check").click()
    widget.locator(".kl-card.kl-passed").wait_for(timeout=60_000)
    card = widget.locator(".kl-card.kl-passed")
    assert "PASS" in card.locator(".kl-badge").first.inner_text()
    assert "10/10 points" in card.inner_text()
    assert "10/" in widget.locator(".kl-progress").inner_text()
    nb.run_cells(solution + 1, solution + 2)  # the `.check()` cell: a compact card
    output = nb.cell(solution + 1).locator(".jp-OutputArea")
    assert "PASS" in output.locator(".kl-badge").first.inner_text()
    nb.shot("06-check-passed", widget)
    _no_page_errors(nb, real_errors)


def test_the_live_view_follows_a_pod_within_two_seconds(course, nb, real_errors):
    last = nb.page.locator(".jp-Notebook .jp-Cell").count() - 1
    nb.notebook_js(f"nb.content.activeCellIndex = {last};")
    nb.command("notebook:insert-cell-below")
    nb.notebook_js(
        "nb.content.activeCell.model.sharedModel.setSource("
        "'from kubelab.notebook import cluster_view\\ncluster_view(\"lab-01\")');"
    )
    nb.command("notebook:run-cell", wait=False)
    view = nb.page.locator(".kl-live").last
    view.locator(".kl-pod.kl-ready").first.wait_for(timeout=30_000)
    assert view.locator(".kl-node").count() >= 2
    pod = view.locator(".kl-pod.kl-ready").first.inner_text().split(" ")[0]
    started = time.monotonic()
    course.run("kubectl", "delete", "pod", pod, "-n", "lab-01", "--wait=false")
    nb.page.wait_for_function(
        "p => { const c = [...document.querySelectorAll('.kl-live')].pop();"
        " const t = c.innerText; return !t.includes(p + ' ') || t.includes(p + ' · Terminating'); }",
        arg=pod,
        timeout=10_000,
    )
    seen = time.monotonic() - started
    print(f"\nlive view saw the deleted pod in {seen:.2f}s")
    assert seen < 2.0
    nb.shot(
        "07-live-view", nb.page.locator(".kubelab-cluster-view").last
    )  # the HTML inside is redrawn per event
    _no_page_errors(nb, real_errors)


def test_a_mistyped_exercise_id_is_one_paragraph_not_a_traceback(nb, real_errors):
    last = nb.page.locator(".jp-Notebook .jp-Cell").count() - 1
    nb.notebook_js(f"nb.content.activeCellIndex = {last};")
    nb.command("notebook:insert-cell-below")
    nb.notebook_js('nb.content.activeCell.model.sharedModel.setSource(\'exercise("01", "nope")\');')
    nb.command("notebook:run-cell")
    nb.wait_idle(30)
    text = nb.cell(last + 1).locator(".jp-OutputArea").inner_text().strip()
    assert text == (
        "UsageError: Lab 01-deploy has no exercise 'nope'. Its exercises are: deploy."
    ), text
    nb.command("notebook:delete-cell")
    _no_page_errors(nb, real_errors)


def test_a_saved_notebook_reopened_shows_its_exercise_not_an_error(course, nb, real_errors):
    """Saved with live widgets (as autosave does), closed, its kernel shut down, reopened."""
    nb.command("docmanager:save")
    nb.page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000
    )
    nb.notebook_js("return nb.sessionContext.shutdown();")
    nb.page.goto(course.notebook_url(NOTEBOOK))
    nb.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    nb.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget")
    nb.wait_idle()
    widget = _widget(nb)
    widget.wait_for(timeout=30_000)
    offline = widget.locator(".kl-offline")
    offline.wait_for(state="visible", timeout=10_000)
    assert "Run this cell to load the exercise" in offline.inner_text()
    check = widget.get_by_role("button", name="Check")
    assert check.is_disabled()  # saved without its widget view: the HTML fallback
    assert "Run this cell to load the exercise" in (check.get_attribute("title") or "")
    nb.shot("08-reopened", widget)
    _no_page_errors(nb, real_errors)


def test_after_a_kernel_restart_the_buttons_are_off_and_say_why(nb, real_errors):
    show = nb.cell_index('exercise("01-deploy", "deploy")')
    nb.run_cells(0, 1)
    nb.run_cells(show, show + 1)  # loaded again: live
    widget = _widget(nb)
    widget.get_by_role("button", name="Check").wait_for(timeout=30_000)
    assert not widget.locator(".kl-offline").is_visible()
    nb.restart_kernel()
    offline = widget.locator(".kl-offline")
    offline.wait_for(state="visible", timeout=30_000)
    assert "Run this cell to load the exercise" in offline.inner_text()
    check = widget.get_by_role("button", name="Check")
    assert check.evaluate("b => getComputedStyle(b).pointerEvents") == "none"
    nb.shot("09-kernel-restarted", widget)
    print("\nconsole errors seen (expected ones included):", *nb.errors, sep="\n  ")
    _no_page_errors(nb, real_errors)
