"""The container world, at the runtime: the root filesystem plan (pure), volumes bound at
their mountPath, `exec_spec` entering the container, and the catalog's schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kubesim.kubelet._images import CatalogError, Image, check_entry, pull
from kubesim.kubelet._mounts import Mount
from kubesim.kubelet._process import Limits, Network, Runtime, read_log
from kubesim.kubelet._rootfs import (
    Bind,
    Dir,
    Layout,
    LayoutError,
    Link,
    PodIdentity,
    hosts_file,
    resolv_conf,
)
from kubesim.kubelet._world import probe

BUSYBOX = pull("busybox:1.36")
world = pytest.mark.skipif(not probe().contained, reason="no namespaces on this machine")


# -- the plan (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pod, line",
    [
        pytest.param(PodIdentity("web-0", "lab", "10.244.1.5"), "10.244.1.5\tweb-0", id="plain"),
        pytest.param(
            PodIdentity("web-0", "lab", "10.244.1.5", subdomain="web"),
            "10.244.1.5\tweb-0.web.lab.svc.cluster.local\tweb-0",
            id="subdomain",
        ),
    ],
)
def test_etc_hosts_is_the_kubelets(pod: PodIdentity, line: str) -> None:
    text = hosts_file(pod)
    assert text.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert text.endswith(line + "\n")


def test_resolv_conf_is_the_kubelets_on_kind() -> None:
    assert resolv_conf(PodIdentity("p", "lab", "")) == (
        "search lab.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\noptions ndots:5\n"
    )


def test_a_path_below_a_host_folder_it_lacks_explodes_the_bind(tmp_path: Path) -> None:
    """A volume at /usr/share/nginx/html of an image sharing the host's /usr: /usr and
    /usr/share become layer folders binding each host entry, so the new mount point is made
    in the layer, never in the host's /usr."""
    host_usr = tmp_path / "usr"
    (host_usr / "share" / "doc").mkdir(parents=True)
    (host_usr / "bin").mkdir()
    (host_usr / "lib64").symlink_to("lib")
    layout = Layout()
    layout.add("/usr", Bind(host_usr))
    layout.add("/usr/share/nginx/html", Bind(tmp_path, read_only=False))
    assert layout.nodes["/usr"] == Dir() and layout.nodes["/usr/share"] == Dir()
    assert layout.nodes["/usr/bin"] == Bind(host_usr / "bin")
    assert layout.nodes["/usr/share/doc"] == Bind(host_usr / "share" / "doc")
    assert layout.nodes["/usr/lib64"] == Link("lib")
    assert layout.nodes["/usr/share/nginx"] == Dir()
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    layout.materialize(rootfs)
    assert (rootfs / "usr/share/nginx/html").is_dir()
    assert not (host_usr / "share" / "nginx").exists()


def test_symlinks_are_hard_links_to_templates_and_stay_each_containers_own(
    tmp_path: Path,
) -> None:
    """Each container start lays out a busybox /bin of 269 symlinks: they are hard links to
    one template per path and target, and what a container does to its entry (replace it,
    delete it) leaves the template and every other container's entry as they were."""
    links = tmp_path / "links"
    layout = Layout()
    layout.add("/bin/ls", Link("busybox"))
    layout.add("/bin/sh", Link("busybox"))
    layout.add("/dev/fd", Link("/proc/self/fd"))
    one = layout.materialize_fresh(tmp_path / "one" / "rootfs", links=links)
    two = layout.materialize_fresh(tmp_path / "two" / "rootfs", links=links)
    for rootfs in (one, two):
        assert {p.name: p.readlink().as_posix() for p in (rootfs / "bin").iterdir()} == {
            "ls": "busybox",
            "sh": "busybox",
        }
        assert (rootfs / "dev/fd").readlink().as_posix() == "/proc/self/fd"
    assert (one / "bin/ls").lstat().st_ino == (two / "bin/ls").lstat().st_ino
    assert (one / "bin/ls").lstat().st_ino != (one / "bin/sh").lstat().st_ino
    assert len(list(links.iterdir())) == 3 and (one / "bin/ls").lstat().st_nlink == 3
    (one / "bin/ls").unlink()
    (one / "bin/ls").symlink_to("/elsewhere")
    (one / "bin/sh").unlink()
    assert (two / "bin/ls").readlink().as_posix() == "busybox" and (two / "bin/sh").is_symlink()
    again = layout.materialize_fresh(tmp_path / "one" / "rootfs", links=links)
    assert (again / "bin/ls").readlink().as_posix() == "busybox"


def test_where_no_template_can_be_made_a_symlink_is_the_containers_own(tmp_path: Path) -> None:
    blocked = tmp_path / "links"
    blocked.write_text("a file, where the template folder would be")
    layout = Layout()
    layout.add("/bin/ls", Link("busybox"))
    made = layout.materialize_fresh(tmp_path / "rootfs", links=blocked)
    assert (made / "bin/ls").readlink().as_posix() == "busybox"
    assert (made / "bin/ls").lstat().st_nlink == 1


def test_a_mount_point_the_host_folder_has_stays_a_nested_bind(tmp_path: Path) -> None:
    (tmp_path / "usr" / "local").mkdir(parents=True)
    layout = Layout()
    layout.add("/usr", Bind(tmp_path / "usr"))
    layout.add("/usr/local", Bind(tmp_path))
    assert layout.nodes["/usr"] == Bind(tmp_path / "usr")
    assert [target for _, target, _ in layout.binds()] == ["/usr", "/usr/local"]


@pytest.mark.parametrize(
    "path", [pytest.param("relative/x", id="relative"), pytest.param("/a/../etc", id="dotdot")]
)
def test_paths_must_be_absolute_and_plain(path: str) -> None:
    with pytest.raises(LayoutError):
        Layout().add(path, Dir())


@pytest.mark.parametrize(
    "entry, says",
    [
        pytest.param(
            {"repository": "r", "tags": ["1"], "base": "alpine"}, "base 'alpine'", id="base"
        ),
        pytest.param(
            {"repository": "r", "tags": ["1"], "file": {}}, "unknown key(s) file", id="key"
        ),
        pytest.param(
            {"repository": "r", "tags": ["1"], "files": {"models": "x/y"}},
            "must be the absolute path",
            id="relative-files",
        ),
        pytest.param({"repository": "r", "tags": []}, "`tags` must be", id="no-tags"),
    ],
)
def test_catalog_entries_are_checked_with_clear_messages(entry: dict, says: str) -> None:
    with pytest.raises(CatalogError) as err:
        check_entry(entry, "images.yaml entry 7")
    assert says in str(err.value) and "images.yaml entry 7 (r)" in str(err.value)


def test_the_base_defaults_from_the_python_flag() -> None:
    assert check_entry({"repository": "r", "tags": ["1"], "python": True}, "e")["base"] == "python"
    assert check_entry({"repository": "r", "tags": ["1"]}, "e")["base"] == "busybox"
    assert pull("kubelab/inference:2.4.0").base == "python"


# -- in a real world -------------------------------------------------------------------------


async def _start(runtime: Runtime, image: Image, script: str, **kw):  # type: ignore[no-untyped-def]
    return await runtime.start(
        pod_uid="uid-w",
        container="c",
        restart_count=0,
        image=image,
        command=["sh", "-c", script],
        args=None,
        env={"HOSTNAME": "pod-a", "GREETING": "hi"},
        limits=Limits(),
        network=Network(
            "10.244.1.9", Path("/nonexistent/hosts"), ("lab.svc.cluster.local",), hostname="pod-a"
        ),
        **kw,
    )


@world
async def test_volumes_are_bound_at_their_mount_path(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "in.txt").write_text("from the volume\n")
    config = tmp_path / "app.conf"
    config.write_text("key=value\n")
    mounts = [
        Mount(data, "/data"),
        Mount(config, "/etc/app/app.conf", read_only=True),  # a subPath: a file onto a file
        Mount(data, "/srv/ro", read_only=True),
    ]
    script = (
        "cat /data/in.txt /etc/app/app.conf; echo out > /data/out.txt;"
        " (echo x > /srv/ro/y) 2>/dev/null || echo read-only"
    )
    running = await _start(Runtime(tmp_path / "k"), BUSYBOX, script, mounts=mounts)
    done = await asyncio.wait_for(running.wait(), 20)
    assert done.exit_code == 0
    assert read_log(running.log_path) == ["from the volume", "key=value", "read-only"]
    assert (data / "out.txt").read_text() == "out\n"  # written through to the node's folder


@world
async def test_exec_spec_enters_the_container(tmp_path: Path) -> None:
    """What `kubectl exec` and exec probes run: inside the container's root, hostname, PID
    namespace and working directory, with its environment."""
    running = await _start(Runtime(tmp_path), BUSYBOX, "echo up; touch /tmp/mine; sleep 30")
    try:
        for _ in range(100):
            if read_log(running.log_path):
                break
            await asyncio.sleep(0.05)
        spec = running.exec_spec(
            [
                "sh",
                "-c",
                "hostname; pwd; ls /tmp; echo $GREETING $EXTRA; ps -o comm | sort -u;"
                " grep CapBnd /proc/self/status",
            ],
            {"EXTRA": "there"},
        )
        proc = await asyncio.create_subprocess_exec(
            *spec.argv, cwd=spec.cwd, env=spec.env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0
        lines = out.decode().splitlines()
        assert lines[:4] == ["pod-a", "/", "mine", "hi there"]
        assert lines[-1].split() == ["CapBnd:", "00000000a80425fb"]  # the container's caps
        assert set(lines[4:-1]) <= {"COMMAND", "sh", "sleep", "ps", "sort"}, lines  # its own
        failing = running.exec_spec(["sh", "-c", "exit 3"])
        proc = await asyncio.create_subprocess_exec(*failing.argv, cwd=failing.cwd, env=failing.env)
        assert await asyncio.wait_for(proc.wait(), 20) == 3  # the exit code comes back
    finally:
        await running.stop(0.5)


@world
async def test_a_container_s_root_has_a_runtime_s_default_capabilities(tmp_path: Path) -> None:
    """Docker's and containerd's default set (0xa80425fb): no CAP_SYS_ADMIN, so a container
    cannot mount over its own root or set the hostname, as on a node."""
    script = "grep CapBnd /proc/self/status; mount -t tmpfs x /tmp 2>/dev/null || echo no-mount"
    running = await _start(Runtime(tmp_path), BUSYBOX, script)
    await asyncio.wait_for(running.wait(), 20)
    log = read_log(running.log_path)
    assert log == ["CapBnd:\t00000000a80425fb", "no-mount"]


@world
async def test_a_python_image_runs_the_debian_commands_that_are_alternatives(
    tmp_path: Path,
) -> None:
    """Debian's /usr/bin/which, awk, pager... are links through /etc/alternatives, so a
    python-based image (its /usr is the host's) needs that folder too: the Basics
    tutorial's shell in the bootcamp image runs `which`."""
    hosts = tmp_path / "dns" / "hosts"
    hosts.parent.mkdir()
    hosts.write_text("")
    running = await Runtime(tmp_path / "k").start(
        pod_uid="uid-p",
        container="c",
        restart_count=0,
        image=pull("python:3.12"),
        command=["sh", "-c", "which sh >/dev/null && echo which-ok; echo 'a b' | awk '{print $2}'"],
        args=None,
        env={"HOSTNAME": "pod-p"},
        limits=Limits(),
        network=Network("10.244.1.9", hosts, ("lab.svc.cluster.local",), hostname="pod-p"),
    )
    done = await asyncio.wait_for(running.wait(), 20)
    assert read_log(running.log_path) == ["which-ok", "b"], done


def test_every_entry_of_the_shipped_catalog_follows_the_schema() -> None:
    from kubesim.kubelet._images import _catalog

    entries = _catalog()
    assert {e["base"] for e in entries["docker.io/library/busybox"]} == {"busybox"}
    assert all(
        entry["base"] in ("busybox", "python", "scratch", "pause")
        for same in entries.values()
        for entry in same
    )
