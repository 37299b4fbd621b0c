"""The volume manager's edge (`kubesim/kubelet/_volumemanager.py`): the AtomicWriter layout
and its swap, hostPath folders and their type checks, and containers' mounts (subPath,
subPathExpr, readOnly), on a temporary node folder."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.kubelet._env import ConfigError
from kubesim.kubelet._mounts import Mount
from kubesim.kubelet._volumemanager import (
    Volume,
    VolumeManager,
    container_mounts,
    host_path,
    write_atomic,
)
from kubesim.kubelet._volumes import File, MountError
from kubesim.store.sqlite import Store

T0 = datetime(2026, 12, 5, 6, 0, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 5, 6, 1, 0, tzinfo=UTC)


def _stamped(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("..2026"))


def test_the_atomic_writer_lays_out_a_timestamped_folder_data_link_and_key_links(
    tmp_path: Path,
) -> None:
    vol = tmp_path / "config"
    files = [File("game.properties", b"lives=3", 0o644), File("conf/ui", b"blue", 0o600)]
    assert write_atomic(vol, files, now=T0)
    (stamp,) = _stamped(vol)
    assert stamp.startswith("..2026_12_05_06_00_00.")
    assert os.readlink(vol / "..data") == stamp
    assert os.readlink(vol / "game.properties") == "..data/game.properties"
    assert os.readlink(vol / "conf") == "..data/conf"
    assert (vol / "conf" / "ui").read_bytes() == b"blue"
    assert (vol / "game.properties").stat().st_mode & 0o777 == 0o644
    assert (vol / "conf" / "ui").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in vol.iterdir()) == sorted(
        ["..data", stamp, "conf", "game.properties"]
    )


def test_an_update_swaps_data_and_drops_the_old_folder_and_removed_keys(tmp_path: Path) -> None:
    vol = tmp_path / "config"
    write_atomic(vol, [File("a", b"1"), File("b", b"2")], now=T0)
    (old,) = _stamped(vol)
    assert write_atomic(vol, [File("a", b"changed")], now=T1)
    (new,) = _stamped(vol)
    assert new != old and new.startswith("..2026_12_05_06_01_00.")
    assert os.readlink(vol / "..data") == new
    assert (vol / "a").read_bytes() == b"changed"
    assert not os.path.lexists(vol / "b")


def test_unchanged_content_is_not_rewritten(tmp_path: Path) -> None:
    vol = tmp_path / "config"
    write_atomic(vol, [File("a", b"1", 0o644)], now=T0)
    before = _stamped(vol)
    assert not write_atomic(vol, [File("a", b"1", 0o644)], now=T1)
    assert _stamped(vol) == before
    assert write_atomic(vol, [File("a", b"1", 0o400)], now=T1)  # a mode change is a change


@pytest.mark.parametrize("path", ["../escape", "/abs", "a/../../b"])
def test_the_writer_refuses_paths_that_leave_the_volume(tmp_path: Path, path: str) -> None:
    with pytest.raises(MountError, match="must be relative"):
        write_atomic(tmp_path / "v", [File(path, b"x")], now=T0)


# -- hostPath ----------------------------------------------------------------------------------


def test_directory_or_create_makes_a_node_folder_that_outlives_the_pod(tmp_path: Path) -> None:
    node = tmp_path / "nodes" / "kind-worker"
    first = host_path(node, "/data/models", "DirectoryOrCreate")
    assert first == node / "data" / "models" and first.is_dir()
    (first / "model.bin").write_bytes(b"weights")
    again = host_path(node, "/data/models", "Directory")  # the next pod on the node
    assert (again / "model.bin").read_bytes() == b"weights"


@pytest.mark.parametrize(
    "prepare, host_type, message",
    [
        pytest.param(None, "Directory", "/srv/x is not a directory", id="directory-missing"),
        pytest.param("file", "Directory", "/srv/x is not a directory", id="directory-is-file"),
        pytest.param("file", "DirectoryOrCreate", "/srv/x is not a directory", id="doc-on-file"),
        pytest.param(None, "File", "/srv/x is not a file", id="file-missing"),
        pytest.param("dir", "FileOrCreate", "/srv/x is not a file", id="foc-on-dir"),
        pytest.param("file", "Socket", "/srv/x is not a socket file", id="socket"),
        pytest.param("file", "CharDevice", "/srv/x is not a character device", id="char"),
        pytest.param("file", "BlockDevice", "/srv/x is not a block device", id="block"),
    ],
)
def test_host_path_type_checks_fail_with_the_kubelets_words(
    tmp_path: Path, prepare: str | None, host_type: str, message: str
) -> None:
    node = tmp_path / "node"
    (node / "srv").mkdir(parents=True)
    if prepare == "file":
        (node / "srv" / "x").write_text("")
    elif prepare == "dir":
        (node / "srv" / "x").mkdir()
    with pytest.raises(MountError) as caught:
        host_path(node, "/srv/x", host_type)
    assert str(caught.value) == f"hostPath type check failed: {message}"


def test_file_or_create_and_socket_pass_their_checks(tmp_path: Path) -> None:
    node = tmp_path / "node"
    made = host_path(node, "/run/xtables.lock", "FileOrCreate")
    assert made.is_file() and made.stat().st_mode & 0o777 == 0o644
    (node / "var").mkdir()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(node / "var" / "s.sock"))
        assert host_path(node, "/var/s.sock", "Socket") == node / "var" / "s.sock"


def test_an_unset_type_creates_a_missing_folder_as_containerd_does(tmp_path: Path) -> None:
    assert host_path(tmp_path / "node", "/lib/modules", "").is_dir()


def test_a_symlink_out_of_the_node_is_refused(tmp_path: Path) -> None:
    node = tmp_path / "node"
    node.mkdir()
    (node / "etc").symlink_to("/etc")  # what a pod could leave behind in a hostPath folder
    with pytest.raises(MountError, match="leads out of the node's filesystem"):
        host_path(node, "/etc/passwd", "File")
    other = tmp_path / "other-node"
    assert host_path(other, "/../../../etc", "DirectoryOrCreate") == other / "etc"


# -- a container's mounts ---------------------------------------------------------------------


def test_mounts_resolve_subpath_subpathexpr_and_read_only(tmp_path: Path) -> None:
    config = tmp_path / "config"
    write_atomic(config, [File("nginx.conf", b"server {}")], now=T0)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    scratch.chmod(0o777)
    container = {
        "name": "web",
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/nginx/nginx.conf", "subPath": "nginx.conf"},
            {"name": "scratch", "mountPath": "/cache", "readOnly": True},
            {"name": "scratch", "mountPath": "/logs", "subPathExpr": "$(POD_NAME)/logs"},
        ],
    }
    volumes = {"config": Volume(config, read_only=True), "scratch": Volume(scratch)}
    mounts = container_mounts(container, volumes, {"POD_NAME": "web-0"})
    (stamp,) = _stamped(config)
    assert mounts == [
        Mount(config / stamp / "nginx.conf", "/etc/nginx/nginx.conf", read_only=True),
        Mount(scratch, "/cache", read_only=True),
        Mount((scratch / "web-0" / "logs").resolve(), "/logs", read_only=False),
    ]
    assert (scratch / "web-0" / "logs").is_dir()  # created, as the kubelet creates a subPath


@pytest.mark.parametrize(
    "mount",
    [
        pytest.param({"subPath": "../../etc"}, id="dotdot"),
        pytest.param({"subPath": "/etc"}, id="absolute"),
        pytest.param({"subPath": "link"}, id="symlink-out"),
        pytest.param({"subPathExpr": "$(WHERE)"}, id="expr-expands-out"),
    ],
)
def test_a_subpath_that_leaves_its_volume_is_a_container_config_error(
    tmp_path: Path, mount: dict[str, str]
) -> None:
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "link").symlink_to("/etc")
    container = {"name": "c", "volumeMounts": [{"name": "v", "mountPath": "/x", **mount}]}
    with pytest.raises(ConfigError) as caught:
        container_mounts(container, {"v": Volume(vol)}, {"WHERE": "../.."})
    assert str(caught.value) == 'failed to prepare subPath for volumeMount "v" of container "c"'


def test_a_mount_of_an_unknown_volume_is_a_container_config_error() -> None:
    container = {"name": "c", "volumeMounts": [{"name": "ghost", "mountPath": "/x"}]}
    with pytest.raises(ConfigError, match='cannot find volume "ghost" to mount into container "c"'):
        container_mounts(container, {}, {})


def test_a_subpath_through_a_symlink_creates_nothing_outside_the_volume(tmp_path: Path) -> None:
    vol, outside = tmp_path / "vol", tmp_path / "outside"
    vol.mkdir()
    outside.mkdir()
    (vol / "link").symlink_to(outside)  # what a container could leave in its emptyDir
    container = {
        "name": "c",
        "volumeMounts": [{"name": "v", "mountPath": "/x", "subPath": "link/new"}],
    }
    with pytest.raises(ConfigError):
        container_mounts(container, {"v": Volume(vol)}, {})
    assert not (outside / "new").exists()


def test_a_node_disk_error_is_a_failed_mount_not_a_crash(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    api = Api(store)
    bootstrap(api)
    manager = VolumeManager(api, root=tmp_path / "kubelet", node="kind-worker")
    pod = {
        "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
        "spec": {"containers": [], "volumes": [{"name": "scratch", "emptyDir": {}}]},
    }
    plugin_dir = manager.pod_dir("u1") / "kubernetes.io~empty-dir"
    plugin_dir.parent.mkdir(parents=True)
    plugin_dir.write_text("not a folder")
    (error,) = manager.setup(pod)
    # as Go's os.MkdirAll says it, at the path the node knows (not kubesim's folder)
    assert error == (
        'MountVolume.SetUp failed for volume "scratch" : mkdir '
        "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir: not a directory"
    )
    store.close()


def test_orphaned_pod_volumes_are_removed_and_live_ones_and_node_data_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    manager = VolumeManager(Api(store), root=tmp_path / "kubelet", node="kind-worker")
    for uid in ("gone", "live"):
        (manager.pod_dir(uid) / "kubernetes.io~empty-dir" / "x").mkdir(parents=True)
    (manager.root / "pods" / "gone" / "app" / "logs").mkdir(parents=True)
    kept = host_path(manager.node_root, "/data", "DirectoryOrCreate")
    manager.remove_orphans({"live"})
    assert not manager.pod_dir("gone").exists()
    assert (manager.root / "pods" / "gone" / "app" / "logs").is_dir()  # logs are not volumes
    assert manager.pod_dir("live").is_dir() and kept.is_dir()
    store.close()
