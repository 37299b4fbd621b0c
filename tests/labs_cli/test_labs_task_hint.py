"""`kubelab task` and `kubelab hint`: the course from a terminal, hints one at a time."""

from __future__ import annotations

import json
from pathlib import Path

from _cli_fakes import FakeHost

from kubelab.cli import main


def test_task_prints_every_exercise_with_how_to_check_it(host: FakeHost, capsys):
    assert main(["task", "01-fixture"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Lab 01-fixture: A fixture lab  (5 min, namespace lab)")
    assert "Exercise deploy: Run the web Deployment  [5 points]" in out
    assert "  Apply the web Deployment." in out
    assert "Check your work: kubelab check 01-fixture deploy" in out
    assert "Exercise scale: Scale it" in out
    assert host.calls == []  # reads lab.yaml only, never the cluster


def test_task_of_one_exercise(host: FakeHost, capsys):
    assert main(["task", "01", "scale"]) == 0
    out = capsys.readouterr().out
    assert "Exercise scale" in out and "Exercise deploy" not in out


def test_hints_come_one_at_a_time_and_are_remembered(host: FakeHost, lab_home: Path, capsys):
    assert main(["hint", "01-fixture", "scale"]) == 0
    first = capsys.readouterr().out
    assert "(1 of 2)" in first and "  1. " in first and "  2. " not in first
    assert "Another: kubelab hint 01-fixture scale" in first

    assert main(["hint", "01-fixture", "scale"]) == 0
    second = capsys.readouterr().out
    assert "(2 of 2)" in second and "  1. " in second and "  2. " in second
    assert "That was the last hint." in second
    assert json.loads((lab_home / "hints.json").read_text()) == {"01-fixture/scale": 2}

    assert main(["hint", "01-fixture", "scale"]) == 0  # stays at the last one
    assert "(2 of 2)" in capsys.readouterr().out

    assert main(["hint", "01-fixture", "scale", "--reset"]) == 0
    assert json.loads((lab_home / "hints.json").read_text()) == {}
    assert host.calls == []


def test_hint_for_an_exercise_without_hints_says_where_the_task_is(host: FakeHost, capsys):
    assert main(["hint", "01-fixture", "deploy"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "has no hints" in err and "kubelab task 01-fixture deploy" in err


def test_hint_for_an_unknown_exercise_lists_the_exercises(host: FakeHost, capsys):
    assert main(["hint", "01-fixture", "nope"]) == 2
    assert "Its exercises are: deploy, scale." in " ".join(capsys.readouterr().err.split())
