"""`kubelab check` and `kubelab grade` against the fake API server, through kubelab.cli.main."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from checker_fakeapi import LABS

import checker
from kubelab.cli import main

SCHEMA = json.loads((Path(checker.__file__).parent / "report.schema.json").read_text())


@pytest.fixture
def lab_env(kubeconfig, monkeypatch):
    """The CLI finds the test labs and the lab kubeconfig (in KUBELAB_HOME) on its own."""
    monkeypatch.setenv("KUBELAB_LABS", str(LABS))
    return kubeconfig


def test_check_text_passes_and_exits_zero(healthy, lab_env, capsys):
    assert main(["check", "01-deploy"]) == 0
    out = capsys.readouterr().out
    assert "Lab 01-deploy: Deploy the inference service  [15/15 points" in out
    assert "[PASS] version: GET /version names the model the service serves." in out
    assert {r.method for r in healthy.requests} == {"GET"}


def test_check_one_exercise_by_lab_prefix(healthy, lab_env, capsys):
    assert main(["check", "01", "deploy", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    assert [e["id"] for e in data["labs"][0]["exercises"]] == ["deploy"]
    assert not any("/proxy/" in r.path for r in healthy.requests)  # expose's checks not run


def test_check_fails_with_exit_one_and_junit(broken, lab_env, capsys):
    # 02-scale's checks have `within: 0`, so a failing run does not wait for real
    assert main(["check", "02-scale", "--format", "junit"]) == 1
    root = ET.fromstring(capsys.readouterr().out)
    failed = root.findall("testsuite/testcase/failure/..")
    assert [c.get("name") for c in failed] == ["five-replicas"]


def test_check_text_failure_shows_the_message_and_errors(broken, lab_env, capsys):
    assert main(["check", "02-scale", "scale", "--labs-dir", str(LABS)]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] five-replicas: The Deployment inference-service asks for 5 replicas." in out
    assert "* spec.replicas: Invalid value: 2: Expected value: 5" in out


@pytest.mark.parametrize(
    "argv, words",
    [
        pytest.param(
            ["check", "99-nope"],
            "There is no lab '99-nope'. The labs are: 01-deploy, 02-scale.",
            id="lab",
        ),
        pytest.param(
            ["check", "01-deploy", "nope"], "Its exercises are: deploy, expose.", id="exercise"
        ),
        pytest.param(
            ["check", "01-deploy", "--format", "xml"], "use one of: text, json, junit", id="format"
        ),
    ],
)
def test_unknown_ids_list_the_valid_ones(healthy, lab_env, capsys, argv, words):
    assert main(argv) == 2
    assert words in capsys.readouterr().err.replace("\n", " ")
    assert healthy.requests == []  # refused before touching the cluster


def test_grade_writes_json_and_junit_reports(healthy, lab_env, tmp_path, capsys):
    out_json, out_xml = tmp_path / "r.json", tmp_path / "r.xml"
    code = main(["grade", "--json", str(out_json), "--junit", str(out_xml)])
    assert code == 1  # 02-scale wants 5 replicas; the healthy cluster has 3
    data = json.loads(out_json.read_text())
    jsonschema.validate(data, SCHEMA)
    assert (data["points"], data["maxPoints"]) == (15, 21)
    assert [s.get("name") for s in ET.parse(out_xml).getroot().findall("testsuite")] == [
        "01-deploy",
        "02-scale",
    ]
    out = capsys.readouterr().out
    assert "[PASS] 01-deploy" in out and "[FAIL] 02-scale" in out and "Total: 15/21" in out


def test_check_refuses_a_foreign_kubeconfig(healthy, lab_env, capsys):
    text = lab_env.read_text().replace("kubesim-kubelab", "prod")
    lab_env.write_text(text)
    assert main(["check", "01-deploy"]) == 3
    assert "Refusing to act" in capsys.readouterr().err
    assert healthy.requests == []


def test_check_without_a_cluster_says_run_up(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KUBELAB_LABS", str(LABS))
    assert main(["check", "01-deploy"]) == 5
    assert "kubelab up" in capsys.readouterr().err


def test_broken_lab_data_is_reported_with_file_and_line(tmp_path, kubeconfig, capsys):
    bad = tmp_path / "labs" / "01-bad"
    bad.mkdir(parents=True)
    (bad / "lab.yaml").write_text(
        "id: 01-bad\ntitle: x\nminutes: -1\nexercises: []\napiVersion: kubelab.dev/v1\nkind: Lab\n"
    )
    assert main(["check", "01-bad", "--labs-dir", str(tmp_path / "labs")]) == 2
    err = capsys.readouterr().err.replace("\n", "")
    assert "01-bad/lab.yaml:3: minutes: Input should be greater than 0" in err


def test_a_wait_is_announced_on_stderr_and_no_wait_skips_it(broken, lab_env, capsys):
    assert main(["check", "01-deploy", "deploy"]) == 1  # waits out a 2 s `within`
    err = capsys.readouterr().err.replace("\n", " ")
    assert "1 check is not passing yet; waiting up to 2s" in err
    assert "--no-wait grades the cluster as it is now" in err
    assert main(["check", "01-deploy", "deploy", "--no-wait"]) == 1
    assert capsys.readouterr().err == ""


def test_check_ignores_a_foreign_kubeconfig_in_the_environment(
    healthy, lab_env, tmp_path, monkeypatch, capsys
):
    """$KUBECONFIG and ~/.kube/config may point at a real cluster; the checker reads only
    the lab's own kubeconfig under KUBELAB_HOME."""
    foreign = tmp_path / "prod-kubeconfig"
    text = lab_env.read_text().replace("kubesim-kubelab", "prod")
    foreign.write_text(text.replace("127.0.0.1", "192.0.2.1"))  # TEST-NET: never reachable
    (Path.home() / ".kube").mkdir()
    (Path.home() / ".kube" / "config").write_text(foreign.read_text())
    monkeypatch.setenv("KUBECONFIG", str(foreign))
    before = foreign.read_text()
    assert main(["check", "01-deploy", "--no-wait"]) == 0
    assert "[PASS] deployment-available" in capsys.readouterr().out
    assert healthy.requests  # the lab's cluster answered
    assert foreign.read_text() == before


def test_verbose_text_adds_the_diff_that_compact_text_leaves_out(broken, lab_env, capsys):
    assert main(["check", "02-scale", "scale", "--labs-dir", str(LABS), "--no-wait"]) == 1
    compact = capsys.readouterr().out
    assert main(["check", "02-scale", "scale", "--labs-dir", str(LABS), "--no-wait", "-v"]) == 1
    verbose = capsys.readouterr().out
    assert len(verbose.splitlines()) > len(compact.splitlines())
    assert set(compact.splitlines()) <= set(verbose.splitlines()) | {""}
