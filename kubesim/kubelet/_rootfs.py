"""A container's root filesystem, assembled for its image under the pod's sandbox.

`root/pods/<uid>/<container>/rootfs` is the container's private writable layer: a plain
folder, made afresh for every start (a restarted container gets a new layer, as from a
runtime). It holds what the image owns and the container may write: `/tmp`, `/root`, `/etc`
as the kubelet and the image write it (`hosts`, `hostname`, `resolv.conf`, `passwd`...),
mount points, and the symlinks of the image's layout. What the image shares with the host
is *bound* into it by the init step (`_ctrinit`) inside the container's mount namespace,
never copied and never visible from the host:

  busybox  /bin/busybox from Debian's busybox-static, a symlink per applet in /bin, nothing
           else of the host
  python   the host's /usr (and /bin, /lib, /lib64, /sbin as the host has them) read-only,
           a private /usr/local holding `python3` (kubesim's interpreter) and a site dir
           whose .pth makes kubesim's dependencies and the kubesim package importable;
           /etc basics the interpreter needs
  scratch  nothing but what the catalog's `files` put there
  pause    the pause image: no shell and no tools, only /bin/sleep (busybox, kept at
           /.kubesim/busybox) for its `sleep infinity`, so `kubectl exec POD -- sh` fails
           as the docs' "Debug Running Pods" says before it reaches for an ephemeral container

`Layout` is a tree of container paths, each a layer folder, a written file, a symlink or a
bind of a host path. Placing something below a bound host folder where the host has no such
path (a volume at /usr/share/nginx/html of a python-based image) *explodes* that bind: the
folder becomes a layer folder holding a bind of each of the host folder's entries, so the
new path can be created without touching the host.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kubesim.kubelet._dnsconfig import PodDns
from kubesim.kubelet._images import Image
from kubesim.kubelet._mounts import Mount

BUSYBOX = Path("/bin/busybox")
DEVICES = ("null", "zero", "random", "urandom", "tty", "full")
BUSYBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PYTHON_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
NETSHIM = Path(__file__).resolve().parent / "_netshim" / "sitecustomize.py"
KUBESIM_PACKAGE = Path(__file__).resolve().parent.parent
CLUSTER_DNS = "10.96.0.10"
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
NSSWITCH = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
# alternatives: Debian links /usr/bin/which, awk, pager... through it (symlinks into /usr)
PYTHON_ETC = (
    "ssl",
    "ca-certificates",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "mime.types",
    "alternatives",
)


class LayoutError(Exception):
    """A path the image or a volume asks for cannot be placed (say, a file where a folder is)."""


@dataclass(frozen=True)
class Dir:
    mode: int = 0o755


@dataclass(frozen=True)
class File:
    content: str
    mode: int = 0o644


@dataclass(frozen=True)
class Link:
    target: str


@dataclass(frozen=True)
class Bind:
    source: Path
    read_only: bool = True


Node = Dir | File | Link | Bind


@dataclass(frozen=True)
class PodIdentity:
    """What the kubelet writes into a container's /etc: who the pod is on the network."""

    hostname: str
    namespace: str
    pod_ip: str
    subdomain: str = ""
    search: tuple[str, ...] = ()
    # from dnsPolicy and dnsConfig (_dnsconfig.pod_dns); None: the cluster's, as for a
    # ClusterFirst pod without dnsConfig
    dns: PodDns | None = None
    host_aliases: str = ""  # hostAliases' lines, already formatted


@dataclass
class Layout:
    """Container path -> what is there. Parents always come before their children."""

    nodes: dict[str, Node] = field(default_factory=lambda: {"/": Dir()})

    def add(self, path: str, node: Node, *, replace: bool = False) -> None:
        path = _norm(path)
        self._make_parents(path, node)
        if path in self.nodes and not replace and not isinstance(self.nodes[path], Dir | Bind):
            raise LayoutError(f"{path} is placed twice in the container's filesystem")
        if replace:  # drop what was placed below an old node at this path
            for child in [p for p in self.nodes if p.startswith(path + "/")]:
                del self.nodes[child]
        self.nodes[path] = node

    def _make_parents(self, path: str, node: Node) -> None:
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            parent = "/" + "/".join(parts[:depth])
            here = self.nodes.get(parent)
            if here is None:
                self.nodes[parent] = Dir()
            elif isinstance(here, Bind):
                rest = "/".join(parts[depth:])
                inside = here.source / rest
                fits = (
                    isinstance(node, Bind)
                    and not inside.is_symlink()
                    and (inside.is_dir() if node.source.is_dir() else inside.is_file())
                )
                if fits:
                    return  # a mount point the bound host folder already has
                self._explode(parent, here)
            elif not isinstance(here, Dir):
                raise LayoutError(f"{parent} is a file in the container, {path} cannot be below it")

    def _explode(self, path: str, bind: Bind) -> None:
        if not bind.source.is_dir():
            raise LayoutError(f"{path} is a file in the container, nothing can be placed below it")
        self.nodes[path] = Dir()
        for entry in sorted(os.scandir(bind.source), key=lambda e: e.name):
            child = f"{path.rstrip('/')}/{entry.name}"
            if child in self.nodes:
                continue
            if entry.is_symlink():
                self.nodes[child] = Link(os.readlink(entry.path))
            elif entry.is_dir() or entry.is_file():
                self.nodes[child] = Bind(Path(entry.path), bind.read_only)
            # sockets, fifos, devices of a host folder stay out of the container

    def binds(self) -> list[tuple[str, str, bool]]:
        """(host source, container target, read-only) in mount order."""
        return [
            (str(node.source), path, node.read_only)
            for path, node in sorted(self.nodes.items(), key=lambda kv: _depth_key(kv[0]))
            if isinstance(node, Bind)
        ]

    def materialize_fresh(self, rootfs: Path, *, links: Path | None = None) -> Path:
        """`materialize` into a new, empty `rootfs` folder (see `fresh`)."""
        made = fresh(rootfs)
        self.materialize(made, links=links)
        return made

    def materialize(self, rootfs: Path, *, links: Path | None = None) -> None:
        """Write the layer: folders, files, links and the mount point of every bind. A mount
        point below another bind is the bound host folder's own path (see `add`). With
        `links`, a folder on the same filesystem, each symlink is a hard link to a template
        kept there (`_link`)."""
        for path, node in sorted(self.nodes.items(), key=lambda kv: _depth_key(kv[0])):
            if self._under_bind(path):
                continue
            here = rootfs / path.lstrip("/")
            if isinstance(node, Dir):
                here.mkdir(exist_ok=True)
                here.chmod(node.mode)
            elif isinstance(node, File):
                here.write_text(node.content)
                here.chmod(node.mode)
            elif isinstance(node, Link):
                _link(here, path, node.target, links)
            elif node.source.is_dir():
                here.mkdir(exist_ok=True)
            else:
                here.touch()

    def _under_bind(self, path: str) -> bool:
        parts = path.strip("/").split("/")
        return any(
            isinstance(self.nodes.get("/" + "/".join(parts[:d])), Bind)
            for d in range(1, len(parts))
        )


def _link(here: Path, path: str, target: str, links: Path | None) -> None:
    """The symlink `here` -> `target`, as a hard link to a template symlink in `links`.

    A busybox image is 269 applet symlinks in /bin, laid out afresh for every container
    start. A new symlink is a new inode, and on a busy ext4 that allocation took 30-250 us
    (a tenth of a second of kernel CPU per busybox container), where a hard link to an
    existing inode takes 20 us. The template is per container path and target, so an inode
    is shared by one entry of each live container (far below ext4's 65,000 links), and a
    symlink's target cannot be changed in place: replacing or deleting the entry in one
    container leaves every other as it was. Where a hard link cannot be made (another
    filesystem, a link limit), the container gets its own symlink."""
    if links is not None:
        key = hashlib.sha1(f"{path}\0{target}".encode()).hexdigest()
        template = links / key
        for _ in range(2):
            try:
                os.link(template, here, follow_symlinks=False)
                return
            except FileNotFoundError:
                with contextlib.suppress(FileExistsError):  # made meanwhile by another start
                    links.mkdir(parents=True, exist_ok=True)
                    os.symlink(target, template)
            except OSError:
                break
    here.symlink_to(target)


def _norm(path: str) -> str:
    if not path.startswith("/"):
        raise LayoutError(f"{path!r} is not an absolute path")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise LayoutError(f"{path!r} must not contain '..'")
    return "/" + "/".join(parts)


def _depth_key(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


@cache
def busybox_applets() -> tuple[str, ...]:
    """The applets of the host's busybox (`busybox --list`); empty when it is missing."""
    if not BUSYBOX.is_file():
        return ()
    out = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=False)
    return tuple(sorted({a for a in out.stdout.split() if a and "/" not in a}))


def hosts_file(pod: PodIdentity) -> str:
    """/etc/hosts as the kubelet writes it (pkg/kubelet/kubelet_pods.go, managedHostsHeader)."""
    lines = [
        "# Kubernetes-managed hosts file.",
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "fe00::0\tip6-mcastprefix",
        "fe00::1\tip6-allnodes",
        "fe00::2\tip6-allrouters",
    ]
    if pod.pod_ip:
        if pod.subdomain:
            fqdn = f"{pod.hostname}.{pod.subdomain}.{pod.namespace}.svc.cluster.local"
            lines.append(f"{pod.pod_ip}\t{fqdn}\t{pod.hostname}")
        else:
            lines.append(f"{pod.pod_ip}\t{pod.hostname}")
    return "\n".join(lines) + "\n" + pod.host_aliases


def resolv_conf(pod: PodIdentity) -> str:
    """/etc/resolv.conf as the kubelet writes it for dnsPolicy ClusterFirst on kind."""
    search = pod.search or (
        f"{pod.namespace}.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
    )
    dns = pod.dns or PodDns((CLUSTER_DNS,), search, ("ndots:5",))
    # containerd's parseDNSOptions: search, the nameservers, options, each line only if set
    text = f"search {' '.join(dns.searches)}\n" if dns.searches else ""
    text += "".join(f"nameserver {server}\n" for server in dns.nameservers)
    return text + (f"options {' '.join(dns.options)}\n" if dns.options else "")


def image_path(image: Image) -> str:
    """The image's PATH, as its ENV sets it."""
    return image.env.get("PATH") or (PYTHON_PATH if image.base == "python" else BUSYBOX_PATH)


def _python_layer(layout: Layout, netshim: dict[str, str] | None, dns_dir: Path | None) -> None:
    """kubesim's interpreter as the image's `python3`, through a venv-style /usr/local."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    # the binary kubesim runs on (a venv's copy or the interpreter itself) and the prefix
    # its standard library is in, as this process found them (a user who cannot read the
    # interpreter's own prefix gets the system's, as kubesim itself does)
    binary = Path(sys.executable).resolve()
    base_prefix = Path(sys.base_prefix)
    layout.add("/usr/local", Dir(), replace=True)
    if not base_prefix.is_relative_to("/usr") or base_prefix.is_relative_to("/usr/local"):
        # the interpreter's own prefix, at its own path (its binary finds libpython there)
        layout.add(str(base_prefix), Bind(base_prefix))
    layout.add(
        "/usr/local/pyvenv.cfg",
        File(
            f"home = {base_prefix / 'bin'}\ninclude-system-site-packages = false\n"
            f"version = {'.'.join(map(str, sys.version_info[:3]))}\n"
        ),
    )
    layout.add(f"/usr/local/bin/{version}", Bind(binary))
    for name in ("python3", "python"):
        layout.add(f"/usr/local/bin/{name}", Link(version))
    site = f"/usr/local/lib/{version}/site-packages"
    deps = Path(sysconfig.get_paths()["purelib"])
    layout.add("/usr/local/lib/kubesim/kubesim", Bind(KUBESIM_PACKAGE))
    layout.add("/usr/local/lib/kubesim/deps", Bind(deps))
    layout.add(f"{site}/kubesim.pth", File("/usr/local/lib/kubesim\n/usr/local/lib/kubesim/deps\n"))
    if netshim is not None:
        layout.add(f"{site}/sitecustomize.py", File(NETSHIM.read_text()))
        layout.add(f"{site}/netshim.json", File(json.dumps(netshim)))
        if dns_dir is not None:
            layout.add("/usr/local/lib/kubesim/dns", Bind(dns_dir))


def plan(
    image: Image,
    pod: PodIdentity,
    *,
    mounts: Sequence[Mount] = (),
    netshim: dict[str, str] | None = None,
    dns_dir: Path | None = None,
) -> Layout:
    """Everything the container sees, by path."""
    layout = Layout()
    for name in (
        "proc",
        "sys",
        "dev",
        "dev/pts",
        "dev/shm",
        "etc",
        "root",
        "tmp",
        "var/tmp",
        "run",
    ):
        layout.add("/" + name, Dir())
    layout.add("/tmp", Dir(0o1777))
    layout.add("/var/tmp", Dir(0o1777))
    layout.add("/root", Dir(0o700))
    for node in DEVICES:
        layout.add(f"/dev/{node}", File("", 0o666))
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        layout.add(f"/dev/{name}", Link(target))
    if image.base == "pause":
        layout.add("/bin", Dir())
        layout.add("/.kubesim", Dir())
        layout.add("/.kubesim/busybox", Bind(BUSYBOX.resolve()))
        layout.add("/bin/sleep", Link("/.kubesim/busybox"))
    elif image.base == "busybox":
        for name in ("bin", "home", "usr/sbin", "var/spool/mail", "var/www"):
            layout.add("/" + name, Dir())
        layout.add("/bin/busybox", Bind(BUSYBOX.resolve()))
        for applet in busybox_applets():
            if applet != "busybox":
                layout.add(f"/bin/{applet}", Link("busybox"))
    elif image.base == "python":
        layout.add("/usr", Bind(Path("/usr")))
        for name in ("bin", "lib", "lib64", "lib32", "libx32", "sbin"):
            host = Path("/" + name)
            if host.is_symlink():
                layout.add("/" + name, Link(os.readlink(host)))
            elif host.is_dir():
                layout.add("/" + name, Bind(host))
        for name in PYTHON_ETC:
            host = Path("/etc") / name
            if host.exists():
                layout.add(f"/etc/{name}", Bind(host.resolve()))
        layout.add("/etc/nsswitch.conf", File(NSSWITCH))
        _python_layer(layout, netshim, dns_dir)
    layout.add("/etc/passwd", File(PASSWD))
    layout.add("/etc/group", File(GROUP))
    layout.add("/etc/hostname", File(pod.hostname + "\n"))
    layout.add("/etc/hosts", File(hosts_file(pod)))
    layout.add("/etc/resolv.conf", File(resolv_conf(pod)))
    for target, source in image.files.items():
        layout.add(target, Bind(source))
    if image.working_dir not in image.files:
        layout.add(image.working_dir or "/", Dir())
    for mount in mounts:
        layout.add(mount.target, Bind(mount.source, mount.read_only), replace=True)
    return layout


@dataclass(frozen=True)
class InitSpec:
    """What `_ctrinit` reads: the assembled tree and the command to become."""

    rootfs: Path
    binds: list[tuple[str, str, bool]]
    hostname: str
    working_dir: str
    argv: list[str]
    env: dict[str, str]
    status_fd: int
    stdout_fd: int | None  # the log pipes; None with a terminal (the console is all three)
    stderr_fd: int | None
    stdin_fd: int | None = None  # attach: a pipe
    # `tty: true`: a unix socket the init sends the master of the terminal it makes in the
    # container's own /dev/pts over (runc's console socket)
    console_fd: int | None = None
    devices: Iterable[str] = DEVICES
    # who the command runs as and what it may not do (`_securitycontext.Identity.init_fields`);
    # `user_namespace`: the container is already in a user namespace (rootless kubesim)
    identity: dict[str, Any] | None = None
    user_namespace: bool = False

    def write(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "rootfs": str(self.rootfs),
                    "binds": self.binds,
                    "hostname": self.hostname,
                    "workingDir": self.working_dir,
                    "argv": self.argv,
                    "env": self.env,
                    "statusFd": self.status_fd,
                    "stdoutFd": self.stdout_fd,
                    "stderrFd": self.stderr_fd,
                    "stdinFd": self.stdin_fd,
                    "consoleFd": self.console_fd,
                    "devices": list(self.devices),
                    **(self.identity or {}),
                    "userNamespace": self.user_namespace,
                }
            )
        )


def fresh(rootfs: Path) -> Path:
    """An empty layer at `rootfs` (the previous instance's, if any, is discarded)."""
    if rootfs.exists():
        shutil.rmtree(rootfs)
    rootfs.mkdir(parents=True)
    return rootfs
