"""Reporters: JSON against its schema, JUnit by structure, text for people and for rich."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

import checker
from checker import grade, plain_text, render_text, run_exercise, to_json, to_junit
from checker._report import point_shares

SCHEMA = json.loads((Path(checker.__file__).parent / "report.schema.json").read_text())


@pytest.fixture(params=["healthy", "broken"])
def report(request, client, labs, clock):
    request.getfixturevalue(request.param)
    return grade(client, labs, clock=clock)


def test_json_report_follows_its_schema(report):
    data = to_json(report)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(json.loads(json.dumps(data)), SCHEMA)
    assert data["maxPoints"] == 21 and [lab["id"] for lab in data["labs"]] == [
        "01-deploy",
        "02-scale",
    ]


def test_json_totals_add_up_per_exercise_and_lab(healthy, client, labs, clock):
    data = to_json(grade(client, labs, clock=clock))
    # healthy: lab 01 passes (15); lab 02 wants 5 replicas and has 3 (0 of 6)
    assert [(lab["points"], lab["maxPoints"]) for lab in data["labs"]] == [(15, 15), (0, 6)]
    assert (data["points"], data["passed"]) == (15, False)


def test_junit_has_a_suite_per_lab_and_a_case_per_check(report):
    root = ET.fromstring(to_junit(report))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["01-deploy", "02-scale"]
    cases = suites[0].findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("01-deploy.deploy", "deployment-available"),
        ("01-deploy.deploy", "no-crashloop"),
        ("01-deploy.expose", "service-endpoints"),
        ("01-deploy.expose", "healthz"),
        ("01-deploy.expose", "version"),
    ]
    for suite, lab in zip(suites, report.labs, strict=True):
        case_max = [
            int(p.get("value", "-1"))
            for c in suite.findall("testcase")
            for p in c.findall("properties/property[@name='maxPoints']")
        ]
        assert sum(case_max) == lab.max_points
        failures = suite.findall("testcase/failure")
        assert int(suite.get("failures", "-1")) == len(failures)
        assert int(suite.get("tests", "-1")) == len(suite.findall("testcase"))
    assert int(root.get("tests", "-1")) == 7


def test_junit_failure_carries_message_and_field_errors(broken, client, labs, clock):
    root = ET.fromstring(to_junit(grade(client, labs, clock=clock)))
    case = root.find("testsuite/testcase[@name='deployment-available']")
    assert case is not None
    failure, points = case.find("failure"), case.find("properties/property[@name='points']")
    assert failure is not None and points is not None
    assert failure.get("message", "").startswith("The Deployment inference-service runs 3 replicas")
    assert "* spec.replicas: Invalid value: 2: Expected value: 3" in (failure.text or "")
    assert points.get("value") == "0"


@pytest.mark.parametrize(
    "points, checks, shares", [(10, 3, [4, 3, 3]), (5, 1, [5]), (0, 2, [0, 0])]
)
def test_exercise_points_are_shared_out_over_checks(points, checks, shares):
    assert point_shares(points, checks) == shares


def test_text_report_shows_pass_fail_message_errors_diff_and_evidence(broken, client, labs, clock):
    result = run_exercise(client, labs["01-deploy"], "deploy", clock=clock)
    text = plain_text(result)
    lines = text.splitlines()
    assert lines[0] == "Exercise deploy: Run three replicas  [0/10 points]"
    assert lines[1].startswith("  [FAIL] deployment-available: The Deployment inference-service")
    assert "      apps/v1/Deployment/lab/inference-service" in lines
    assert "      * spec.replicas: Invalid value: 2: Expected value: 3" in lines
    assert "      +  replicas: 2" in lines
    assert any(
        "$ kubectl logs inference-service-7f6b-x -c inference -n lab --previous" in x for x in lines
    )
    assert str(render_text(result, verbose=True)) == text


def test_rich_rendering_keeps_the_words(healthy, client, labs, clock):
    result = run_exercise(client, labs["01-deploy"], "deploy", clock=clock)
    console = Console(record=True, width=200, color_system="truecolor")
    console.print(render_text(result))
    assert "[PASS] deployment-available" in console.export_text(clear=False)
    assert "\x1b[" in console.export_text(styles=True)
