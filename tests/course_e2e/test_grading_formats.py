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


def test_check_and_grade_speak_text_json_and_junit_on_the_simulator(
    lab_cluster: Any, tmp_path: Path
):
    lab_cluster.run("kubelab", "reset", "01-deploy", "--yes")
    _check_all_formats(lab_cluster, passed=False)

    lab_cluster.run("kubelab", "solve", "01-deploy")
    _check_all_formats(lab_cluster, passed=True)

    out_json, out_xml = tmp_path / "grade.json", tmp_path / "grade.xml"
    graded = lab_cluster.run(
        "kubelab",
        "grade",
        "--no-wait",
        "--json",
        str(out_json),
        "--junit",
        str(out_xml),
        check=False,
    )
    assert graded.returncode in (0, 1), graded.stderr
    report = json.loads(out_json.read_text())
    jsonschema.validate(report, SCHEMA)
    labs = {lab["id"]: lab for lab in report["labs"]}
    assert (
        labs["01-deploy"]["passed"]
        and labs["01-deploy"]["points"] == labs["01-deploy"]["maxPoints"]
    )
    suites = ET.parse(out_xml).getroot()
    assert {s.get("name") for s in suites.findall("testsuite")} == set(labs)
