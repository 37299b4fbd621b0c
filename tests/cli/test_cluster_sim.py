"""`kubelab up` / `down` on the sim backend: kubesim as a background process behind a kubeconfig."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, fail, write_kubeconfig

import kubelab._backend_sim as sim
from kubelab._backends import REPO_ROOT
from kubelab.cli import main

NAMESPACE = REPO_ROOT / "manifests" / "cluster" / "lab-namespace.yaml"


@pytest.fixture
def built(monkeypatch):
    """Pretend `python -m kubesim` exists, for the flow tests on the fake host."""
    monkeypatch.setattr(sim, "simulator_built", lambda: True)


def kubesim_writes(home: Path, log_text: str = "serving\n"):
    """What kubesim does when spawned: write its kubeconfig and a log line."""

    def on_spawn(argv):
        write_kubeconfig(home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:6443")
        (home / "sim").mkdir(parents=True, exist_ok=True)
        (home / "sim" / "kubesim.log").write_text(log_text)

    return on_spawn


def test_up_sim_spawns_kubesim_and_waits_for_readyz(host: FakeHost, lab_home: Path, built):
    host.on_spawn = kubesim_writes(lab_home)

    assert main(["up", "--backend", "sim"]) == 0

    spawn = [c for c in host.calls if c.kind == "spawn"]
    assert [c.argv for c in spawn] == [
        [
            sys.executable, "-m", "kubesim", "serve",
            "--state-dir", str(lab_home / "sim"),
            "--kubeconfig", str(lab_home / "kubeconfig"),
        ]
    ]  # fmt: skip
    assert spawn[0].env is not None and spawn[0].env["KUBECONFIG"] == str(lab_home / "kubeconfig")
    assert host.lines() == [
        "kubectl get --raw /readyz",
        f"kubectl apply -f {NAMESPACE}",
        "kubectl config set-context --current --namespace=lab",
        "kubectl wait --for=condition=Ready nodes --all --timeout=60s",
    ]
    assert not [line for line in host.lines() if line.startswith(("docker", "kind"))]
    assert (lab_home / "backend").read_text().strip() == "sim"


def test_up_sim_twice_keeps_the_running_simulator(host: FakeHost, lab_home: Path, built, capsys):
    write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:6443")
    (lab_home / "backend").write_text("sim\n")
    assert main(["up"]) == 0
    assert [c for c in host.calls if c.kind == "spawn"] == []
    assert "already running" in capsys.readouterr().out


def test_up_sim_times_out_with_the_log_tail(host: FakeHost, lab_home: Path, built, capsys):
    host.on_spawn = kubesim_writes(lab_home, "starting\nValueError: bad state dir\n")
    host.rules["kubectl get --raw /readyz"] = fail("connection refused")

    assert main(["up", "--backend", "sim"]) == 5

    err = " ".join(capsys.readouterr().err.split())
    assert "did not become ready within 15 s" in err and "bad state dir" in err
    assert host.clock >= sim.START_TIMEOUT  # waited on the fake clock, not a real one


def test_up_sim_names_a_port_in_use(host: FakeHost, lab_home: Path, built, capsys):
    host.on_spawn = kubesim_writes(lab_home, "OSError: [Errno 98] address already in use\n")
    host.rules["kubectl get --raw /readyz"] = fail("connection refused")
    assert main(["up", "--backend", "sim"]) == 5
    err = " ".join(capsys.readouterr().err.split())
    assert "port it serves on is already in use" in err


def test_down_sim_stops_kubesim_and_removes_the_kubeconfig(host: FakeHost, lab_home: Path, built):
    kubeconfig = write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", "https://[::1]:6443")
    (lab_home / "backend").write_text("sim\n")

    assert main(["down"]) == 0

    assert [c.argv for c in host.calls] == [
        [sys.executable, "-m", "kubesim", "stop", "--state-dir", str(lab_home / "sim")]
    ]
    assert not kubeconfig.exists()


def test_up_sim_says_plainly_when_the_simulator_is_missing(lab_home: Path, capsys, monkeypatch):
    """An installation without kubesim (a partial copy of the course): nothing may run."""
    import kubelab._backend_sim as sim

    monkeypatch.setattr(sim, "simulator_built", lambda: False)
    assert main(["up", "--backend", "sim"]) == 4
    err = " ".join(capsys.readouterr().err.split())
    assert "The simulator is not built yet" in err
    assert not (lab_home / "kubeconfig").exists()


@pytest.mark.kubesim
def test_real_kubesim_comes_up_answers_status_and_goes_down(lab_home: Path, capsys):
    try:
        code = main(["up", "--backend", "sim"])
        captured = capsys.readouterr()
        assert (lab_home / "kubeconfig").exists(), captured.err
        assert "Start kubesim" in captured.out and "Namespace lab" in captured.out
        assert code == 0, captured.err
        assert main(["status"]) == 0, capsys.readouterr().err
        out = " ".join(capsys.readouterr().out.split())
        assert "kubesim — a simulated cluster (test double)" in out and "Ready" in out
        assert "limits" in out and ("cgroup" in out or "polls memory" in out), out
    finally:
        assert main(["down"]) == 0, capsys.readouterr().err
        assert not (lab_home / "kubeconfig").exists()
