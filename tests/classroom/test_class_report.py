"""`kubelab class-report`: many `kubelab grade --json` reports -> one rich table and a CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from kubelab.cli import main


def report(points: dict[str, tuple[int, int]]) -> dict:
    """A grade report of the schema's shape (checker/report.schema.json), lab points only."""
    labs = [
        {"id": lab, "title": lab, "passed": p == m, "points": p, "maxPoints": m, "exercises": []}
        for lab, (p, m) in points.items()
    ]
    total = sum(p for p, _ in points.values())
    top = sum(m for _, m in points.values())
    return {
        "schemaVersion": 1, "generatedAt": "2026-12-05T00:00:00Z", "server": "https://x",
        "seconds": 1.0, "passed": total == top, "points": total, "maxPoints": top, "labs": labs,
    }  # fmt: skip


@pytest.fixture
def graded(tmp_path: Path) -> Path:
    """Reports as an instructor collects them: one artifact folder per learner, and a file."""
    root = tmp_path / "grades"
    for name, points in {
        "alice": {"01-deploy": (10, 10), "02-expose": (35, 35)},
        "bob": {"01-deploy": (10, 10), "02-expose": (15, 35)},
    }.items():
        (root / name).mkdir(parents=True)
        (root / name / "kubelab-grade.json").write_text(json.dumps(report(points)))
    (tmp_path / "carol.json").write_text(json.dumps(report({"01-deploy": (0, 10)})))
    return tmp_path


def test_one_row_per_learner_printed_and_in_the_csv(graded: Path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = graded / "class.csv"
    argv = ["class-report", str(graded / "grades"), str(graded / "carol.json"), "--csv", str(out)]
    assert main(argv) == 0
    rows = list(csv.reader(out.open()))
    assert rows == [
        ["learner", "01-deploy", "02-expose", "total", "max", "percent"],
        ["alice", "10/10", "35/35", "45", "45", "100%"],
        ["bob", "10/10", "15/35", "25", "45", "56%"],
        ["carol", "0/10", "", "0", "10", "0%"],
    ]
    printed = capsys.readouterr().out
    assert "class report: 3 learner(s)" in printed
    assert "bob" in printed and "15/35" in printed and "average: 23.3 points" in printed


@pytest.mark.parametrize(
    "content, words",
    [
        pytest.param("{", "carol.json (", id="not-json"),
        pytest.param('{"points": 1}', "no `labs` list", id="not-a-report"),
    ],
)
def test_a_file_that_is_not_a_report_is_named(graded: Path, capsys, content, words):
    (graded / "carol.json").write_text(content)
    assert main(["class-report", str(graded / "carol.json"), "--csv", str(graded / "c.csv")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error:") and words in err and "Traceback" not in err


def test_two_reports_of_one_learner_are_refused(graded: Path, capsys):
    (graded / "alice.json").write_text(json.dumps(report({"01-deploy": (1, 10)})))
    argv = ["class-report", str(graded / "grades"), str(graded / "alice.json")]
    assert main([*argv, "--csv", str(graded / "c.csv")]) == 2
    assert "same learner (alice)" in " ".join(capsys.readouterr().err.split())


def test_an_empty_folder_says_what_to_pass(tmp_path: Path, capsys):
    assert main(["class-report", str(tmp_path), "--csv", str(tmp_path / "c.csv")]) == 2
    assert "No reports found" in capsys.readouterr().err
