"""`kubelab assignment replay` and `points`: what runs, in which folder, on which cluster;
what is refused; the points as GitHub Classroom's reporter reads them."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, fail, write_kubeconfig

from kubelab._replay import ReplayError, classroom_points, parse_commands
from kubelab.cli import main


@pytest.fixture
def assignment(tmp_path: Path) -> Path:
    out = tmp_path / "assignment"
    assert main(["assignment", "build", str(out), "--labs", "01,02", "--backend", "sim"]) == 0
    return out


def test_replay_resets_each_lab_then_runs_its_lines_in_its_work_folder(
    host: FakeHost, lab_home: Path, assignment: Path
):
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:6443")
    work = assignment / "work"
    (work / "01-deploy" / "commands.txt").write_text(
        "# my session\n!kubectl apply -f deployment.yaml\n\n"
        "kubectl rollout status deployment/inference-service --timeout=120s  # wait\n"
    )
    (work / "02-expose" / "commands.txt").write_text("kubelab break crashloop --lab 06\n")

    assert main(["assignment", "replay", str(assignment)]) == 0

    run = [c for c in host.calls if c.kind == "run"]
    python = [sys.executable, "-m", "kubelab"]
    assert [(c.argv[:3] if c.argv[:3] == python else c.line, c.cwd) for c in run] == [
        (python, work / "01-deploy"),
        ("kubectl apply -f deployment.yaml", work / "01-deploy"),
        ("kubectl rollout status deployment/inference-service --timeout=120s", work / "01-deploy"),
        (python, work / "02-expose"),
        (python, work / "02-expose"),
    ]
    assert run[0].argv[3:] == ["reset", "01-deploy", "--yes"]
    assert run[4].argv[3:] == ["break", "crashloop", "--lab", "06"]
    for call in run:
        assert call.env is not None
        assert call.env["KUBECONFIG"] == str(lab_home / "kubeconfig")
        assert call.env["KUBELAB_HOME"] == str(lab_home)
        assert call.env["KUBELAB_LABS"] == str(assignment / "labs")


def test_a_failing_student_command_does_not_stop_the_replay(
    host: FakeHost, lab_home: Path, assignment: Path, capsys
):
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:6443")
    (assignment / "work" / "01-deploy" / "commands.txt").write_text(
        "kubectl apply -f missing.yaml\nkubectl get pods\n"
    )
    host.rules["kubectl apply -f missing.yaml"] = fail("error: the path does not exist")
    assert main(["assignment", "replay", str(assignment)]) == 0
    out = capsys.readouterr().out
    assert "(exit 1; the replay goes on" in out and "$ kubectl get pods" in out


def test_a_bad_line_is_refused_before_anything_runs(
    host: FakeHost, lab_home: Path, assignment: Path, capsys
):
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:6443")
    (assignment / "work" / "02-expose" / "commands.txt").write_text("kubelab solve 02-expose\n")
    assert main(["assignment", "replay", str(assignment)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "work/02-expose/commands.txt:1" in err and "reference solution" in err
    assert host.calls == []


def test_replay_refuses_a_foreign_cluster(host: FakeHost, lab_home: Path, assignment: Path):
    write_kubeconfig(lab_home / "kubeconfig", "prod", "https://10.0.0.1:6443")
    assert main(["assignment", "replay", str(assignment)]) == 3
    assert host.calls == []


def test_replay_outside_an_assignment_says_where_to_run_it(
    host: FakeHost, lab_home: Path, tmp_path: Path, capsys
):
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:6443")
    assert main(["assignment", "replay", str(tmp_path)]) == 2
    assert "kubelab-assignment.yaml does not exist" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    "line, words",
    [
        pytest.param("kubelab solve 01-deploy", "reference solution", id="solve"),
        pytest.param("kubectl get pods -w", "never ends", id="watch"),
        pytest.param("kubectl logs -f job/dns-check", "never ends", id="follow"),
        pytest.param("kubectl port-forward svc/x 8080", "never ends", id="port-forward"),
        pytest.param("kubectl get pods | grep x", "no shell", id="pipe"),
        pytest.param("kubectl apply -f a.yaml && kubectl get pods", "no shell", id="and"),
        pytest.param("curl http://x", "only `kubectl` and `kubelab`", id="other-program"),
        pytest.param("kubelab up", "only break, reset, check", id="kubelab-up"),
        pytest.param("kubectl get pods 'unclosed", "quoting", id="quoting"),
        pytest.param(
            "kubectl --kubeconfig /home/me/.kube/config delete ns prod",
            "lab's own cluster",
            id="other-kubeconfig",
        ),
        pytest.param(
            "kubectl delete ns prod --context=production", "lab's own cluster", id="other-context"
        ),
        pytest.param("kubectl exec -it deploy/inference-service -- sh", "keyboard", id="exec-it"),
        pytest.param("kubectl run tmp -i --image busybox -- sh", "keyboard", id="run-i"),
    ],
)
def test_lines_the_replay_refuses(line, words):
    with pytest.raises(ReplayError) as caught:
        parse_commands(f"# ok\n{line}\n", origin="work/01-deploy/commands.txt")
    assert f"work/01-deploy/commands.txt:2 (`{line}`)" in str(caught.value)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "line, argv",
    [
        pytest.param("!kubectl apply -f d.yaml", ("kubectl", "apply", "-f", "d.yaml"), id="bang"),
        pytest.param(
            "kubectl annotate deploy/x a='b c'", ("kubectl", "annotate", "deploy/x", "a=b c"),
            id="quoted",
        ),
        pytest.param("kubectl wait --for=condition=Ready pod -l app=x", None, id="wait-ends"),
        pytest.param("kubelab reset 01-deploy --yes", None, id="reset"),
        pytest.param("kubectl exec deploy/inference-service -- env", None, id="exec-no-tty"),
    ],
)  # fmt: skip
def test_lines_the_replay_runs(line, argv):
    [command] = parse_commands(line, origin="c")
    assert command.argv == (argv or tuple(line.split()))


REPORT = {
    "passed": False,
    "points": 10,
    "maxPoints": 35,
    "seconds": 12.5,
    "labs": [
        {
            "id": "01-deploy",
            "exercises": [
                {"id": "deploy", "title": "Run", "passed": True, "points": 10, "maxPoints": 10,
                 "checks": [{"passed": True, "message": "m0"}]},
            ],
        },
        {
            "id": "02-expose",
            "exercises": [
                {"id": "service", "title": "Svc", "passed": False, "points": 0, "maxPoints": 25,
                 "checks": [{"passed": False, "message": "Make a Service."},
                            {"passed": True, "message": "m2"}]},
            ],
        },
    ],
}  # fmt: skip


def test_points_are_the_reporters_shape_one_test_per_exercise():
    points = classroom_points(REPORT)
    assert points["version"] == 1 and points["status"] == "fail" and points["max_score"] == 35
    assert [(t["name"], t["status"], t["score"]) for t in points["tests"]] == [
        ("01-deploy / deploy: Run", "pass", 10),
        ("02-expose / service: Svc", "fail", 0),
    ]
    assert points["tests"][1]["message"] == "Make a Service."


def test_points_command_writes_the_file_and_the_step_output(tmp_path: Path, monkeypatch):
    report = tmp_path / "grade.json"
    report.write_text(json.dumps(REPORT))
    output = tmp_path / "github-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert main(["assignment", "points", str(report), "--out", str(tmp_path / "p.json")]) == 0
    written = json.loads((tmp_path / "p.json").read_text())
    key, value = output.read_text().strip().split("=", 1)
    assert key == "result"
    assert json.loads(base64.b64decode(value)) == written == classroom_points(REPORT)


@pytest.mark.parametrize(
    "content, words",
    [
        pytest.param(None, "Run `kubelab grade --json", id="missing"),
        pytest.param("{not json", "is not JSON", id="not-json"),
        pytest.param('{"a": 1}', "not a `kubelab grade --json` report", id="other-json"),
    ],
)
def test_points_of_a_bad_report_is_one_paragraph(tmp_path: Path, capsys, content, words):
    report = tmp_path / "grade.json"
    if content is not None:
        report.write_text(content)
    assert main(["assignment", "points", str(report), "--out", str(tmp_path / "p.json")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error:") and words in err
