"""The notebook widget: Check and Hint, progress remembered, plain text where widgets can't go."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
from checker_fakeapi import DATA, HEALTHY_PROXY, LABS

from kubelab import _widget_exercise
from kubelab.notebook import exercise, progress


@pytest.fixture
def lab_env(kubeconfig, monkeypatch):
    monkeypatch.setenv("KUBELAB_LABS", str(LABS))
    return Path(os.environ["KUBELAB_HOME"])


@pytest.fixture
def healthy_later(fake_api):
    """The learner fixes the cluster while a check waits: healthy objects after `delay`."""
    timers = []

    def schedule(delay: float) -> None:
        def fix() -> None:
            fake_api.load(DATA / "healthy.yaml")
            fake_api.proxy.update(HEALTHY_PROXY)

        timers.append(threading.Timer(delay, fix))
        timers[-1].start()

    yield schedule
    for timer in timers:
        timer.cancel()


def test_check_prints_pass_fail_per_check_and_records_progress(healthy, lab_env, capsys):
    result = exercise("01-deploy", "deploy").check()
    out = capsys.readouterr().out
    assert result.passed
    assert "[PASS] deployment-available: The Deployment inference-service runs 3 replicas" in out
    assert "Lab 01-deploy: Deploy the inference service: 10/15 points, 1/2 exercises passed" in out
    saved = json.loads((lab_env / "progress.json").read_text())
    assert saved["labs"]["01-deploy"]["exercises"]["deploy"]["passed"] is True
    assert "[PASS] deploy" in repr(progress("01"))


def test_a_failed_check_is_recorded_as_not_passed(broken, lab_env, capsys):
    result = exercise("02-scale", "scale").check()
    assert not result.passed
    assert "* spec.replicas: Invalid value: 2: Expected value: 5" in capsys.readouterr().out
    assert "[FAIL] scale: Scale to five (6 points)" in repr(progress("02-scale"))


def test_hints_are_revealed_one_at_a_time_and_remembered(lab_env, capsys):
    first = exercise("01-deploy", "deploy")
    assert first.hint() == "`kubectl create deployment --help` shows how to set the replica count."
    assert capsys.readouterr().out.startswith("Hint 1/2: ")
    again = exercise("01-deploy", "deploy")  # a new kernel, the same progress file
    assert again.hints_shown == 1
    assert again.hint() == "Limits live under `spec.template.spec.containers[].resources.limits`."
    assert again.hint() is None
    assert capsys.readouterr().out.splitlines()[-1] == "No more hints."
    assert "Hint 2: Limits live under" in repr(again)


def test_plain_text_form_shows_task_points_and_progress(lab_env):
    text = repr(exercise("01-deploy", "expose"))
    assert (
        text.splitlines()[0] == "Exercise expose: Expose it with a Service  [5 points, not checked]"
    )
    assert "Create a Service `inference` on port 8080" in text
    assert "Run .check() to grade, .hint() for a hint (0/1 shown)." in text
    bundle = exercise("01-deploy", "expose")._repr_mimebundle_()
    assert bundle["text/plain"] == text


def _settle(box, timeout: float = 10.0) -> str:
    """The Check button grades in the background: wait until the card replaces the countdown."""
    deadline = time.monotonic() + timeout
    while box.check_button.disabled and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not box.check_button.disabled, "the check did not finish"
    return box.output.value


def test_widget_buttons_check_and_reveal_hints(broken, lab_env):
    ex = exercise("02-scale", "scale")
    box = ex.widget()
    assert [b.description for b in box.children[2].children] == ["Check", "Stop", "Hint"]
    assert box.hint_button.disabled  # 02-scale's exercise has no hints
    assert box.hint_button.tooltip == "This exercise has no hints"
    box.check_button.click()
    html = _settle(box)
    assert "<b>five-replicas</b>" in html and "What the checker saw" in html
    assert "spec.replicas: Invalid value: 2: Expected value: 5" in html
    assert "0/6 points" in html
    assert 'class="kl-badge kl-failed">\u2717 FAIL</span>' in html


def test_widget_shows_a_cluster_problem_as_a_paragraph(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBELAB_LABS", str(LABS))
    box = exercise("02-scale", "scale").widget()
    box.check_button.click()
    html = _settle(box)
    assert "kubelab up" in html and "Traceback" not in html
    assert 'class="kl-badge kl-error">! ERROR</span>' in html


def test_unknown_exercise_in_a_notebook_lists_the_valid_ones(lab_env):
    from kubelab._errors import UsageError

    with pytest.raises(UsageError, match="Its exercises are: deploy, expose"):
        exercise("01-deploy", "nope")


def test_the_hint_button_reveals_the_next_hint_then_disables_itself(lab_env):
    box = exercise("01-deploy", "deploy").widget()
    assert not box.hint_button.disabled and box.hints.value == ""
    box.hint_button.click()
    assert "<b>Hint 1/2:</b> <span class='kl-check-message'><code>kubectl create" in box.hints.value
    assert "Hint 2" not in box.hints.value and not box.hint_button.disabled
    box.hint_button.click()
    assert "<b>Hint 2/2:</b> <span class='kl-check-message'>Limits live under" in box.hints.value
    assert box.hint_button.disabled
    assert exercise("01-deploy", "deploy").hints_shown == 2  # remembered for the next kernel


# -- a check never blocks silently --------------------------------------------------------

EMOJI = {"\u2705", "\u274c", "\U0001f4a1"}  # what the old card used: empty boxes without a font


def _slow(ex, seconds: float = 60.0):
    """The same exercise, but every check may wait `seconds` (a rollout-sized `within`)."""
    checks = [c.model_copy(update={"within": seconds}) for c in ex.exercise.checks]
    ex.exercise = ex.exercise.model_copy(update={"checks": checks})
    return ex


def test_the_check_button_returns_at_once_and_counts_down_what_it_waits_for(broken, lab_env):
    box = _slow(exercise("01-deploy", "deploy")).widget()
    clicked = time.monotonic()
    box.check_button.click()
    assert time.monotonic() - clicked < 0.5  # the kernel is free again
    assert box.check_button.disabled and box.stop_button.layout.display == ""
    deadline = time.monotonic() + 1.0
    while "Waiting for" not in box.output.value and time.monotonic() < deadline:
        time.sleep(0.02)
    first = box.output.value
    assert "Waiting for 2 checks to pass, up to" in first, first
    assert "<b>Stop</b> ends the wait" in first
    time.sleep(1.3)
    assert box.output.value != first  # the countdown moved on, in place
    stopped = time.monotonic()
    box.stop_button.click()
    html = _settle(box, timeout=3)
    assert time.monotonic() - stopped < 1.5
    assert "Stopped before every check's wait ran out" in html
    assert "0/10 points" in html and box.stop_button.layout.display == "none"


def test_the_card_changes_when_the_run_does_not_a_tick_later(broken, lab_env, monkeypatch):
    """The countdown shows as soon as the first pass is graded, and the result as soon as
    the run ends: with a 30 s tick, both still come at once."""
    monkeypatch.setattr(_widget_exercise, "TICK", 30.0)
    box = _slow(exercise("01-deploy", "deploy")).widget()
    box.check_button.click()
    deadline = time.monotonic() + 5.0
    while "Waiting for" not in box.output.value and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "Waiting for 2 checks to pass, up to" in box.output.value
    stopped = time.monotonic()
    box.stop_button.click()
    html = _settle(box, timeout=5)
    assert time.monotonic() - stopped < 3.0
    assert "0/10 points" in html


def test_each_check_ticks_as_it_passes_while_the_others_wait(broken, healthy_later, lab_env):
    box = _slow(exercise("01-deploy", "deploy"), seconds=20).widget()
    box.check_button.click()
    healthy_later(0.6)
    html = _settle(box, timeout=10)
    assert 'kl-badge kl-passed">\u2713 PASS</span><b>deployment-available</b>' in html
    assert "10/10 points" in html


def test_the_card_is_readable_without_colour_or_an_emoji_font(broken, lab_env):
    box = exercise("02-scale", "scale").widget()
    box.check_button.click()
    html = _settle(box)
    assert not EMOJI & set(html) and not any(ord(ch) >= 0x1F000 for ch in html)
    assert "FAIL</span>" in html and "#c62828" in html  # a word and a colour
    assert "line-height:1.45" in html  # not the widget's 28 px
    assert html.count("<details class='kl-evidence'>") <= 1  # evidence once per exercise


def test_evidence_is_shown_once_however_many_checks_share_it(broken, lab_env):
    card = _slow(exercise("01-deploy", "deploy"), seconds=0).run()
    from kubelab._widget_card import card_html

    html = card_html(card)
    failing = [c for c in card.checks if not c.passed]
    assert len(failing) == 2
    pieces = {(e.title, e.command) for c in failing for e in c.evidence}
    assert pieces, "the broken fixture has events for the checker to show"
    assert html.count("<details class='kl-evidence'>") == 1
    for _title, command in pieces:
        assert html.count(f"$ <code>{command}</code>") == 1, command


def test_check_in_a_cell_returns_a_compact_card(broken, lab_env, capsys):
    result = exercise("02-scale", "scale").check()
    capsys.readouterr()
    text = repr(result)
    assert len(text.splitlines()) <= 6, text
    assert text.splitlines()[0] == "FAIL Scale to five: 0/6 points (1/2 checks pass)"
    assert "[FAIL] five-replicas: The Deployment inference-service asks for 5 replicas." in text
    assert not result.passed and result.points == 0  # the ExerciseResult's fields
    assert "kl-card kl-failed" in result._repr_html_()
    assert "* spec.replicas: Invalid value: 2" in result.details()


def test_a_passing_check_in_a_cell_updates_every_progress_block(healthy, lab_env, capsys):
    box = exercise("01-deploy", "deploy").widget()
    assert "0/15 points" in box.status.value
    exercise("01-deploy", "deploy").check()  # another cell, another object
    assert "10/15 points" in box.status.value
    assert "10/10 points" in box.output.value  # and the widget shows the card


def test_check_in_a_terminal_says_what_it_waits_for(broken, healthy_later, lab_env, capsys):
    healthy_later(0.6)
    result = _slow(exercise("01-deploy", "deploy"), seconds=20).check()
    out = capsys.readouterr().out
    assert result.passed
    assert out.startswith("Waiting up to 20s for deployment-available, no-crashloop")
    assert "Ctrl-C stops." in out and "  [PASS] deployment-available" in out


def test_ctrl_c_during_check_stops_the_run_and_says_so_in_one_line(broken, lab_env, monkeypatch):
    from kubelab._widget_run import CheckRun
    from kubelab.notebook import CheckInterrupted

    runs = []
    real_wait = CheckRun.wait

    def interrupted(self, timeout=None):
        runs.append(self)
        if len(runs) == 2:  # the user presses Ctrl-C while the checks wait
            raise KeyboardInterrupt
        return real_wait(self, timeout)

    monkeypatch.setattr(CheckRun, "wait", interrupted)
    ex = _slow(exercise("01-deploy", "deploy"))
    started = time.monotonic()
    with pytest.raises(CheckInterrupted, match=r"^Check of 'deploy' stopped after \ds; run"):
        ex.check()
    assert time.monotonic() - started < 5
    assert runs[0].stopped and runs[0].done  # no thread keeps polling the cluster


def test_a_stop_before_a_wait_begins_ends_that_wait_at_once(broken, lab_env):
    """Ctrl-C between the first pass and a check's retry thread: the thread's clock is
    already stopped when the checker reads its start, and its deadlines must still be past."""
    from kubelab._widget_run import CheckRun

    ex = _slow(exercise("01-deploy", "deploy"))

    def stop_once_waiting(run):
        if run.waiting() and not run.stopped:
            run.stop()  # called after the first pass, before the retry threads start

    run = CheckRun(ex.lab, ex.exercise, ex._client_factory, on_change=stop_once_waiting)
    started = time.monotonic()
    assert run.start().wait(4), "the stopped run kept polling the cluster"
    assert time.monotonic() - started < 2
    assert run.error is None and run.result is not None
    assert {s.status for s in run.states} == {"stopped"}
    assert all(not c.passed for c in run.result.checks)


def test_an_interrupted_check_shows_one_line_in_ipython(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    from kubelab._widget_exercise import _one_paragraph
    from kubelab.notebook import CheckInterrupted

    shell = InteractiveShell.instance()
    try:
        shell.set_custom_exc((CheckInterrupted,), _one_paragraph)
        shell.user_ns["CheckInterrupted"] = CheckInterrupted
        result = shell.run_cell("raise CheckInterrupted('Check of deploy stopped after 3s')")
    finally:
        InteractiveShell.clear_instance()
    out = capsys.readouterr()
    assert result.error_in_exec is not None  # "run all" stops here, as after any interrupt
    assert (out.out + out.err).strip() == "CheckInterrupted: Check of deploy stopped after 3s"


# -- widgets without a kernel ------------------------------------------------------------


def test_a_widget_says_what_to_do_when_its_kernel_is_gone(lab_env):
    ex = exercise("01-deploy", "deploy")
    box = ex.widget()
    assert "kubelab-exercise" in box._dom_classes
    title = box.children[0].value
    assert ".kubelab-exercise.jupyter-widgets-disconnected .kl-offline{display:block" in title
    assert "Run this cell to load the exercise." in title
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    static = bundle["text/html"]  # what a saved notebook shows, reopened without a kernel
    assert "Run this cell to load the exercise." in static
    assert "class='kubelab-exercise kl-static'" in static
    assert static.count("disabled title='Run this cell to load the exercise") == 2
    assert bundle["text/plain"].startswith("Exercise deploy: Run three replicas")


# -- the live cluster view: pure rendering ---------------------------------------------------


def _pod(phase="Running", *, ready=True, node="worker", waiting=None, restarts=0, **meta):
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {
        "metadata": {"name": "web-1", **meta},
        "spec": {"nodeName": node, "containers": [{"name": "c"}]},
        "status": {
            "phase": phase,
            "containerStatuses": [{"ready": ready, "restartCount": restarts, "state": state}],
        },
    }


@pytest.mark.parametrize(
    "pod, css, words",
    [
        pytest.param(_pod(), "kl-ready", "Running 1/1", id="running-ready"),
        pytest.param(_pod(ready=False), "kl-starting", "Running, Ready 0/1", id="not-ready"),
        pytest.param(
            _pod("Pending", node=None), "kl-pending", "Pending (unscheduled)", id="unscheduled"
        ),
        pytest.param(
            _pod(ready=False, waiting="CrashLoopBackOff", restarts=4),
            "kl-bad",
            "CrashLoopBackOff",
            id="crashloop",
        ),
        pytest.param(
            _pod(deletionTimestamp="2026-12-05T00:00:00Z"),
            "kl-terminating",
            "Terminating",
            id="terminating",
        ),
        pytest.param(_pod("Succeeded", ready=False), "kl-done", "Completed", id="completed"),
    ],
)
def test_a_pod_chip_says_its_state_in_words_and_colour(pod, css, words):
    from kubelab._widget_live import pod_chip, pod_state

    assert pod_state(pod) == (css, words)
    assert f"kl-pod {css}" in pod_chip(pod) and words in pod_chip(pod)


def test_nodes_are_boxes_holding_their_pods_with_restart_counts():
    from kubelab._widget_live import view_html

    nodes = [
        {
            "metadata": {"name": "worker"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        },
        {"metadata": {"name": "worker2"}, "spec": {"unschedulable": True}, "status": {}},
    ]
    page = view_html(nodes, [_pod(restarts=3), _pod("Pending", node=None)], namespace="lab-03")
    worker, worker2 = re.split(r"<div class='kl-node[ ']", page)[1:3]
    assert "web-1 &middot; Running 1/1, 3 restarts" in worker
    assert "NotReady, SchedulingDisabled" in worker2 and "kl-notready kl-cordoned" in worker2
    assert "not scheduled" in page and "Pods in namespace <b>lab-03</b>" in page
