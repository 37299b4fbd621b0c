"""`kubelab up` / `down` on the sim backend: kubesim as a background process behind a kubeconfig."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, fail, write_kubeconfig

import kubelab._backend_sim as sim
from kubelab import _procs
from kubelab.cli import main


@pytest.fixture
def built(monkeypatch):
    """Pretend `python -m kubesim` exists, for the flow tests on the fake host (whose
    kubeconfig names no server, so nothing asks kubesim how it runs)."""
    monkeypatch.setattr(sim, "simulator_built", lambda: True)
    monkeypatch.setattr(sim, "simulator_status", lambda info: {})


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
        "kubectl wait --for=condition=Ready nodes --all --timeout=60s",
    ]
    assert not [line for line in host.lines() if line.startswith(("docker", "kind"))]
    assert (lab_home / "backend").read_text().strip() == "sim"


def test_up_sim_says_when_the_cluster_is_less_than_a_learner_expects(
    host: FakeHost, lab_home: Path, built, capsys, monkeypatch
):
    """A cluster on the loopback shim answers every kubectl command; `up` says so at once."""
    host.on_spawn = kubesim_writes(lab_home)
    monkeypatch.setattr(sim, "simulator_status", lambda info: {"network": {"mode": "loopback"}})
    assert main(["up", "--backend", "sim"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "! Pods have no network of their own here" in out
    assert "`kubelab doctor` says what to install" in out
    assert out.index("no network of their own") < out.index("The lab cluster is ready")


@pytest.mark.parametrize(
    ("facts", "busybox", "want"),
    [
        ({"isolation": {"mode": "namespaces"}, "network": {"mode": "fabric"}}, True, []),
        ({}, True, []),  # an older kubesim, or one that stopped answering: nothing guessed
        ({"network": {"mode": "loopback"}}, True, ["no network of their own"]),
        # process mode implies the shim; the larger loss is said, once
        (
            {"isolation": {"mode": "process"}, "network": {"mode": "loopback"}},
            True,
            ["plain processes"],
        ),
        ({"network": {"mode": "fabric"}}, False, ["busybox-static is not installed"]),
    ],
)
def test_cautions(facts: dict, busybox: bool, want: list[str]) -> None:
    said = sim.cautions(facts, busybox=busybox)
    assert len(said) == len(want)
    for text, part in zip(said, want, strict=True):
        assert part in text


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
    host.on_spawn = kubesim_writes(lab_home)
    assert main(["up", "--backend", "sim"]) == 0
    kubeconfig = lab_home / "kubeconfig"

    assert main(["down"]) == 0

    assert host.lines("terminate") == ["terminate 4242"]
    assert not kubeconfig.exists() and not (lab_home / "sim" / "kubelab-serve.json").exists()


def test_down_sim_deletes_the_cluster_so_the_next_up_starts_empty(
    host: FakeHost, lab_home: Path, built, capsys
):
    """As `kind delete cluster`: the store (every object) and the nodes' folders go; the
    CA and the log stay."""
    host.on_spawn = kubesim_writes(lab_home)
    assert main(["up", "--backend", "sim"]) == 0
    sim = lab_home / "sim"
    for name in ("state.db", "state.db-wal", "control-plane"):
        (sim / name).write_text("x")
    (sim / "kubelet" / "pods" / "uid" / "c").mkdir(parents=True)
    (sim / "kubelet" / "pods" / "uid" / "c" / "0.log").write_text("log")
    (sim / "ca.crt").write_text("ca")
    (sim / "kubesim.log").write_text("log")
    capsys.readouterr()

    assert main(["down"]) == 0

    assert "the next `kubelab up` starts empty" in " ".join(capsys.readouterr().out.split())
    assert sorted(p.name for p in sim.iterdir()) == ["ca.crt", "kubesim.log"]


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
        assert "Start kubesim" in captured.out and "Namespace lab" not in captured.out
        assert "[2/2] Wait until every node is Ready" in captured.out, captured.out
        assert code == 0, captured.err
        assert main(["status"]) == 0, capsys.readouterr().err
        out = " ".join(capsys.readouterr().out.split())
        assert "kubesim — a simulated cluster (test double)" in out and "Ready" in out
        assert "limits" in out and ("cgroup" in out or "polls memory" in out), out
        assert "isolation" in out and (
            "own mount, UTS, IPC and PID" in out or "process mode" in out
        )
        assert "network" in out and (  # the cluster network, or the shim and what it costs
            "every pod in its own network namespace" in out or "loopback shim (" in out
        ), out
    finally:
        assert main(["down"]) == 0, capsys.readouterr().err
        assert not (lab_home / "kubeconfig").exists()


@pytest.mark.kubesim
def test_real_kubesim_on_the_loopback_shim_says_so_when_it_comes_up(
    lab_home: Path, capsys, monkeypatch
):
    monkeypatch.setenv("KUBESIM_NETWORK", "loopback")
    try:
        assert main(["up", "--backend", "sim"]) == 0, capsys.readouterr().err
        out = " ".join(capsys.readouterr().out.split())
        assert (
            "! Pods have no network of their own here (kubesim's loopback shim: KUBESIM_NETWORK=loopback)"
            in out
        ), out
    finally:
        assert main(["down"]) == 0, capsys.readouterr().err


# --- `kubelab down` always stops what `up` started (issue 21, findings 1 and 2) ------------


def _record(lab_home: Path, pid: int, started: str = "1000") -> None:
    (lab_home / "sim").mkdir(parents=True, exist_ok=True)
    (lab_home / "sim" / "kubelab-serve.json").write_text(
        json.dumps({"pid": pid, "started": started})
    )


def _running(host: FakeHost, pid: int, started: str = "1000") -> None:
    host.processes[pid] = _procs.Process(pid=pid, started=started, pgid=pid, sid=pid)


def test_down_says_how_kubesim_stopped(host: FakeHost, lab_home: Path, capsys):
    write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:6443")
    (lab_home / "backend").write_text("sim\n")
    _record(lab_home, 77)
    _running(host, 77)

    assert main(["down"]) == 0

    out = " ".join(capsys.readouterr().out.split())
    assert "kubesim (pid 77) stopped on SIGTERM in 0.5 s." in out
    assert host.lines("terminate") == ["terminate 77"]


def test_down_escalates_to_sigkill_and_says_so(host: FakeHost, lab_home: Path, capsys):
    write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:6443")
    (lab_home / "backend").write_text("sim\n")
    _record(lab_home, 77)
    _running(host, 77)
    host.stubborn.add(77)

    assert main(["down"]) == 0

    out = " ".join(capsys.readouterr().out.split())
    assert "did not stop within 10 s of SIGTERM; killed it and 2 other processes" in out
    assert "SIGKILL" in out and not (lab_home / "kubeconfig").exists()


def test_down_stops_a_kubesim_that_never_wrote_its_kubeconfig(
    host: FakeHost, lab_home: Path, capsys
):
    """`up` timed out (kubesim stuck loading a huge state): no kubeconfig, but the process
    kubelab started is recorded and still runs, so `down` stops it."""
    (lab_home / "backend").parent.mkdir(parents=True, exist_ok=True)
    (lab_home / "backend").write_text("sim\n")
    _record(lab_home, 78)
    _running(host, 78)

    assert main(["down"]) == 0

    assert host.lines("terminate") == ["terminate 78"]
    assert "kubesim (pid 78) stopped" in capsys.readouterr().out


def test_a_second_down_succeeds_saying_there_is_nothing_to_delete(
    host: FakeHost, lab_home: Path, capsys
):
    write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:6443")
    (lab_home / "backend").write_text("sim\n")
    assert main(["down"]) == 0
    capsys.readouterr()

    assert main(["down"]) == 0

    captured = capsys.readouterr()
    assert "nothing to delete" in " ".join(captured.out.split()) and captured.err == ""
    assert host.lines("terminate") == []


def test_a_reused_pid_is_never_signalled(host: FakeHost, lab_home: Path, capsys):
    write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", "https://127.0.0.1:6443")
    (lab_home / "backend").write_text("sim\n")
    _record(lab_home, 79, started="1000")
    _running(host, 79, started="5555")  # another program got pid 79 since

    assert main(["down"]) == 0

    assert host.lines("terminate") == []
    assert "nothing to stop" in capsys.readouterr().out


def test_up_refuses_to_start_a_second_kubesim_next_to_a_stuck_one(
    host: FakeHost, lab_home: Path, built, capsys
):
    (lab_home / "sim").mkdir(parents=True)
    _record(lab_home, 80)
    _running(host, 80)

    assert main(["up", "--backend", "sim"]) == 5

    err = " ".join(capsys.readouterr().err.split())
    assert "(pid 80) is running but does not answer" in err and "kubelab down" in err
    assert host.lines("spawn") == []


@pytest.mark.parametrize(
    "table, want",
    [
        pytest.param(
            {1: (0, 1, 1), 10: (1, 10, 10), 11: (10, 10, 10), 12: (11, 12, 12), 99: (1, 99, 99)},
            {10, 11, 12},
            id="descendants-even-in-a-new-session",
        ),
        pytest.param(
            {1: (0, 1, 1), 10: (1, 10, 10), 13: (1, 13, 10)},
            {10, 13},
            id="orphan-still-in-the-session",
        ),
        pytest.param(
            {1: (0, 1, 1), 10: (1, 5, 5), 14: (1, 5, 5)},
            {10},
            id="not-a-session-leader-stops-alone",
        ),
    ],
)
def test_process_tree(table, want):
    procs = {
        pid: _procs.Process(pid=pid, started="1", ppid=ppid, pgid=pgid, sid=sid)
        for pid, (ppid, pgid, sid) in table.items()
    }
    assert _procs.process_tree(10, procs) == want


def _alive(pid: int) -> bool:
    proc = _procs.RealHost().process(pid)
    return proc is not None


def _spawn(tmp_path: Path, script: str) -> int:
    pid = _procs.RealHost().spawn(["sh", "-c", script], log=tmp_path / "log")
    time.sleep(0.3)  # let the shell start its children
    return pid


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_terminate_kills_a_tree_that_ignores_sigterm(tmp_path: Path):
    real = _procs.RealHost()
    pid = _spawn(tmp_path, "trap '' TERM; setsid sleep 301 & sleep 302 & wait")
    tree = _procs.process_tree(pid, _procs.process_table())
    assert len(tree) >= 3, tree  # the shell, its sleep, and the setsid'd sleep

    stopped = real.terminate(real.process(pid), grace=0.5)  # type: ignore[arg-type]

    assert not stopped.graceful and stopped.killed >= 3 and stopped.remaining == ()
    assert not any(_alive(p) for p in tree)
    assert "did not stop within 0 s of SIGTERM; killed it and" in stopped.describe("sh")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_terminate_takes_sigterm_when_that_is_enough(tmp_path: Path):
    real = _procs.RealHost()
    pid = _spawn(tmp_path, "exec sleep 303")

    stopped = real.terminate(real.process(pid), grace=5)  # type: ignore[arg-type]

    assert stopped.graceful and stopped.killed == 0 and stopped.seconds < 2
    assert not _alive(pid)


@pytest.mark.kubesim
def test_real_kubesim_that_hangs_is_killed_by_down(lab_home: Path, capsys, monkeypatch):
    """A kubesim that cannot act on SIGTERM (here: stopped with SIGSTOP) still goes."""
    monkeypatch.setattr(sim, "STOP_GRACE", 1.0)
    try:
        assert main(["up", "--backend", "sim"]) == 0, capsys.readouterr().err
        target = sim.started_process(_lab_paths(lab_home))
        assert target is not None
        tree = _procs.process_tree(target.pid, _procs.process_table())
        capsys.readouterr()
        os.kill(target.pid, signal.SIGSTOP)

        assert main(["down"]) == 0, capsys.readouterr().err

        out = " ".join(capsys.readouterr().out.split())
        assert f"kubesim (pid {target.pid}) did not stop within 1 s of SIGTERM" in out
        assert not any(_alive(p) for p in tree)
    finally:
        main(["down"])
    assert main(["down"]) == 0
    assert "nothing to delete" in capsys.readouterr().out


def _lab_paths(home: Path):
    from kubelab._backend_base import LabPaths

    return LabPaths(home=home)


@pytest.mark.parametrize(
    ("facts", "row"),
    [
        ({}, ""),
        ({"timeScale": 1.0}, ""),
        ({"timeScale": 4.0}, "4x real time (a test setting)"),
        (
            {"timeScale": 4.0, "virtualTime": True},
            "4x real time, virtual: it jumps to the next timer whenever nothing runs in real "
            "time (a test setting)",
        ),
    ],
)
def test_status_shows_the_clock_only_when_it_is_not_real_time(facts: dict, row: str) -> None:
    assert sim.time_text(facts) == row
