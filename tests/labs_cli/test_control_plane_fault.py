"""The control-plane-down fault from kubelab's side: `break`, `fix`, `reset`, and what
`status`, `check`, `doctor` and `up` say while the control plane is down.

Both backends are tested at the subprocess boundary (the fake host records every command
and runs none): on kind, `docker exec` moves the API server's static pod manifest out of
`/etc/kubernetes/manifests` and back, then kubectl's `/readyz` is polled until the API
refuses or answers; on the simulator, `python -m kubesim control-plane stop|start|status`
(its real behaviour is tests/scenarios/test_control_plane_down.py). The lab cluster's
server is a closed local port here, so every API call is refused as in the real outage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, fail, ok, write_kubeconfig

from kubelab import _doctor, _procs, _simprocess
from kubelab.cli import main

NODE = "kubelab-control-plane"
MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"
PARKED = "/etc/kubernetes/kube-apiserver.yaml"
TEST = f"docker exec {NODE} test -e {MANIFEST}"
MOVE_OUT = f"docker exec {NODE} mv {MANIFEST} {PARKED}"
MOVE_BACK = f"docker exec {NODE} mv {PARKED} {MANIFEST}"
READYZ = "kubectl get --raw /readyz"
REFUSED = "https://127.0.0.1:9"  # the discard port: nothing listens, a connect is refused
SAID_REFUSED = (
    "The connection to the server 127.0.0.1:40123 was refused - did you specify the right "
    "host or port?"
)


def _sim(lab_home: Path, host: FakeHost, *, state: str) -> Path:
    """A lab kubeconfig for a kubesim that kubelab started (pid 90) and that answers the
    control-plane switch with `state`."""
    write_kubeconfig(lab_home / "kubeconfig", "kubesim-kubelab", REFUSED)
    (lab_home / "backend").write_text("sim\n")
    (lab_home / "sim").mkdir(parents=True, exist_ok=True)
    (lab_home / "sim" / "kubelab-serve.json").write_text(json.dumps({"pid": 90, "started": "1"}))
    host.processes[90] = _procs.Process(pid=90, started="1", pgid=90, sid=90)
    host.rules[" ".join(_switch_argv(lab_home, "status"))] = ok(state + "\n")
    host.rules[" ".join(_switch_argv(lab_home, "stop"))] = ok("down\n")
    host.rules[" ".join(_switch_argv(lab_home, "start"))] = ok("up\n")
    return lab_home / "sim"


def _switch_argv(lab_home: Path, action: str) -> list[str]:
    return _simprocess.control_plane_argv(lab_home / "sim", action)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- kind -----------------------------------------------------------------------------


def test_break_on_kind_moves_the_apiserver_manifest_out_and_waits_for_the_refusal(
    host: FakeHost, kind_cluster, lab_home: Path, capsys
):
    host.rules[READYZ] = fail(SAID_REFUSED)

    assert main(["break", "control-plane-down"]) == 0

    assert host.lines() == [TEST, MOVE_OUT, READYZ]
    assert (lab_home / "control-plane-down").read_text() == "kubelab fix control-plane-down\n"
    out = capsys.readouterr().out
    assert "[fault control-plane-down 1/1] control plane: stop" in out
    assert "To undo this fault: kubelab fix control-plane-down" in out


def test_fix_on_kind_moves_the_manifest_back_and_waits_until_the_api_answers(
    host: FakeHost, kind_cluster, lab_home: Path, capsys
):
    (lab_home / "control-plane-down").write_text("kubelab fix control-plane-down\n")
    host.rules[TEST] = fail("", code=1)  # the manifest is parked: the control plane is down
    answers = iter([fail(SAID_REFUSED), fail(SAID_REFUSED), ok("ok")])
    host.rules[READYZ] = lambda argv: next(answers)

    assert main(["fix", "control-plane-down"]) == 0

    assert host.lines() == [TEST, MOVE_BACK, READYZ, READYZ, READYZ]
    assert not (lab_home / "control-plane-down").exists()
    assert "[undo of control-plane-down 1/1] control plane: start" in capsys.readouterr().out


def test_break_on_kind_twice_moves_nothing_the_second_time(
    host: FakeHost, kind_cluster, lab_home: Path
):
    host.rules[TEST] = fail("", code=1)

    assert main(["break", "control-plane-down"]) == 0

    assert host.lines() == [TEST]


def test_an_api_server_that_never_stops_on_kind_is_one_paragraph(
    host: FakeHost, kind_cluster, lab_home: Path, capsys
):
    host.rules[READYZ] = ok("ok")  # the kubelet never stops the static pod

    assert main(["break", "control-plane-down"]) == 5

    err = _one_line(capsys.readouterr().err)
    assert "The API server did not stop within 90 s after its manifest was moved" in err
    assert f"docker exec {NODE} crictl ps -a --name kube-apiserver" in err
    assert "Traceback" not in err


def test_reset_brings_back_a_control_plane_a_fault_stopped_before_anything_else(
    host: FakeHost, kind_cluster, lab_home: Path
):
    (lab_home / "control-plane-down").write_text("kubelab fix control-plane-down\n")
    host.rules[TEST] = fail("", code=1)

    main(["reset", "01-fixture", "--yes"])

    assert host.lines()[:3] == [TEST, MOVE_BACK, READYZ]
    assert not (lab_home / "control-plane-down").exists()


def test_fix_refuses_a_fault_whose_repair_is_the_exercise(
    host: FakeHost, kind_cluster, lab_home: Path, capsys
):
    assert main(["fix", "crashloop"]) == 2

    err = _one_line(capsys.readouterr().err)
    assert "The fault crashloop (lab 01-fixture) has no undo: repairing it is the exercise" in err
    assert "kubelab reset 01-fixture" in err
    assert host.lines() == []


# --- the simulator --------------------------------------------------------------------


def test_break_and_fix_on_the_simulator_use_kubesims_switch(host: FakeHost, lab_home: Path, capsys):
    _sim(lab_home, host, state="up")

    assert main(["break", "control-plane-down"]) == 0
    assert main(["fix", "control-plane-down"]) == 0

    assert [c.argv for c in host.calls if c.kind == "run"] == [
        _switch_argv(lab_home, "stop"),
        _switch_argv(lab_home, "start"),
    ]
    assert not (lab_home / "control-plane-down").exists()


def test_a_switch_kubesim_refuses_is_one_paragraph(host: FakeHost, lab_home: Path, capsys):
    _sim(lab_home, host, state="up")
    host.rules[" ".join(_switch_argv(lab_home, "stop"))] = fail(
        "kubesim: no kubesim is running with state in /x (no live pid in /x/kubesim.pid)"
    )

    assert main(["break", "control-plane-down"]) == 5

    err = _one_line(capsys.readouterr().err)
    assert "kubesim could not stop its control plane: kubesim: no kubesim is running" in err
    assert "Traceback" not in err


# --- what the other commands say during the outage --------------------------------------


@pytest.fixture
def outage(host: FakeHost, lab_home: Path) -> Path:
    """The simulator's control plane stopped by the fault: the API port refuses."""
    _sim(lab_home, host, state="down")
    host.rules[READYZ] = fail(SAID_REFUSED)
    (lab_home / "control-plane-down").write_text("kubelab fix control-plane-down\n")
    return lab_home


@pytest.mark.parametrize(
    "argv, code",
    [
        pytest.param(["status"], 5, id="status"),
        pytest.param(["check", "01-fixture"], 5, id="check"),
        pytest.param(["up", "--backend", "sim"], 5, id="up"),
    ],
)
def test_commands_during_the_outage_say_the_control_plane_is_down_and_how_to_bring_it_back(
    outage: Path, capsys, argv, code, monkeypatch
):
    monkeypatch.setattr("kubelab._backend_sim.simulator_built", lambda: True)

    assert main(argv) == code

    err = _one_line(capsys.readouterr().err)
    assert "The lab cluster's control plane is down: the API server at " + REFUSED in err
    assert "Bring the control plane back with `kubelab fix control-plane-down`." in err
    assert "Run `kubelab up`" not in err
    assert "Traceback" not in err


def test_doctor_names_the_outage_as_a_warning(outage: Path, capsys):
    facts = _doctor.gather()
    [row] = [r for r in _doctor.diagnose(facts).rows if r.item == "lab cluster"]

    assert row.status == _doctor.WARN
    assert row.found.startswith("control plane down")
    assert row.fix.endswith("Bring the control plane back with `kubelab fix control-plane-down`.")
    main(["doctor"])
    assert "control plane down" in capsys.readouterr().out


def test_a_cluster_that_is_simply_not_running_still_says_kubelab_up(
    host: FakeHost, lab_home: Path, capsys
):
    """No fault of ours stopped it (no marker): the usual message, and kubesim is not asked."""
    _sim(lab_home, host, state="down")

    assert main(["status"]) == 5

    err = _one_line(capsys.readouterr().err)
    assert "Run `kubelab up`" in err and "control plane is down" not in err
    assert host.lines() == []


def test_down_forgets_a_control_plane_a_fault_stopped(outage: Path, host: FakeHost):
    assert main(["down"]) == 0

    assert not (outage / "control-plane-down").exists()
