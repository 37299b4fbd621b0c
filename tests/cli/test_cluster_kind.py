"""`kubelab up` / `down` on the kind backend: the exact docker, kind and kubectl commands.

kind cannot run on the project's machines (no Docker daemon), so these tests are the kind
path's proof here: every command it would run, in order, against a fake docker and kind.
The real run is the CI workflow's kind job (.github/workflows/ci.yml).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, fail, nodes_json, ok, write_kubeconfig

from kubelab._backend_base import REPO_ROOT, LabPaths
from kubelab._backend_kind import NODE_IMAGE, kind_too_old
from kubelab._images import addon_images, context_digest, pod_images
from kubelab.cli import main

KIND_YAML = REPO_ROOT / "manifests" / "cluster" / "kind.yaml"
METRICS = REPO_ROOT / "manifests" / "addons" / "metrics-server.yaml"
INFERENCE = REPO_ROOT / "inference"
DIGEST = context_digest(INFERENCE)
[METRICS_IMAGE] = addon_images(LabPaths(home=Path("/unused")))
ALL_IMAGES = [
    f"docker.io/kubelab/inference:2.4.0-{DIGEST}",
    f"docker.io/kubelab/inference:2.5.0-{DIGEST}",
    METRICS_IMAGE,
]
NODES = ("kubelab-control-plane", "kubelab-worker", "kubelab-worker2")
LOAD_ALL = (
    f"kind load docker-image kubelab/inference:2.4.0 kubelab/inference:2.4.0-{DIGEST} "
    f"kubelab/inference:2.5.0 kubelab/inference:2.5.0-{DIGEST} {METRICS_IMAGE} --name kubelab"
)


def build_line(version: str) -> str:
    return (
        f"docker build -f {INFERENCE}/Dockerfile --build-arg VERSION={version} "
        f"-t kubelab/inference:{version} -t kubelab/inference:{version}-{DIGEST} {INFERENCE}"
    )


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
        "kind version",
        "kind get clusters",
        f"kind create cluster --name kubelab --config {KIND_YAML} --image {NODE_IMAGE} "
        f"--kubeconfig {kubeconfig} --wait 120s",
        "kubectl get nodes -o json",
        build_line("2.4.0"),
        build_line("2.5.0"),
        f"docker image inspect {METRICS_IMAGE}",
        LOAD_ALL,
        "kubectl -n kube-system get deployment metrics-server --ignore-not-found -o name",
        f"kubectl apply -f {METRICS}",
        "kubectl wait --for=condition=Ready nodes --all --timeout=180s",
        "kubectl -n kube-system wait --for=condition=Ready pod --all --timeout=180s",
    ]
    out = capsys.readouterr().out
    assert "[1/7] Check Docker and kind" in out
    # the count announced is the count done (a stale total once promised an eighth step)
    assert "[7/7] Wait until kube-system pods are Ready" in out and "[8/" not in out
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
    assert not [line for line in lines if "config set-context" in line], "up selects nothing"
    out = capsys.readouterr().out
    assert "already exists; keeping it" in out
    assert "already loaded" in out
    assert "already installed" in out


def test_up_loads_only_the_images_a_node_lacks(host: FakeHost, lab_home: Path):
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:40123")
    host.rules["kind get clusters"] = ok("kubelab\n")
    partial = {n: ALL_IMAGES for n in NODES[:2]} | {NODES[2]: [ALL_IMAGES[0], ALL_IMAGES[2]]}
    host.rules["kubectl get nodes -o json"] = ok(nodes_json(partial))

    assert main(["up", "--backend", "kind"]) == 0

    builds = [line for line in host.lines() if line.startswith("docker build")]
    assert builds == [build_line("2.5.0")]
    assert (
        f"kind load docker-image kubelab/inference:2.5.0 kubelab/inference:2.5.0-{DIGEST} "
        "--name kubelab"
    ) in host.lines()


def test_an_edit_to_the_app_rebuilds_and_reloads_both_versions(
    host: FakeHost, lab_home: Path, tmp_path: Path
):
    """The nodes hold images of an older inference/ (another content tag): rebuilt, reloaded."""
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:40123")
    host.rules["kind get clusters"] = ok("kubelab\n")
    old = [
        "docker.io/kubelab/inference:2.4.0",
        "docker.io/kubelab/inference:2.4.0-0123456789ab",
        "docker.io/kubelab/inference:2.5.0",
        "docker.io/kubelab/inference:2.5.0-0123456789ab",
        METRICS_IMAGE,
    ]
    host.rules["kubectl get nodes -o json"] = ok(nodes_json({n: old for n in NODES}))

    assert main(["up", "--backend", "kind"]) == 0

    lines = host.lines()
    assert [line for line in lines if line.startswith("docker build")] == [
        build_line("2.4.0"),
        build_line("2.5.0"),
    ]
    assert [line for line in lines if line.startswith("kind load")] == [
        f"kind load docker-image kubelab/inference:2.4.0 kubelab/inference:2.4.0-{DIGEST} "
        f"kubelab/inference:2.5.0 kubelab/inference:2.5.0-{DIGEST} --name kubelab"
    ]


def test_the_content_tag_follows_the_build_context_and_ignores_caches(tmp_path: Path):
    context = tmp_path / "inference"
    shutil.copytree(INFERENCE, context, ignore=shutil.ignore_patterns("__pycache__"))
    before = context_digest(context)
    assert before == DIGEST or (INFERENCE / "__pycache__").exists()
    (context / "__pycache__").mkdir(exist_ok=True)
    (context / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"cache")
    assert context_digest(context) == before, "a cache is not a change"
    (context / "_server.py").write_text((context / "_server.py").read_text() + "\n# edit\n")
    assert context_digest(context) != before


def test_metrics_server_is_pulled_on_the_host_then_loaded_so_the_nodes_never_pull(
    host: FakeHost, lab_home: Path
):
    host.rules["kind create cluster"] = kind_creates_kubeconfig(lab_home)
    host.rules[f"docker image inspect {METRICS_IMAGE}"] = fail(f"No such image: {METRICS_IMAGE}")

    assert main(["up", "--backend", "kind"]) == 0

    lines = host.lines()
    pull = lines.index(f"docker pull {METRICS_IMAGE}")
    assert pull < lines.index(LOAD_ALL) < lines.index(f"kubectl apply -f {METRICS}")
    manifest = METRICS.read_text()
    assert "imagePullPolicy: IfNotPresent" in manifest and ":latest" not in manifest


def test_containerd_image_store_falls_back_to_a_one_platform_archive(
    host: FakeHost, lab_home: Path, monkeypatch
):
    """kind issue 3795: `kind load docker-image` fails with "content digest ... not found"."""
    import kubelab._images as images

    monkeypatch.setattr(images.platform, "machine", lambda: "x86_64")
    host.rules["kind create cluster"] = kind_creates_kubeconfig(lab_home)
    host.rules["kind load docker-image"] = fail(
        'ERROR: failed to load image: command "docker exec --privileged -i kubelab-worker ctr '
        '--namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -" '
        "failed with error: exit status 1\nCommand Output: ctr: content digest "
        "sha256:44b2c602cb838fd6a647d6d48cf0e6f56227351b2903263d60637ebd26545a8d: not found"
    )

    assert main(["up", "--backend", "kind"]) == 0

    archive = lab_home / "images" / "kubelab-images.tar"
    images = LOAD_ALL.removeprefix("kind load docker-image ").removesuffix(" --name kubelab")
    lines = host.lines()
    at = lines.index(LOAD_ALL)
    assert lines[at + 1 : at + 3] == [
        f"docker image save --platform linux/amd64 -o {archive} {images}",
        f"kind load image-archive {archive} --name kubelab",
    ]


def test_another_load_failure_is_reported_not_papered_over(host: FakeHost, lab_home, capsys):
    host.rules["kind create cluster"] = kind_creates_kubeconfig(lab_home)
    host.rules["kind load docker-image"] = fail('ERROR: no nodes found for cluster "kubelab"')
    assert main(["up", "--backend", "kind"]) == 5
    err = " ".join(capsys.readouterr().err.split())
    assert "`kind load` failed: ERROR: no nodes found" in err
    assert not [line for line in host.lines() if "image-archive" in line]


@pytest.mark.parametrize(
    "version, refused",
    [
        pytest.param("v0.31.0", True, id="v0.31-writes-v1beta3"),
        pytest.param("v0.20.0", True, id="v0.20"),
        pytest.param("v0.32.0", False, id="v0.32-first-with-v1beta4"),
        pytest.param("v0.33.0", False, id="pinned"),
        pytest.param("v1.0.0", False, id="future"),
        pytest.param(None, False, id="unreadable-dev-build"),
    ],
)
def test_kind_is_refused_exactly_below_v0_32(version, refused):
    assert (kind_too_old(version) is not None) is refused


@pytest.mark.parametrize(
    "doc, images",
    [
        pytest.param(
            {"kind": "Deployment", "spec": {"template": {"spec": {
                "initContainers": [{"image": "a:1"}], "containers": [{"image": "b:2"}]}}}},
            ["a:1", "b:2"], id="deployment-init-first",
        ),
        pytest.param({"kind": "Pod", "spec": {"containers": [{"image": "p:1"}]}}, ["p:1"],
                     id="pod"),
        pytest.param(
            {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"image": "c:1"}]}}}}}},
            ["c:1"], id="cronjob",
        ),
        pytest.param({"kind": "Service", "spec": {"ports": []}}, [], id="no-pods"),
    ],
)  # fmt: skip
def test_pod_images_reads_every_container_of_every_pod_template(doc, images):
    assert pod_images([doc, None]) == images


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
