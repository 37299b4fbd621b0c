"""The kind backend: a real Kubernetes 1.37 in Docker, 1 control plane + 2 workers.

`up` is idempotent: each step first looks at what is already there (the cluster in
`kind get clusters`, the images in the nodes' `status.images`, the metrics-server
Deployment) and does only what is missing. The pure functions below build the exact argv
of every command, so tests assert them without Docker.

Nothing is pulled by the cluster after `up`: every image the course runs (the inference
images, metrics-server's) is put into the nodes with `kind load`, and each manifest says
`imagePullPolicy: IfNotPresent`. An inference image is tagged twice, `kubelab/inference:2.4.0`
(what the manifests name) and `kubelab/inference:2.4.0-<hash of inference/>`, so an edit to
the app changes the second tag, which the nodes then lack, which rebuilds and reloads it.

With Docker's containerd image store `kind load docker-image` can fail with "content digest
... not found" (kind issue 3795: `docker save` exports an index whose other platforms are not
in the archive); `up` then falls back to `docker image save --platform linux/<arch>` and
`kind load image-archive`, the workaround kind's documentation gives.

kind older than v0.32.0 is refused: `manifests/cluster/kind.yaml` patches the kubeadm
ClusterConfiguration in the v1beta4 format (list-form `extraArgs`), and kind generates
v1beta4 only from v0.32.0 on (for Kubernetes 1.36+); an older kind writes v1beta3 and
silently skips a patch of another apiVersion, and cannot `kind load` into these node images.

Pins (kind v0.33.0 release notes, current 2026-11-24): kind v0.33.0 and its v1.37.0 node
image by digest. The image is pinned in two places that must agree, `NODE_IMAGE` here
(passed as `--image`) and each node of `manifests/cluster/kind.yaml`; a test keeps them equal.
"""

from __future__ import annotations

import platform
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kubelab import _procs
from kubelab._backend_base import (
    OK,
    WARN,
    LabPaths,
    Row,
    check,
    minor_of,
    run_kubectl,
    wait_nodes_ready,
)
from kubelab._errors import BackendMissing, ClusterError, UsageError
from kubelab._images import (
    INFERENCE_VERSIONS,
    addon_images,
    content_tag,
    context_digest,
    docker_platform,
    image_tag,
    missing_images,
)
from kubelab._kubeconfig import CLUSTER_NAME, LabKubeconfig, require_lab_kubeconfig
from kubelab._progress import Progress

KIND_VERSION = "v0.33.0"
# sha256 of kind v0.33.0's kind-linux-amd64 release binary, as its .sha256sum file gives it;
# the CI workflow and the Classroom workflow verify the download against it
KIND_SHA256_LINUX_AMD64 = "aee6151561422756b764a4ae28e7f44cda5af5a9eead3cc9985112b1de8d8e0d"
MIN_KIND_VERSION = (0, 32, 0)  # the first kind that writes kubeadm v1beta4 for 1.36+ nodes
NODE_IMAGE = (
    "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"
)
KIND_MEMORY = 4 * 1024**3  # what kind needs free for the lab's three nodes
# What was run where, truthfully (docs/instructors.md, "What was tested where"): the kind
# path's every command is tested against a fake docker and kind; the real kind run is the CI
# workflow's kind job.
TESTED_WHERE = (
    "the course is proven on kind only by the CI workflow's kind job (kind v0.33.0 on "
    "GitHub's ubuntu-latest); on this machine, other kind versions are untested."
)
WAIT = "120s"
# `kind load docker-image` with Docker's containerd image store (kind issue 3795)
DIGEST_NOT_FOUND = re.compile(r"content digest .*not found", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class KindFacts:
    """What `up` found before acting (gathered at the edge, decided on purely)."""

    cluster_exists: bool
    kubeconfig_exists: bool


# --- pure: commands -------------------------------------------------------------------


def node_tag(image: str = NODE_IMAGE) -> str:
    """The node image without its digest (`kindest/node:v1.37.0`): the name a bundle keeps,
    since `docker save` of a digest reference loads back without that reference."""
    return image.split("@", 1)[0]


def create_argv(paths: LabPaths, *, image: str = NODE_IMAGE) -> list[str]:
    return [
        "kind",
        "create",
        "cluster",
        "--name",
        CLUSTER_NAME,
        "--config",
        str(paths.manifests / "cluster" / "kind.yaml"),
        "--image",
        image,
        "--kubeconfig",
        str(paths.kubeconfig),
        "--wait",
        WAIT,
    ]


def delete_argv(paths: LabPaths) -> list[str]:
    return [
        "kind",
        "delete",
        "cluster",
        "--name",
        CLUSTER_NAME,
        "--kubeconfig",
        str(paths.kubeconfig),
    ]


def build_argv(paths: LabPaths, version: str, *, digest: str, base: str | None = None) -> list[str]:
    """`docker build` of one inference version, tagged by version and by content."""
    context = paths.repo / "inference"
    argv = ["docker", "build", "-f", str(context / "Dockerfile")]
    if base:
        argv += ["--build-arg", f"BASE_IMAGE={base}"]
    return [
        *argv,
        "--build-arg",
        f"VERSION={version}",
        "-t",
        image_tag(version),
        "-t",
        content_tag(version, digest),
        str(context),
    ]


def load_argv(images: Iterable[str]) -> list[str]:
    return ["kind", "load", "docker-image", *images, "--name", CLUSTER_NAME]


def archive_argv(images: Iterable[str], archive: Path, *, platform_: str) -> list[str]:
    """One platform only, so the archive holds every blob its index names (kind issue 3795)."""
    return ["docker", "image", "save", "--platform", platform_, "-o", str(archive), *images]


def load_archive_argv(archive: Path) -> list[str]:
    return ["kind", "load", "image-archive", str(archive), "--name", CLUSTER_NAME]


# node-memory-pressure on kind: a process in the node's container, outside any pod, takes
# all but 60Mi of MemAvailable (`tail` holds a line that never ends, while `sleep` keeps its
# input open); the node's root cgroup counts it, so the kubelet sees memory.available fall
# under 100Mi. `free-memory` kills that `tail` (its pid is `$!`, the pipeline's last).
MEMORY_HOG_PID = "/run/kubelab-memory-hog.pid"
MEMORY_HOG = (
    "avail=$(awk '/MemAvailable/ {print $2}' /proc/meminfo); "
    'n=$(( (avail - 61440) * 1024 )); [ "$n" -gt 0 ] || exit 0; '
    f'(head -c "$n" /dev/zero; exec sleep infinity) | tail & echo $! > {MEMORY_HOG_PID}; wait'
)


def node_argv(name: str, action: str) -> list[str]:
    """A kind node is a Docker container of the same name: `docker stop kubelab-worker2`;
    `fill-memory` starts the memory hog in it (detached), `free-memory` ends it."""
    if action == "fill-memory":
        return ["docker", "exec", "-d", name, "sh", "-c", MEMORY_HOG]
    if action == "free-memory":
        return [
            "docker",
            "exec",
            name,
            "sh",
            "-c",
            f"kill $(cat {MEMORY_HOG_PID}) 2>/dev/null; rm -f {MEMORY_HOG_PID}",
        ]
    return ["docker", action, name]


# kubeadm runs the API server as a static pod from this manifest; the kubelet starts and
# stops static pods as files appear in and leave /etc/kubernetes/manifests (it reads every
# file there, so the parked copy must live outside the folder).
CONTROL_PLANE_NODE = f"{CLUSTER_NAME}-control-plane"
APISERVER_MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"
APISERVER_PARKED = "/etc/kubernetes/kube-apiserver.yaml"
CONTROL_PLANE_STOP_TIMEOUT = 90.0  # the kubelet notices a removed manifest within ~20 s
CONTROL_PLANE_START_TIMEOUT = 180.0  # and a new API server takes a while to serve


def control_plane_argv(action: str) -> list[str]:
    """`docker exec` in the control-plane node: `status` tests for the API server's manifest,
    `stop` moves it out of the kubelet's static pod folder, `start` moves it back."""
    exec_ = ["docker", "exec", CONTROL_PLANE_NODE]
    if action == "status":
        return [*exec_, "test", "-e", APISERVER_MANIFEST]
    if action == "stop":
        return [*exec_, "mv", APISERVER_MANIFEST, APISERVER_PARKED]
    if action == "start":
        return [*exec_, "mv", APISERVER_PARKED, APISERVER_MANIFEST]
    raise ValueError(f"control plane action is stop, start or status, not {action!r}")


# etcd snapshots, as the Kubernetes docs' "Operating etcd clusters for Kubernetes" does
# them on a kubeadm node: etcdctl in the etcd static pod with kubeadm's certificates, the
# file written into etcd's data folder (a hostPath on the node) and copied out of the node
# container; a restore stops kube-apiserver, runs `etcdutl snapshot restore` into a new data
# dir (revision bumped and marked compacted, so no client sees it go back), points the etcd
# manifest's data volume at it (the kubelet restarts etcd) and starts kube-apiserver again.
ETCD_POD = f"etcd-{CONTROL_PLANE_NODE}"
ETCD_MANIFEST = "/etc/kubernetes/manifests/etcd.yaml"
ETCD_PKI = "/etc/kubernetes/pki/etcd"
ETCD_DATA = "/var/lib/etcd"  # where the etcd container sees its data volume
SNAPSHOT_IN_POD = f"{ETCD_DATA}/kubelab-snapshot.db"
RESTORE_STAGED = "/tmp/kubelab-restore.db"  # on the node, before it moves into the volume
RESTORE_BUMP = 1_000_000_000  # what the etcd docs suggest for --bump-revision
BBOLT_MAGIC = bytes.fromhex("edda0ced")  # bbolt's meta page magic 0xED0CDAED, little-endian


def etcdctl_save_args() -> list[str]:
    """kubectl args: `etcdctl snapshot save` in the etcd pod, into its data volume."""
    return [
        "exec", "-n", "kube-system", ETCD_POD, "--",
        "etcdctl", "--endpoints=https://127.0.0.1:2379",
        f"--cacert={ETCD_PKI}/ca.crt", f"--cert={ETCD_PKI}/server.crt",
        f"--key={ETCD_PKI}/server.key",
        "snapshot", "save", SNAPSHOT_IN_POD,
    ]  # fmt: skip


_FIND_DATA_HOSTPATH = (
    f"m={ETCD_MANIFEST}; "
    f"h=$(sed -n 's#^ *path: \\({ETCD_DATA}[^ ]*\\)$#\\1#p' $m); "
    '[ -n "$h" ] || { echo "no etcd data hostPath in $m" >&2; exit 1; }; '
)
SNAPSHOT_ON_NODE = "/tmp/kubelab-snapshot.db"


def snapshot_take_out_argv() -> list[str]:
    """On the node: move the snapshot from the data volume's hostPath (read from the etcd
    manifest: a restore moves it) to a fixed place `docker cp` can name."""
    script = f'set -e; {_FIND_DATA_HOSTPATH}mv "$h/kubelab-snapshot.db" {SNAPSHOT_ON_NODE}'
    return ["docker", "exec", CONTROL_PLANE_NODE, "sh", "-c", script]


def snapshot_copy_out_argv(file: Path) -> list[str]:
    return ["docker", "cp", f"{CONTROL_PLANE_NODE}:{SNAPSHOT_ON_NODE}", str(file)]


def snapshot_copy_in_argv(file: Path) -> list[str]:
    return ["docker", "cp", str(file), f"{CONTROL_PLANE_NODE}:{RESTORE_STAGED}"]


def etcd_restore_argv(new_dir: str) -> list[str]:
    """On the node, with kube-apiserver stopped: find the data volume's hostPath in the etcd
    manifest, move the snapshot into it, `etcdutl snapshot restore` in the etcd container
    into `new_dir` beside it, and point the manifest's data volume there."""
    script = (
        f"set -e; {_FIND_DATA_HOSTPATH}"
        f'mv {RESTORE_STAGED} "$h/kubelab-restore.db"; '
        "c=$(crictl ps -q --name '^etcd$'); "
        f'crictl exec "$c" etcdutl --data-dir {ETCD_DATA}/{new_dir} snapshot restore '
        f"{ETCD_DATA}/kubelab-restore.db --bump-revision {RESTORE_BUMP} --mark-compacted; "
        'rm -f "$h/kubelab-restore.db"; '
        f'sed -i "s#^\\( *path:\\) $h\\$#\\1 $h/{new_dir}#" $m'
    )
    return ["docker", "exec", CONTROL_PLANE_NODE, "sh", "-c", script]


def looks_like_etcd_snapshot(file: Path) -> bool:
    """An etcd snapshot is a bbolt database: its first meta page carries bbolt's magic."""
    try:
        with file.open("rb") as fh:
            head = fh.read(20)
    except OSError:
        return False
    return len(head) == 20 and head[16:20] == BBOLT_MAGIC


def clusters_listed(stdout: str) -> list[str]:
    """`kind get clusters` prints one name a line (and "No kind clusters found." on stderr)."""
    return [line.strip() for line in stdout.splitlines() if line.strip()]


def parse_kind_version(stdout: str) -> str | None:
    """`kind version` prints e.g. `kind v0.33.0 go1.25.4 linux/amd64`."""
    match = re.search(r"\bv(\d+\.\d+\.\d+)", stdout)
    return f"v{match.group(1)}" if match else None


def version_tuple(version: str | None) -> tuple[int, int, int] | None:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", version or "")
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def kind_too_old(version: str | None) -> str | None:
    """The paragraph refusing a kind older than v0.32.0; None when it is new enough (or its
    version cannot be read: a development build is given the benefit of the doubt)."""
    have = version_tuple(version)
    if have is None or have >= MIN_KIND_VERSION:
        return None
    need = "v" + ".".join(map(str, MIN_KIND_VERSION))
    return (
        f"kind {version} is too old for the lab cluster: manifests/cluster/kind.yaml patches "
        "the API server's settings in the kubeadm v1beta4 format (list-form extraArgs, "
        f"required by Kubernetes 1.37), which kind writes only from {need} on; an older kind "
        "writes v1beta3, silently skips the patch, and cannot `kind load` images into the "
        f"v1.37 node image. {kind_install_hint()} Then run `kubelab up` again, or run "
        "`kubelab up --backend sim` to use the built-in simulated cluster instead."
    )


def load_failed_on_digest(result: _procs.Result) -> bool:
    """`kind load docker-image` hit Docker's containerd image store (kind issue 3795)."""
    return not result.ok and bool(DIGEST_NOT_FOUND.search(result.stderr + result.stdout))


def docker_daemon_up() -> bool:
    if _procs.which("docker") is None:
        return False
    return _procs.run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=20).ok


def kind_install_hint() -> str:
    """How to get kind for this OS; kubelab never downloads it."""
    system = platform.system().lower()
    machine = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), "amd64"
    )
    if system == "windows":
        binary = f"https://kind.sigs.k8s.io/dl/{KIND_VERSION}/kind-windows-{machine}"
        fetch = f"download {binary} as kind.exe and put it on your PATH"
    else:
        osname = "darwin" if system == "darwin" else "linux"
        binary = f"https://kind.sigs.k8s.io/dl/{KIND_VERSION}/kind-{osname}-{machine}"
        fetch = (
            f"`curl -Lo ./kind {binary} && chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind`"
        )
    return (
        f"Install kind {KIND_VERSION}: `go install sigs.k8s.io/kind@{KIND_VERSION}` (needs Go; "
        f"puts kind in $(go env GOPATH)/bin), or the release binary for your system: {fetch}."
    )


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB"


@dataclass(frozen=True)
class KindMachine:
    """What `kubelab doctor` finds for kind: Docker, kind itself, and memory."""

    docker_cli: str | None  # version, "" when present but unparsable, None when absent
    docker_daemon: bool
    kind: str | None  # version, "" when present but unparsable, None when absent
    free_memory: int | None

    def _kind_ok(self) -> bool:
        return self.kind is not None and kind_too_old(self.kind) is None

    def usable(self) -> bool:
        return self._kind_ok() and self.docker_daemon

    def preferred(self) -> bool:
        return self.docker_daemon and self.kind is not None

    def needs(self) -> str:
        missing = [
            text
            for lacking, text in (
                (self.docker_cli is None, "Docker installed"),
                (
                    self.docker_cli is not None and not self.docker_daemon,
                    "the Docker daemon running",
                ),
                (self.kind is None, "kind installed"),
                (kind_too_old(self.kind) is not None, "kind v0.32.0 or newer"),
            )
            if lacking
        ]
        return "kind needs " + " and ".join(missing) if missing else ""

    def rows(self) -> list[Row]:
        rows: list[Row] = []
        if self.docker_cli is None:
            rows.append(
                Row(
                    "Docker CLI", WARN, "not on PATH",
                    "Only for the kind backend: install Docker (https://docs.docker.com/get-docker/).",
                )
            )  # fmt: skip
        else:
            rows.append(Row("Docker CLI", OK, self.docker_cli or "present"))
        if self.docker_daemon:
            rows.append(Row("Docker daemon", OK, "running (`docker info` answers)"))
        else:
            fix = (
                "Only for the kind backend: start Docker (Docker Desktop on macOS/Windows; "
                "`sudo systemctl start docker` on Linux) and check with `docker info`."
            )
            found = "not reachable (`docker info` fails)" if self.docker_cli is not None else "—"
            rows.append(Row("Docker daemon", WARN, found, fix))
        if self.kind is None:
            rows.append(
                Row(
                    "kind", WARN, "not on PATH", "Only for the kind backend. " + kind_install_hint()
                )
            )
        elif kind_too_old(self.kind):
            rows.append(
                Row(
                    "kind", WARN, f"{self.kind} (too old)",
                    "kind v0.32.0 or newer is needed: the cluster config patches kubeadm v1beta4, "
                    "which older kind skips. " + kind_install_hint(),
                )
            )  # fmt: skip
        elif minor_of(self.kind) != minor_of(KIND_VERSION):
            rows.append(
                Row(
                    "kind", WARN, self.kind or "present, version unknown",
                    f"kubelab pins kind {KIND_VERSION} (node image {NODE_IMAGE.split('@')[0]}); "
                    f"{TESTED_WHERE} " + kind_install_hint(),
                )
            )  # fmt: skip
        else:
            rows.append(Row("kind", OK, self.kind))
        if self.free_memory is None:
            rows.append(Row("free memory", WARN, "unknown", "kind needs about 4 GiB free."))
        elif self.free_memory < KIND_MEMORY:
            rows.append(
                Row(
                    "free memory", WARN, _gib(self.free_memory),
                    "kind needs about 4 GiB free for 3 nodes: close other programs, give Docker "
                    "Desktop more memory, or use `--backend sim`.",
                )
            )  # fmt: skip
        else:
            rows.append(Row("free memory", OK, _gib(self.free_memory)))
        return rows


def machine() -> KindMachine:
    """Look at this machine for kind (only through `kubelab._procs`)."""
    docker_cli: str | None = None
    if _procs.which("docker") is not None:
        out = _procs.run(["docker", "--version"], timeout=20)
        match = re.search(r"(\d+\.\d+\.\d+)", out.stdout)
        docker_cli = match.group(1) if match else ""
    kind: str | None = None
    if _procs.which("kind") is not None:
        kind = parse_kind_version(_procs.run(["kind", "version"], timeout=20).stdout) or ""
    return KindMachine(
        docker_cli=docker_cli,
        docker_daemon=docker_cli is not None and docker_daemon_up(),
        kind=kind,
        free_memory=_procs.free_memory(),
    )


DOCKER_DOWN = (
    "Docker is installed but its daemon is not running (`docker info` cannot reach it), so "
    "kind cannot create the lab cluster. Start Docker (Docker Desktop on macOS and Windows; "
    "`sudo systemctl start docker` on Linux, and add yourself to the `docker` group), check "
    "with `docker info`, and run `kubelab up` again, or run `kubelab up --backend sim` to use "
    "the built-in simulated cluster instead."
)
DOCKER_MISSING = (
    "Docker is not installed (no `docker` on PATH), and the kind backend runs Kubernetes "
    "inside Docker containers. Install Docker (https://docs.docker.com/get-docker/), start "
    "it, and run `kubelab up` again, or run `kubelab up --backend sim` to use the built-in "
    "simulated cluster instead."
)


# --- the backend ----------------------------------------------------------------------


@dataclass(frozen=True)
class OfflineImages:
    """What `kubelab up --from-bundle DIR` brings instead of a registry (see `_bundle`).

    archives: `docker save` tarballs to `docker load` first; node: the node image's name as
    loaded (`kindest/node:v1.37.0`); base: the Python image the inference images build on.
    """

    archives: tuple[Path, ...]
    node: str
    base: str


class KindBackend:
    name = "kind"

    def __init__(self, paths: LabPaths, *, offline: OfflineImages | None = None) -> None:
        self.paths = paths
        self.offline = offline

    def steps(self) -> int:
        # preflight, [bundle], cluster, build, load, metrics-server, nodes, kube-system
        return 8 if self.offline else 7

    def preflight(self) -> None:
        """Docker CLI, its daemon and kind (new enough), each with its own paragraph."""
        if _procs.which("docker") is None:
            raise BackendMissing(DOCKER_MISSING)
        if not docker_daemon_up():
            raise BackendMissing(DOCKER_DOWN)
        if _procs.which("kind") is None:
            raise BackendMissing(
                "kind is not installed (no `kind` on PATH); the kind backend needs it to run "
                f"Kubernetes in Docker. {kind_install_hint()} Then run `kubelab up` again, or "
                "run `kubelab up --backend sim` to use the built-in simulated cluster instead."
            )
        said = _procs.run(["kind", "version"], timeout=20)
        too_old = kind_too_old(parse_kind_version(said.stdout))
        if too_old:
            raise BackendMissing(too_old)

    def cluster_exists(self) -> bool:
        listed = _procs.run(["kind", "get", "clusters"], timeout=60)
        check(listed, "`kind get clusters`", "Check that Docker is running (`docker info`).")
        return CLUSTER_NAME in clusters_listed(listed.stdout)

    def up(self, progress: Progress) -> None:
        paths = self.paths
        progress.step("Check Docker and kind")
        self.preflight()
        if self.offline:
            self._load_bundle(progress, self.offline)
        facts = KindFacts(
            cluster_exists=self.cluster_exists(), kubeconfig_exists=paths.kubeconfig.exists()
        )
        self._cluster(progress, facts)
        self._images(progress)
        self._metrics_server(progress)
        wait_nodes_ready(paths, progress)
        # every kube-system pod, so DaemonSets (kube-proxy, kindnet) count as well as
        # Deployments (CoreDNS, metrics-server); kind runs nothing there that completes
        progress.step("Wait until kube-system pods are Ready (CoreDNS, kube-proxy, kindnet, ...)")
        check(
            run_kubectl(
                paths, "-n", "kube-system", "wait", "--for=condition=Ready",
                "pod", "--all", "--timeout=180s",
            ),
            "Waiting for kube-system",
            "Look at `kubectl -n kube-system get pods` with the lab kubeconfig; metrics-server "
            "needs a minute after the nodes are Ready.",
        )  # fmt: skip

    def _load_bundle(self, progress: Progress, offline: OfflineImages) -> None:
        """`docker load` every archive of the bundle into the host's Docker."""
        progress.step(f"Load the workshop bundle's {len(offline.archives)} image archives")
        for archive in offline.archives:
            check(
                _procs.run(["docker", "load", "-i", str(archive)], timeout=900),
                f"`docker load -i {archive}`",
                "The bundle may be incomplete or damaged: make it again with `kubelab bundle` "
                "on a machine with internet.",
            )

    def _cluster(self, progress: Progress, facts: KindFacts) -> None:
        paths = self.paths
        title = f"Create the kind cluster {CLUSTER_NAME} (1 control plane, 2 workers)"
        if facts.cluster_exists and not facts.kubeconfig_exists:
            raise ClusterError(
                f"A kind cluster named {CLUSTER_NAME!r} already exists, but the lab's "
                f"kubeconfig {paths.kubeconfig} does not, so kubelab did not create it (or lost "
                "track of it) and will not touch it. If it is a leftover lab cluster, delete it "
                f"with `kind delete cluster --name {CLUSTER_NAME}` or `kubelab down --force`, "
                "then run `kubelab up` again."
            )
        if facts.cluster_exists:
            require_lab_kubeconfig(paths.kubeconfig)
            progress.skip(title, "already exists; keeping it")
            return
        progress.step(title)
        paths.home.mkdir(parents=True, exist_ok=True)
        image = self.offline.node if self.offline else NODE_IMAGE
        check(
            _procs.run(
                create_argv(paths, image=image), env=_procs.lab_env(paths.kubeconfig), timeout=900
            ),
            "`kind create cluster`",
            "Run `kubelab doctor` to check Docker and memory, then `kubelab down --force` and "
            "`kubelab up` to start over.",
        )

    def _images(self, progress: Progress) -> None:
        """Build what changed, have every addon image locally, load what a node lacks."""
        paths = self.paths
        digest = context_digest(paths.repo / "inference")
        by_tag = {content_tag(v, digest): v for v in INFERENCE_VERSIONS}
        addons = addon_images(paths)
        nodes = run_kubectl(paths, "get", "nodes", "-o", "json")
        missing = missing_images(nodes.stdout if nodes.ok else "", [*by_tag, *addons])
        if not missing:
            progress.skip("Build the inference images", "already in every node")
            progress.skip("Load the images into the nodes", "already loaded")
            return
        versions = [by_tag[image] for image in missing if image in by_tag]
        if versions:
            progress.step("Build the inference images " + ", ".join(versions))
        else:
            progress.skip("Build the inference images", "unchanged and already in every node")
        base = self.offline.base if self.offline else None
        for version in versions:
            check(
                _procs.run(build_argv(paths, version, digest=digest, base=base), timeout=1800),
                f"`docker build` of {image_tag(version)}",
                f"Read the build output above; the Dockerfile is {paths.repo / 'inference'}.",
            )
        for image in (i for i in missing if i in addons):
            self._have_locally(image)
        to_load = [
            name
            for image in missing
            for name in ((image_tag(by_tag[image]), image) if image in by_tag else (image,))
        ]
        progress.step("Load the images into the nodes (kind load), so nothing is pulled later")
        loaded = _procs.run(load_argv(to_load), timeout=900)
        if load_failed_on_digest(loaded):
            # Docker's containerd image store: save one platform, load the archive
            archive = paths.home / "images" / "kubelab-images.tar"
            archive.parent.mkdir(parents=True, exist_ok=True)
            check(
                _procs.run(
                    archive_argv(to_load, archive, platform_=docker_platform()), timeout=900
                ),
                "`docker image save --platform` (the fallback for Docker's containerd image store)",
                "Docker 28 or newer is needed for `--platform`; or turn off the containerd image "
                "store in Docker's settings, then run `kubelab up` again.",
            )
            loaded = _procs.run(load_archive_argv(archive), timeout=900)
            archive.unlink(missing_ok=True)
        check(
            loaded,
            "`kind load`",
            "Check `docker images` lists " + ", ".join(to_load) + " and run `kubelab up` again.",
        )

    def _have_locally(self, image: str) -> None:
        """An addon image in the host's Docker: already there, or pulled (never offline)."""
        if _procs.run(["docker", "image", "inspect", image], timeout=60).ok:
            return
        if self.offline:
            raise ClusterError(
                f"The image {image} is neither in Docker nor in the workshop bundle, and "
                "`--from-bundle` never pulls. Make the bundle again with `kubelab bundle` from "
                "this version of the course (its add-on manifests name this image)."
            )
        check(
            _procs.run(["docker", "pull", image], timeout=900),
            f"`docker pull {image}`",
            "Check the machine's internet access, or bring the image with a workshop bundle "
            "(`kubelab bundle` on a connected machine, `kubelab up --from-bundle DIR` here).",
        )

    def _metrics_server(self, progress: Progress) -> None:
        paths = self.paths
        title = "Install metrics-server (with --kubelet-insecure-tls for kind)"
        there = run_kubectl(
            paths, "-n", "kube-system", "get", "deployment", "metrics-server",
            "--ignore-not-found", "-o", "name",
        )  # fmt: skip
        if there.ok and there.stdout.strip():
            progress.skip(title, "already installed")
            return
        progress.step(title)
        check(
            run_kubectl(
                paths, "apply", "-f", str(paths.manifests / "addons" / "metrics-server.yaml")
            ),
            "Applying metrics-server",
            "Run `kubelab status` to see whether the cluster answers, then `kubelab up` again.",
        )

    def down(self, progress: Progress, *, force: bool) -> None:
        if _procs.which("kind") is None:
            raise BackendMissing(
                f"kind is not on PATH, so kubelab cannot delete the kind cluster. "
                f"{kind_install_hint()}"
            )
        paths = self.paths
        progress.step(f"Delete the kind cluster {CLUSTER_NAME}")
        check(
            _procs.run(delete_argv(paths), env=_procs.lab_env(paths.kubeconfig), timeout=300),
            "`kind delete cluster`",
            "Check that Docker is running (`docker info`) and try again.",
        )

    def describe(self, info: LabKubeconfig) -> list[tuple[str, str]]:
        return [("backend", f"{self.name}: a real Kubernetes cluster in Docker (kind)")]

    def control_plane(self, action: str) -> str:
        """Stop or start the API server's static pod on the control-plane node (the
        controller manager and the scheduler then have no API to act through), or ask
        (`status`); returns `up` or `down` once the API answers or refuses accordingly."""
        if _procs.which("docker") is None:
            raise BackendMissing(DOCKER_MISSING)
        found = _procs.run(control_plane_argv("status"), timeout=60)
        if found.returncode not in (0, 1):
            raise ClusterError(
                f"Could not look into {CONTROL_PLANE_NODE} (`docker exec {CONTROL_PLANE_NODE} "
                f"test -e {APISERVER_MANIFEST}` said: {(found.stderr or '').strip()}). Check "
                "that Docker runs and that `docker ps` lists the node."
            )
        state = "up" if found.returncode == 0 else "down"
        if action == "status" or (action == "stop") == (state == "down"):
            return state
        check(
            _procs.run(control_plane_argv(action), timeout=60),
            f"`{' '.join(control_plane_argv(action))}`",
            f"Look with `docker exec {CONTROL_PLANE_NODE} ls /etc/kubernetes "
            "/etc/kubernetes/manifests`.",
        )
        want_answer = action == "start"
        timeout = CONTROL_PLANE_START_TIMEOUT if want_answer else CONTROL_PLANE_STOP_TIMEOUT
        deadline = _procs.monotonic() + timeout
        while _procs.monotonic() < deadline:
            if run_kubectl(self.paths, "get", "--raw", "/readyz", timeout=10).ok == want_answer:
                return "up" if want_answer else "down"
            _procs.sleep(2.0)
        raise ClusterError(
            f"The API server did not {'come back' if want_answer else 'stop'} within "
            f"{timeout:.0f} s after its manifest was moved. Look at the kubelet on the node: "
            f"`docker exec {CONTROL_PLANE_NODE} crictl ps -a --name kube-apiserver`."
        )

    def snapshot(self, action: str, file: Path) -> str:
        """etcd's snapshot (save) or restore, the Kubernetes docs' steps on the kind node."""
        if action not in ("save", "restore"):
            raise ValueError(f"snapshot action is save or restore, not {action!r}")
        if _procs.which("docker") is None:
            raise BackendMissing(DOCKER_MISSING)
        if action == "save":
            check(
                run_kubectl(self.paths, *etcdctl_save_args(), timeout=120),
                f"`kubectl exec -n kube-system {ETCD_POD} -- etcdctl ... snapshot save`",
                "The API server must answer for `kubectl exec` (`kubelab status`; after "
                "`kubelab break control-plane-down`, `kubelab fix control-plane-down` first).",
            )
            check(
                _procs.run(snapshot_take_out_argv(), timeout=60),
                f"moving the snapshot out of etcd's data folder on {CONTROL_PLANE_NODE}",
                f"Look at `docker exec {CONTROL_PLANE_NODE} ls {ETCD_DATA}` and {ETCD_MANIFEST}.",
            )
            check(
                _procs.run(snapshot_copy_out_argv(file), timeout=120),
                f"`docker cp` of the snapshot out of {CONTROL_PLANE_NODE}",
                f"Check that {file.parent} exists and is writable.",
            )
            return f"Saved an etcd snapshot to {file} (etcdctl snapshot save in {ETCD_POD})."
        if not file.is_file():
            raise UsageError(
                f"There is no snapshot at {file}: nothing was restored. Save one first with "
                "`kubelab snapshot save FILE`."
            )
        if not looks_like_etcd_snapshot(file):
            raise UsageError(
                f"{file} is not an etcd snapshot (an etcd snapshot is a bbolt database, and "
                "this file does not start like one): nothing was restored. Use a file "
                "`kubelab snapshot save FILE` wrote."
            )
        if self.control_plane("status") == "down":
            raise ClusterError(
                "The control plane is down (the control-plane-down fault): bring it back with "
                "`kubelab fix control-plane-down`, then restore. Nothing was restored."
            )
        new_dir = f"restore-{int(time.time())}"
        check(
            _procs.run(snapshot_copy_in_argv(file), timeout=120),
            f"`docker cp {file} {CONTROL_PLANE_NODE}:{RESTORE_STAGED}`",
            "Check that Docker runs and that `docker ps` lists the node.",
        )
        self.control_plane("stop")
        try:
            check(
                _procs.run(etcd_restore_argv(new_dir), timeout=180),
                "`etcdutl snapshot restore` in the etcd container",
                f"Look at `docker exec {CONTROL_PLANE_NODE} crictl ps -a --name etcd` and "
                f"{ETCD_MANIFEST}; the API server's manifest is parked in {APISERVER_PARKED}.",
            )
        finally:
            self.control_plane("start")  # the kubelet restarts kube-apiserver
        return (
            f"Restored etcd from {file} into {ETCD_DATA}/{new_dir} on {CONTROL_PLANE_NODE}; "
            "kube-apiserver is back. The pods' containers on the nodes kept running."
        )

    def node(self, name: str, action: str) -> None:
        """Stop or start a node's container; the kubelet in it stops or resumes with it."""
        if action not in ("stop", "start", "fill-memory", "free-memory"):
            raise ValueError(
                f"node action is stop, start, fill-memory or free-memory, not {action!r}"
            )
        if not name.startswith(CLUSTER_NAME + "-"):
            raise ClusterError(
                f"Refusing to {action} the container {name!r}: only the lab cluster's nodes "
                f"({CLUSTER_NAME}-...) are kubelab's to stop and start."
            )
        if _procs.which("docker") is None:
            raise BackendMissing(DOCKER_MISSING)
        check(
            _procs.run(node_argv(name, action), timeout=120),
            f"`docker {action} {name}`",
            f"Check that Docker is running (`docker info`) and that `docker ps -a` lists {name}.",
        )
