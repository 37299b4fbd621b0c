"""The notebook widget: Check and Hint, progress remembered, plain text where widgets can't go."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from checker_fakeapi import LABS

from kubelab.notebook import exercise, progress


@pytest.fixture
def lab_env(kubeconfig, monkeypatch):
    monkeypatch.setenv("KUBELAB_LABS", str(LABS))
    return Path(os.environ["KUBELAB_HOME"])


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


def test_widget_buttons_check_and_reveal_hints(broken, lab_env):
    ex = exercise("02-scale", "scale")
    box = ex.widget()
    assert [b.description for b in box.children[2].children] == ["Check", "Hint"]
    assert box.hint_button.disabled  # 02-scale's exercise has no hints
    box.check_button.click()
    html = box.output.value
    assert "<b>five-replicas</b>" in html and "<details><summary>" in html
    assert "spec.replicas: Invalid value: 2: Expected value: 5" in html
    assert "0/6 points" in html


def test_widget_shows_a_cluster_problem_as_a_paragraph(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBELAB_LABS", str(LABS))
    box = exercise("02-scale", "scale").widget()
    box.check_button.click()
    assert "kubelab up" in box.output.value and "Traceback" not in box.output.value


def test_unknown_exercise_in_a_notebook_lists_the_valid_ones(lab_env):
    from kubelab._errors import UsageError

    with pytest.raises(UsageError, match="Its exercises are: deploy, expose"):
        exercise("01-deploy", "nope")


def test_the_hint_button_reveals_the_next_hint_then_disables_itself(lab_env):
    box = exercise("01-deploy", "deploy").widget()
    assert not box.hint_button.disabled and box.hints.value == ""
    box.hint_button.click()
    assert "<b>Hint 1:</b> `kubectl create deployment --help`" in box.hints.value
    assert "Hint 2" not in box.hints.value and not box.hint_button.disabled
    box.hint_button.click()
    assert "<b>Hint 2:</b> Limits live under" in box.hints.value
    assert box.hint_button.disabled
    assert exercise("01-deploy", "deploy").hints_shown == 2  # remembered for the next kernel
