"""`kubelab up` / `down` on the kind backend: the exact docker, kind and kubectl commands."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, nodes_json, ok, write_kubeconfig

from kubelab._backend_kind import NODE_IMAGE
from kubelab._backends import REPO_ROOT
from kubelab.cli import main

KIND_YAML = REPO_ROOT / "manifests" / "cluster" / "kind.yaml"
NAMESPACE = REPO_ROOT / "manifests" / "cluster" / "lab-namespace.yaml"
METRICS = REPO_ROOT / "manifests" / "addons" / "metrics-server.yaml"
INFERENCE = REPO_ROOT / "inference"
ALL_IMAGES = ["docker.io/kubelab/inference:2.4.0", "docker.io/kubelab/inference:2.5.0"]
NODES = ("kubelab-control-plane", "kubelab-worker", "kubelab-worker2")


def kind_creates_kubeconfig(home: Path):
    """Like kind: `create cluster --kubeconfig K` writes K with context kind-kubelab."""

    def create(argv):
        write_kubeconfig(home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:40123")
        return ok()

    return create


def test_fresh_up_runs_exactly_the_kind_recipe(host: FakeHost, lab_home: Path, capsys):
    host.rules["kind create cluster"] = kind_creates_kubeconfig(lab_home)

    assert main(["up", "--backend", "kind"]) == 0

    kubeconfig = str(lab_home / "kubeconfig")
    assert host.lines() == [
        "docker info --format {{.ServerVersion}}",
        "kind get clusters",
        f"kind create cluster --name kubelab --config {KIND_YAML} --image {NODE_IMAGE} "
        f"--kubeconfig {kubeconfig} --wait 120s",
        "kubectl get nodes -o json",
        f"docker build -f {INFERENCE}/Dockerfile --build-arg VERSION=2.4.0 "
        f"-t kubelab/inference:2.4.0 {INFERENCE}",
        f"docker build -f {INFERENCE}/Dockerfile --build-arg VERSION=2.5.0 "
        f"-t kubelab/inference:2.5.0 {INFERENCE}",
        "kind load docker-image kubelab/inference:2.4.0 kubelab/inference:2.5.0 --name kubelab",
        "kubectl -n kube-system get deployment metrics-server --ignore-not-found -o name",
        f"kubectl apply -f {METRICS}",
        f"kubectl apply -f {NAMESPACE}",
        "kubectl config set-context --current --namespace=lab",
        "kubectl wait --for=condition=Ready nodes --all --timeout=180s",
        "kubectl -n kube-system wait --for=condition=Ready pod --all --timeout=180s",
    ]
    out = capsys.readouterr().out
    assert "[1/8] Check Docker and kind" in out
    assert "The lab cluster is ready" in out
    assert (lab_home / "backend").read_text().strip() == "kind"


def test_every_kubectl_call_names_the_lab_kubeconfig_explicitly(host: FakeHost, lab_home: Path):
    host.rules["kind create cluster"] = kind_creates_kubeconfig(lab_home)
    assert main(["up", "--backend", "kind"]) == 0
    kubeconfig = str(lab_home / "kubeconfig")
    kubectl_calls = [c for c in host.calls if Path(c.argv[0]).name == "kubectl"]
    assert kubectl_calls, "up must use kubectl"
    for call in kubectl_calls:
        assert call.argv[0] == str(Path(sys.executable).parent / "kubectl"), "the venv's kubectl"
        assert call.argv[1:3] == ["--kubeconfig", kubeconfig]
        assert call.env is not None and call.env["KUBECONFIG"] == kubeconfig
    create = next(c for c in host.calls if c.line.startswith("kind create"))
    assert create.env is not None and create.env["KUBECONFIG"] == kubeconfig


def test_up_on_a_finished_cluster_redoes_nothing(host: FakeHost, lab_home: Path, capsys):
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:40123", "lab")
    host.rules["kind get clusters"] = ok("kubelab\n")
    host.rules["kubectl get nodes -o json"] = ok(nodes_json({n: ALL_IMAGES for n in NODES}))
    host.rules["kubectl -n kube-system get deployment metrics-server"] = ok(
        "deployment.apps/metrics-server\n"
    )

    assert main(["up"]) == 0  # auto: nothing remembered, kind and docker are "there"

    lines = host.lines()
    assert not [line for line in lines if line.startswith(("kind create", "docker build"))]
    assert not [
        line for line in lines if line.startswith(("kind load", f"kubectl apply -f {METRICS}"))
    ]
    assert lines.count(f"kubectl apply -f {NAMESPACE}") == 1, "apply is idempotent by itself"
    out = capsys.readouterr().out
    assert "already exists; keeping it" in out
    assert "already loaded" in out
    assert "already installed" in out


def test_up_loads_only_the_images_a_node_lacks(host: FakeHost, lab_home: Path):
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:40123")
    host.rules["kind get clusters"] = ok("kubelab\n")
    partial = {n: ALL_IMAGES for n in NODES[:2]} | {NODES[2]: ALL_IMAGES[:1]}
    host.rules["kubectl get nodes -o json"] = ok(nodes_json(partial))

    assert main(["up", "--backend", "kind"]) == 0

    builds = [line for line in host.lines() if line.startswith("docker build")]
    assert len(builds) == 1 and "VERSION=2.5.0" in builds[0]
    assert "kind load docker-image kubelab/inference:2.5.0 --name kubelab" in host.lines()


def test_down_deletes_the_cluster_and_the_lab_kubeconfig(host: FakeHost, lab_home: Path):
    kubeconfig = write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:1")
    (lab_home / "backend").write_text("kind\n")

    assert main(["down"]) == 0

    assert host.lines() == [f"kind delete cluster --name kubelab --kubeconfig {kubeconfig}"]
    assert not kubeconfig.exists()
    assert not (lab_home / "backend").exists()


def test_down_force_deletes_a_leftover_cluster_without_a_kubeconfig(host: FakeHost, lab_home):
    assert main(["down", "--force"]) == 0
    assert host.lines() == [
        f"kind delete cluster --name kubelab --kubeconfig {lab_home / 'kubeconfig'}"
    ]


def test_auto_picks_sim_when_kind_is_missing(host: FakeHost, capsys, monkeypatch):
    import kubelab._backend_sim as sim

    monkeypatch.setattr(sim, "simulator_built", lambda: False)
    del host.binaries["kind"]
    assert main(["up"]) == 4
    assert "simulator is not built yet" in capsys.readouterr().err
    assert host.calls == []


@pytest.mark.parametrize(
    "env_backend, expected_first",
    [
        pytest.param("kind", "docker info --format {{.ServerVersion}}", id="env-kind"),
        pytest.param("KIND", "docker info --format {{.ServerVersion}}", id="env-case-insensitive"),
    ],
)
def test_backend_can_come_from_the_environment(
    host: FakeHost, monkeypatch, lab_home, env_backend, expected_first
):
    monkeypatch.setenv("KUBELAB_BACKEND", env_backend)
    host.rules["kind create cluster"] = kind_creates_kubeconfig(lab_home)
    assert main(["up"]) == 0
    assert host.lines()[0] == expected_first
