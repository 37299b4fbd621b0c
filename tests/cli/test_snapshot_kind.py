"""`kubelab snapshot save|restore` on kind: the commands of the Kubernetes docs' "Operating
etcd clusters for Kubernetes", at the subprocess boundary (no kind runs here; the fake
docker and kubectl answer), plus the shell the restore runs on the node, run for real on a
copy of kubeadm's etcd manifest with a fake crictl: it must point the data volume, and only
the data volume, at the restored folder.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from _cli_fakes import FakeHost, fail, ok, write_kubeconfig

from kubelab._backend_kind import (
    BBOLT_MAGIC,
    ETCD_MANIFEST,
    RESTORE_STAGED,
    etcd_restore_argv,
    snapshot_take_out_argv,
)
from kubelab.cli import main

NODE = "kubelab-control-plane"
CERTS = (
    "--cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt "
    "--key=/etc/kubernetes/pki/etcd/server.key"
)

# kubeadm's etcd static pod manifest, the parts that name the data folder
KUBEADM_ETCD = """\
spec:
  containers:
  - command:
    - etcd
    - --data-dir=/var/lib/etcd
    volumeMounts:
    - mountPath: /var/lib/etcd
      name: etcd-data
    - mountPath: /etc/kubernetes/pki/etcd
      name: etcd-certs
  volumes:
  - hostPath:
      path: /etc/kubernetes/pki/etcd
      type: DirectoryOrCreate
    name: etcd-certs
  - hostPath:
      path: /var/lib/etcd
      type: DirectoryOrCreate
    name: etcd-data
"""


@pytest.fixture
def kind_lab(lab_home: Path) -> Path:
    write_kubeconfig(lab_home / "kubeconfig", "kind-kubelab", "https://127.0.0.1:40123")
    (lab_home / "backend").write_text("kind\n")
    return lab_home


def _snapshot_file(tmp_path: Path) -> Path:
    file = tmp_path / "etcd.db"
    file.write_bytes(b"\0" * 16 + BBOLT_MAGIC + b"\0" * 4076)
    return file


def test_save_runs_etcdctl_in_the_etcd_pod_and_copies_the_file_out(
    host: FakeHost, kind_lab, tmp_path, capsys
):
    target = tmp_path / "backup.db"
    assert main(["snapshot", "save", str(target)]) == 0

    assert host.lines() == [
        "kubectl exec -n kube-system etcd-kubelab-control-plane -- etcdctl "
        f"--endpoints=https://127.0.0.1:2379 {CERTS} snapshot save /var/lib/etcd/kubelab-snapshot.db",
        " ".join(snapshot_take_out_argv()),
        f"docker cp {NODE}:/tmp/kubelab-snapshot.db {target}",
    ]
    assert "Saved an etcd snapshot" in capsys.readouterr().out


def test_restore_stops_the_api_server_restores_into_a_new_data_dir_and_starts_it(
    host: FakeHost, kind_lab, tmp_path, capsys
):
    file = _snapshot_file(tmp_path)
    parked = {"apiserver": False}

    def mv(argv):
        parked["apiserver"] = argv[-1] == "/etc/kubernetes/kube-apiserver.yaml"
        return ok()

    host.rules[f"docker exec {NODE} mv"] = mv
    host.rules[f"docker exec {NODE} test -e"] = lambda argv: (
        fail("", 1) if parked["apiserver"] else ok()
    )
    host.rules["kubectl get --raw /readyz"] = lambda argv: (
        fail() if parked["apiserver"] else ok("ok")
    )

    assert main(["snapshot", "restore", str(file)]) == 0

    lines = host.lines()
    restore = [line for line in lines if "etcdutl" in line]
    assert len(restore) == 1
    new_dir = re.search(r"--data-dir /var/lib/etcd/(restore-\d+) snapshot restore", restore[0])
    assert new_dir, restore[0]
    assert "--bump-revision 1000000000 --mark-compacted" in restore[0]
    order = [
        f"docker cp {file} {NODE}:{RESTORE_STAGED}",
        f"docker exec {NODE} mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/kube-apiserver.yaml",
        restore[0],
        f"docker exec {NODE} mv /etc/kubernetes/kube-apiserver.yaml /etc/kubernetes/manifests/kube-apiserver.yaml",
    ]
    assert [line for line in lines if line in order] == order
    assert "Restored etcd from" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "words"),
    [(None, "There is no snapshot at"), (b"hello" * 10, "is not an etcd snapshot")],
)
def test_a_missing_file_or_not_a_snapshot_is_refused_before_anything_runs(
    host: FakeHost, kind_lab, tmp_path, capsys, content, words
):
    file = tmp_path / "x.db"
    if content is not None:
        file.write_bytes(content)
    assert main(["snapshot", "restore", str(file)]) != 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert words in text and "nothing was restored" in text and "Traceback" not in text
    assert host.lines() == []


def test_a_restore_with_the_control_plane_down_is_refused(
    host: FakeHost, kind_lab, tmp_path, capsys
):
    host.rules[f"docker exec {NODE} test -e"] = fail("", 1)  # the API server's manifest is parked
    assert main(["snapshot", "restore", str(_snapshot_file(tmp_path))]) != 0
    out = capsys.readouterr()
    assert "kubelab fix control-plane-down" in out.out + out.err
    assert not any("etcdutl" in line or "docker cp" in line for line in host.lines())


def test_the_node_script_points_only_the_data_volume_at_the_restored_folder(tmp_path: Path):
    node = tmp_path / "node"
    manifest = node / "manifests" / "etcd.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(KUBEADM_ETCD)
    data = node / "var-lib-etcd"
    data.mkdir()
    staged = node / "staged.db"
    staged.write_text("snapshot")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    crictl = bin_dir / "crictl"
    # `crictl ps -q` names the container; `crictl exec C etcdutl ...` records its arguments
    crictl.write_text(
        f'#!/bin/sh\n[ "$1" = ps ] && {{ echo c0ffee; exit 0; }}\necho "$@" > {tmp_path}/etcdutl\n'
    )
    crictl.chmod(crictl.stat().st_mode | stat.S_IEXEC)

    def localise(script: str) -> str:
        # the node's paths, moved under tmp_path; the container's own paths stay as they are
        script = script.replace(ETCD_MANIFEST, str(manifest)).replace(RESTORE_STAGED, str(staged))
        return script.replace("path: \\(/var/lib/etcd", f"path: \\({data}")

    manifest.write_text(KUBEADM_ETCD.replace("path: /var/lib/etcd", f"path: {data}"))
    for round_, name in enumerate(("restore-1", "restore-2")):
        staged.write_text("snapshot")
        script = localise(etcd_restore_argv(name)[-1])
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        subprocess.run(["sh", "-c", script], check=True, env=env, timeout=30)
        said = (tmp_path / "etcdutl").read_text().split()
        assert said[:5] == ["exec", "c0ffee", "etcdutl", "--data-dir", f"/var/lib/etcd/{name}"], (
            said
        )
        text = manifest.read_text()
        expected = data / "restore-1" if round_ == 0 else data / "restore-1" / "restore-2"
        assert f"path: {expected}\n" in text, text
        # the mount, the flag and the certificates' hostPath are untouched
        assert "mountPath: /var/lib/etcd\n" in text and "--data-dir=/var/lib/etcd\n" in text
        assert "path: /etc/kubernetes/pki/etcd\n" in text
        assert not staged.exists()
        (expected).mkdir(exist_ok=True)  # what etcdutl made on the node: the next volume
