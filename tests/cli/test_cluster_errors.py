"""Every error a learner can meet in the lifecycle commands: one paragraph, a non-zero exit,
never a traceback; and no command acts on a kubeconfig that points at a foreign cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from _cli_fakes import FakeHost, fail, ok, write_kubeconfig

from kubelab.cli import main


def error_text(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    return " ".join(err.split())  # rich wraps; compare as one line


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["up"], id="up-auto"),
        pytest.param(["up", "--backend", "kind"], id="up-kind"),
        pytest.param(["up", "--backend", "sim"], id="up-sim"),
        pytest.param(["down"], id="down"),
        pytest.param(["down", "--force"], id="down-force"),
        pytest.param(["course", "--no-browser"], id="course"),
        pytest.param(["status"], id="status"),
    ],
)
def test_commands_refuse_a_foreign_context_before_running_anything(
    host: FakeHost, lab_home: Path, capsys, argv
):
    write_kubeconfig(lab_home / "kubeconfig", "prod-cluster", "https://10.0.0.1:6443")
    (lab_home / "backend").write_text("kind\n")

    assert main(argv) == 3

    text = error_text(capsys)
    assert "Refusing to act" in text and "prod-cluster" in text
    assert host.calls == [], "no process may run against a foreign cluster"
    assert (lab_home / "kubeconfig").exists(), "the foreign kubeconfig is left alone"


def test_docker_not_running(host: FakeHost, capsys):
    host.rules["docker info"] = fail("Cannot connect to the Docker daemon")
    assert main(["up", "--backend", "kind"]) == 4
    text = error_text(capsys)
    assert "daemon is not running" in text
    assert "systemctl start docker" in text and "--backend sim" in text
    assert host.lines() == ["docker info --format {{.ServerVersion}}"]


def test_docker_not_installed(host: FakeHost, capsys):
    del host.binaries["docker"]
    assert main(["up", "--backend", "kind"]) == 4
    assert "Docker is not installed" in error_text(capsys)
    assert host.calls == []


def test_kind_missing(host: FakeHost, capsys):
    del host.binaries["kind"]
    assert main(["up", "--backend", "kind"]) == 4
    text = error_text(capsys)
    assert "kind is not installed" in text
    assert "go install sigs.k8s.io/kind@v0.33.0" in text
    assert "https://kind.sigs.k8s.io/dl/v0.33.0/" in text
    assert not [line for line in host.lines() if line.startswith("kind ")]


def test_a_kubelab_cluster_that_is_not_ours(host: FakeHost, capsys):
    host.rules["kind get clusters"] = ok("kind\nkubelab\n")
    assert main(["up", "--backend", "kind"]) == 5
    text = error_text(capsys)
    assert "already exists" in text
    assert "kind delete cluster --name kubelab" in text and "kubelab down --force" in text
    assert not [line for line in host.lines() if line.startswith("kind create")]


@pytest.mark.parametrize(
    "said",
    [
        pytest.param("kind v0.31.0 go1.25.5 linux/amd64", id="v0.31"),
        pytest.param("kind v0.27.0 go1.23.4 darwin/arm64", id="v0.27"),
    ],
)
def test_kind_older_than_the_v1beta4_patch_is_refused_before_anything_is_created(
    host: FakeHost, capsys, said
):
    host.rules["kind version"] = ok(said + "\n")
    assert main(["up", "--backend", "kind"]) == 4
    text = error_text(capsys)
    assert "too old" in text and "v1beta4" in text and "v0.32.0" in text
    assert "go install sigs.k8s.io/kind@v0.33.0" in text
    assert host.lines() == ["docker info --format {{.ServerVersion}}", "kind version"]


def test_no_host_port_is_needed_for_kind(host: FakeHost, lab_home: Path):
    """The course has no NodePort exercise, so nothing is mapped and no port is checked."""
    host.busy_ports.update({30080, 80, 443})
    host.rules["kind create cluster"] = lambda argv: (
        write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:4"),
        ok(),
    )[1]
    assert main(["up", "--backend", "kind"]) == 0


@pytest.mark.parametrize(
    "argv, words",
    [
        pytest.param(["status"], "Run `kubelab up`", id="status"),
        pytest.param(["course", "--no-browser"], "Run `kubelab up`", id="course"),
    ],
)
def test_missing_kubeconfig(host: FakeHost, capsys, argv, words):
    assert main(argv) == 5
    assert words in error_text(capsys)
    assert host.calls == []


@pytest.mark.parametrize(
    "argv, env, source",
    [
        pytest.param(["up", "--backend", "minikube"], None, "--backend", id="flag"),
        pytest.param(["up"], "docker-desktop", "KUBELAB_BACKEND", id="env"),
    ],
)
def test_unknown_backend(host: FakeHost, capsys, monkeypatch, argv, env, source):
    if env:
        monkeypatch.setenv("KUBELAB_BACKEND", env)
    assert main(argv) == 2
    text = error_text(capsys)
    assert "Unknown backend" in text and source in text and "auto, kind, sim" in text
    assert host.calls == []


def test_a_failing_step_reports_its_own_last_words(host: FakeHost, capsys):
    host.rules["kind create cluster"] = fail("ERROR: failed to create cluster: out of disk")
    assert main(["up", "--backend", "kind"]) == 5
    text = error_text(capsys)
    assert "`kind create cluster` failed" in text and "out of disk" in text


def test_a_tools_bracketed_output_is_quoted_as_written(host: FakeHost, capsys):
    """docker and kind print `[internal] load ...` and paths in brackets; rich must not
    take them for markup (an unmatched `[/...]` used to crash with a MarkupError)."""
    host.rules["kind create cluster"] = fail(
        "#1 [internal] load build definition\nERROR: failed [/var/lib/docker] nope"
    )
    assert main(["up", "--backend", "kind"]) == 5
    text = error_text(capsys)
    assert "[internal] load build definition" in text and "[/var/lib/docker] nope" in text


def test_switching_backend_while_one_is_up_is_refused(host: FakeHost, lab_home: Path, capsys):
    write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:6443")
    (lab_home / "backend").write_text("sim\n")
    assert main(["up", "--backend", "kind"]) == 5
    assert "already up on the sim backend" in error_text(capsys)
    assert host.calls == []


def test_progress_lines_print_brackets_as_written(capsys):
    from kubelab._progress import Progress

    progress = Progress(2)
    progress.step("Build kubelab/inference:[2.4.0]")
    progress.skip("Load [/images]", "already [loaded]")
    progress.note("#1 [internal] load build definition")
    out = capsys.readouterr().out
    assert "[1/2] Build kubelab/inference:[2.4.0]" in out
    assert "[2/2] Load [/images] — already [loaded]" in out
    assert "#1 [internal] load build definition" in out
