"""`kubelab check` and `kubelab grade` on the simulator, in every output format: a lab whose
checks fail before its solution (exit 1) and pass after it (exit 0)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "checker" / "report.schema.json").read_text())


def _check_all_formats(cluster: Any, *, passed: bool) -> None:
    code = 0 if passed else 1
    # a failing lab is graded as it stands: waiting out every `within` (a minute or more per
    # format) would prove nothing more
    wait = [] if passed else ["--no-wait"]
    text = cluster.run("kubelab", "check", "01-deploy", *wait, check=False)
    assert text.returncode == code, text.stdout + text.stderr
    assert ("[FAIL]" in text.stdout) is not passed
    assert "Lab 01-deploy" in text.stdout

    as_json = cluster.run("kubelab", "check", "01-deploy", "--format", "json", *wait, check=False)
    assert as_json.returncode == code
    report = json.loads(as_json.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["passed"] is passed

    junit = cluster.run("kubelab", "check", "01-deploy", "--format", "junit", *wait, check=False)
    assert junit.returncode == code
    suites = ET.fromstring(junit.stdout)
    cases = suites.findall(".//testcase")
    assert cases and all(c.get("classname", "").startswith("01-deploy.") for c in cases)
    assert bool(suites.findall(".//failure")) is not passed


def _grade(cluster: Any, out: Path) -> tuple[int, dict, ET.Element]:
    """`kubelab grade` as CI runs it; (exit code, JSON report, JUnit root)."""
    out.mkdir(exist_ok=True)
    graded = cluster.run(
        "kubelab",
        "grade",
        "--no-wait",
        "--json",
        str(out / "grade.json"),
        "--junit",
        str(out / "grade.xml"),
        check=False,
    )
    report = json.loads((out / "grade.json").read_text())
    jsonschema.validate(report, SCHEMA)
    return graded.returncode, report, ET.parse(out / "grade.xml").getroot()


def _points(element: ET.Element) -> tuple[int, int]:
    props = {p.get("name"): p.get("value") for p in element.findall("./properties/property")}
    return int(props["points"] or 0), int(props["maxPoints"] or 0)


def test_check_and_grade_speak_text_json_and_junit_on_the_simulator(
    lab_cluster: Any, tmp_path: Path
):
    lab_cluster.run("kubelab", "reset", "01-deploy", "--yes")
    _check_all_formats(lab_cluster, passed=False)
    code, report, junit = _grade(lab_cluster, tmp_path / "before")
    labs = {lab["id"]: lab for lab in report["labs"]}
    assert code == 1 and not report["passed"]
    assert (
        not labs["01-deploy"]["passed"]
        and labs["01-deploy"]["points"] < labs["01-deploy"]["maxPoints"]
    )
    points_before = report["points"]

    lab_cluster.run("kubelab", "solve", "01-deploy")
    _check_all_formats(lab_cluster, passed=True)
    code, report, junit = _grade(lab_cluster, tmp_path / "after")
    labs = {lab["id"]: lab for lab in report["labs"]}
    # the other labs pass or not as earlier tests on this cluster left them; the exit code
    # follows the whole report
    assert code == (0 if report["passed"] else 1)
    assert report["passed"] is all(lab["passed"] for lab in report["labs"])
    deploy = labs["01-deploy"]
    assert deploy["passed"] and deploy["points"] == deploy["maxPoints"] > 0
    assert report["points"] > points_before
    assert report["points"] == sum(lab["points"] for lab in report["labs"])

    suites = {s.get("name"): s for s in junit.findall("testsuite")}
    assert set(suites) == set(labs)
    suite = suites["01-deploy"]
    cases = suite.findall("testcase")
    wanted = [(f"01-deploy.{e['id']}", c["name"]) for e in deploy["exercises"] for c in e["checks"]]
    assert [(c.get("classname"), c.get("name")) for c in cases] == wanted
    assert not suite.findall(".//failure") and suite.get("failures") == "0"
    assert _points(suite) == (deploy["points"], deploy["maxPoints"])
    assert sum(_points(c)[0] for c in cases) == deploy["points"]
    assert all(_points(c)[0] == _points(c)[1] for c in cases)
