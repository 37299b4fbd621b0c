"""The CLI's edge (issue 21, findings 5 and 7): every way out is one paragraph and a non-zero
exit, never a traceback; grading no labs is an error, never `"passed": true` with 0/0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, write_kubeconfig

from kubelab._backend_base import REPO_ROOT
from kubelab.cli import main

LABS = REPO_ROOT / "labs"


def one_paragraph(err: str) -> str:
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert err.startswith("error: "), err
    assert err.strip().count("\n\n") == 0, err
    return " ".join(err.split())


@pytest.fixture
def lab_kubeconfig(lab_home: Path) -> Path:
    return write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:1")


# --- the last-resort handler -----------------------------------------------------------


def _boom(*args, **kwargs):
    raise RuntimeError("injected failure")


def test_an_unexpected_exception_is_one_paragraph_naming_it_as_a_bug(
    host: FakeHost, lab_kubeconfig: Path, monkeypatch, capsys
):
    import kubelab._cmd_cluster as cluster

    monkeypatch.setattr(cluster, "read_cluster", _boom)
    assert main(["status"]) == 70
    text = one_paragraph(capsys.readouterr().err)
    assert "unexpected error: RuntimeError: injected failure" in text
    assert "bug in kubelab" in text and "KUBELAB_DEBUG=1" in text


def test_kubelab_debug_shows_the_traceback(host: FakeHost, lab_kubeconfig, monkeypatch, capsys):
    import kubelab._cmd_cluster as cluster

    monkeypatch.setattr(cluster, "read_cluster", _boom)
    monkeypatch.setenv("KUBELAB_DEBUG", "1")
    assert main(["status"]) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "injected failure" in err


def test_ctrl_c_exits_130_without_a_traceback(host: FakeHost, lab_kubeconfig, monkeypatch, capsys):
    import kubelab._cmd_cluster as cluster

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cluster, "read_cluster", interrupted)
    assert main(["status"]) == 130  # typer turns it into Exit(130); the shell shows ^C
    assert "Traceback" not in capsys.readouterr().err


def test_a_usage_error_still_reads_as_click_prints_it(host: FakeHost, capsys):
    assert main(["grade", "--no-such-flag"]) == 2
    err = capsys.readouterr().err
    assert "No such option" in err and "Traceback" not in err


# --- broken labs and report paths --------------------------------------------------------


@pytest.mark.parametrize(
    "content, words",
    [
        pytest.param(b"id: 01-x\ntitle: a\x00b\n", "#x0000", id="nul-byte"),
        pytest.param(b"id: 01-x\ntitle: caf\xe9\n", "is not UTF-8", id="latin-1"),
    ],
)
def test_an_unreadable_lab_yaml_names_the_file(
    host: FakeHost, tmp_path: Path, lab_kubeconfig, capsys, content: bytes, words: str
):
    labs = tmp_path / "labs"
    (labs / "01-x").mkdir(parents=True)
    (labs / "01-x" / "lab.yaml").write_bytes(content)
    assert main(["grade", "--no-wait", "--labs-dir", str(labs)]) == 2
    text = one_paragraph(capsys.readouterr().err)
    assert str(labs / "01-x" / "lab.yaml") in text and words in text
    assert host.calls == []


@pytest.mark.parametrize("flag", ["--json", "--junit"])
def test_a_report_path_in_a_missing_folder_is_refused_before_grading(
    host: FakeHost, lab_kubeconfig, monkeypatch, capsys, flag
):
    import kubelab._cmd_grading as grading

    monkeypatch.setattr(grading, "open_client", _boom)  # grading must not even start
    assert main(["grade", "--no-wait", flag, "/nonexistent/dir/x.out"]) == 2
    text = one_paragraph(capsys.readouterr().err)
    assert f"Cannot write the report {flag} /nonexistent/dir/x.out" in text
    assert "mkdir -p /nonexistent/dir" in text


def test_a_report_path_that_is_a_folder_is_refused(
    host: FakeHost, tmp_path, lab_kubeconfig, capsys
):
    assert main(["grade", "--no-wait", "--json", str(tmp_path)]) == 2
    assert "it is a folder" in one_paragraph(capsys.readouterr().err)


# --- grading nothing is an error ---------------------------------------------------------


def _not_a_labs_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "stuff"
    (folder / "photos").mkdir(parents=True)
    (folder / "notes.txt").write_text("hello")
    return folder


@pytest.mark.parametrize(
    "make, words",
    [
        pytest.param(lambda tmp: tmp / "empty", "There are no labs in", id="empty"),
        pytest.param(_not_a_labs_folder, "There are no labs in", id="not-a-labs-folder"),
        pytest.param(lambda tmp: LABS / "01-deploy", "is one lab's folder", id="one-labs-folder"),
    ],
)
@pytest.mark.parametrize("via", ["env", "flag"])
def test_grading_no_labs_fails_and_writes_no_passing_report(
    host: FakeHost, tmp_path: Path, lab_kubeconfig, monkeypatch, capsys, make, words, via
):
    folder = make(tmp_path)
    folder.mkdir(exist_ok=True)
    monkeypatch.chdir(tmp_path)
    if via == "env":
        monkeypatch.setenv("KUBELAB_LABS", str(folder))
        argv = ["grade", "--no-wait"]
    else:
        argv = ["grade", "--no-wait", "--labs-dir", str(folder)]
    assert main(argv) == 2
    text = one_paragraph(capsys.readouterr().err)
    assert words in text and "must not count as a pass" in text
    assert not (tmp_path / "kubelab-grade.json").exists()
    assert host.calls == []


# --- a real simulator: output that cannot be written -------------------------------------


def kubelab(home: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBELAB_HOME": str(home), "HOME": str(home.parent)}
    env.pop("KUBECONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "kubelab", *args],
        env=env,
        cwd=home.parent,
        text=True,
        capture_output=kwargs.pop("capture_output", True),
        timeout=120,
        check=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def sim_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("sim-edge") / ".kubelab"
    done = kubelab(home, "up", "--backend", "sim")
    assert done.returncode == 0, done.stderr
    yield home
    kubelab(home, "down")


@pytest.mark.kubesim
def test_check_into_dev_full_is_one_paragraph(sim_home: Path):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kubelab",
                "check",
                "01-deploy",
                "--no-wait",
                "--format",
                "json",
            ],
            env={**os.environ, "KUBELAB_HOME": str(sim_home)},
            cwd=sim_home.parent,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 74
    text = one_paragraph(done.stderr)
    assert "could not write its output" in text and "No space left on device" in text


@pytest.mark.kubesim
def test_real_grade_writes_reports_and_fails_a_fresh_cluster(sim_home: Path, tmp_path: Path):
    report = tmp_path / "g.json"
    done = kubelab(
        sim_home, "grade", "--no-wait", "--json", str(report), "--junit", str(tmp_path / "g.xml")
    )
    assert done.returncode == 1, done.stderr
    data = json.loads(report.read_text())
    assert data["passed"] is False and data["maxPoints"] > 0
