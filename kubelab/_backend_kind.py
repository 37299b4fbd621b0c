"""The kind backend: a real Kubernetes 1.37 in Docker, 1 control plane + 2 workers.

`up` is idempotent: each step first looks at what is already there (the cluster in
`kind get clusters`, the images in the nodes' `status.images`, the metrics-server
Deployment) and does only what is missing. The pure functions below build the exact argv
of every command, so tests assert them without Docker.

Pins (kind v0.33.0 release notes, current 2026-11-24): kind v0.33.0 and its v1.37.0 node
image by digest. The image is pinned in two places that must agree, `NODE_IMAGE` here
(passed as `--image`) and each node of `manifests/cluster/kind.yaml`; a test keeps them equal.
"""

from __future__ import annotations

import json
import platform
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kubelab import _procs
from kubelab._backends import (
    LabPaths,
    check,
    docker_daemon_up,
    ensure_lab_namespace,
    run_kubectl,
    wait_nodes_ready,
)
from kubelab._errors import BackendMissing, ClusterError
from kubelab._kubeconfig import CLUSTER_NAME, require_lab_kubeconfig
from kubelab._progress import Progress

KIND_VERSION = "v0.33.0"
NODE_IMAGE = (
    "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5"
)
NODE_MINOR = (1, 37)
INFERENCE_VERSIONS = ("2.4.0", "2.5.0")
INFERENCE_REPO = "kubelab/inference"
NODE_PORT = 30080  # extraPortMappings in kind.yaml: the NodePort answers on localhost:30080
WAIT = "120s"


@dataclass(frozen=True)
class KindFacts:
    """What `up` found before acting (gathered at the edge, decided on purely)."""

    cluster_exists: bool
    kubeconfig_exists: bool


# --- pure: commands -------------------------------------------------------------------


def image_tag(version: str) -> str:
    return f"{INFERENCE_REPO}:{version}"


def create_argv(paths: LabPaths) -> list[str]:
    return [
        "kind",
        "create",
        "cluster",
        "--name",
        CLUSTER_NAME,
        "--config",
        str(paths.manifests / "cluster" / "kind.yaml"),
        "--image",
        NODE_IMAGE,
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


def build_argv(paths: LabPaths, version: str) -> list[str]:
    context = paths.repo / "inference"
    return [
        "docker",
        "build",
        "-f",
        str(context / "Dockerfile"),
        "--build-arg",
        f"VERSION={version}",
        "-t",
        image_tag(version),
        str(context),
    ]


def load_argv(images: Iterable[str]) -> list[str]:
    return ["kind", "load", "docker-image", *images, "--name", CLUSTER_NAME]


def node_argv(name: str, action: str) -> list[str]:
    """A kind node is a Docker container of the same name: `docker stop kubelab-worker2`."""
    return ["docker", action, name]


def clusters_listed(stdout: str) -> list[str]:
    """`kind get clusters` prints one name a line (and "No kind clusters found." on stderr)."""
    return [line.strip() for line in stdout.splitlines() if line.strip()]


def missing_images(nodes_json: str, wanted: Iterable[str]) -> list[str]:
    """The wanted images that some node does not hold yet, from `kubectl get nodes -o json`.

    containerd names a loaded image `docker.io/kubelab/inference:2.4.0`; the kubelet lists
    every name of every image in `status.images[].names`.
    """
    try:
        nodes = json.loads(nodes_json).get("items") or []
    except (ValueError, AttributeError):
        nodes = []
    wanted = list(wanted)
    if not nodes:
        return wanted
    missing = []
    for image in wanted:
        forms = {image, f"docker.io/{image}", f"docker.io/library/{image}"}
        for node in nodes:
            names = {
                name
                for entry in (node.get("status") or {}).get("images") or []
                for name in entry.get("names") or []
            }
            if not forms & names:
                missing.append(image)
                break
    return missing


def parse_kind_version(stdout: str) -> str | None:
    """`kind version` prints e.g. `kind v0.33.0 go1.25.4 linux/amd64`."""
    match = re.search(r"\bv(\d+\.\d+\.\d+)", stdout)
    return f"v{match.group(1)}" if match else None


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


class KindBackend:
    name = "kind"

    def __init__(self, paths: LabPaths) -> None:
        self.paths = paths

    def steps(self) -> int:
        # preflight, cluster, build, load, metrics-server, namespace, nodes, kube-system
        return 8

    def preflight(self) -> None:
        """Docker CLI, its daemon and kind, each with its own paragraph when missing."""
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

    def cluster_exists(self) -> bool:
        listed = _procs.run(["kind", "get", "clusters"], timeout=60)
        check(listed, "`kind get clusters`", "Check that Docker is running (`docker info`).")
        return CLUSTER_NAME in clusters_listed(listed.stdout)

    def up(self, progress: Progress) -> None:
        paths = self.paths
        progress.step("Check Docker and kind")
        self.preflight()
        facts = KindFacts(
            cluster_exists=self.cluster_exists(), kubeconfig_exists=paths.kubeconfig.exists()
        )
        self._cluster(progress, facts)
        self._images(progress)
        self._metrics_server(progress)
        ensure_lab_namespace(paths, progress)
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
        if not _procs.port_free(NODE_PORT):
            raise ClusterError(port_in_use(NODE_PORT))
        progress.step(title)
        paths.home.mkdir(parents=True, exist_ok=True)
        check(
            _procs.run(create_argv(paths), env=_procs.lab_env(paths.kubeconfig), timeout=900),
            "`kind create cluster`",
            "Run `kubelab doctor` to check Docker and memory, then `kubelab down --force` and "
            "`kubelab up` to start over.",
        )

    def _images(self, progress: Progress) -> None:
        paths = self.paths
        wanted = [image_tag(v) for v in INFERENCE_VERSIONS]
        nodes = run_kubectl(paths, "get", "nodes", "-o", "json")
        missing = missing_images(nodes.stdout if nodes.ok else "", wanted)
        if not missing:
            progress.skip("Build the inference images", "already in every node")
            progress.skip("Load the images into the nodes", "already loaded")
            return
        progress.step("Build the inference images " + ", ".join(missing))
        for image in missing:
            version = image.rsplit(":", 1)[1]
            check(
                _procs.run(build_argv(paths, version), timeout=1800),
                f"`docker build` of {image}",
                f"Read the build output above; the Dockerfile is {paths.repo / 'inference'}.",
            )
        progress.step("Load the images into the nodes (kind load docker-image)")
        check(
            _procs.run(load_argv(missing), timeout=900),
            "`kind load docker-image`",
            "Check `docker images kubelab/inference` and run `kubelab up` again.",
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
        paths = self.paths
        if _procs.which("kind") is None:
            raise BackendMissing(
                f"kind is not on PATH, so kubelab cannot delete the kind cluster. "
                f"{kind_install_hint()}"
            )
        progress.step(f"Delete the kind cluster {CLUSTER_NAME}")
        check(
            _procs.run(delete_argv(paths), env=_procs.lab_env(paths.kubeconfig), timeout=300),
            "`kind delete cluster`",
            "Check that Docker is running (`docker info`) and try again.",
        )

    def node(self, name: str, action: str) -> None:
        """Stop or start a node's container; the kubelet in it stops or resumes with it."""
        if action not in ("stop", "start"):
            raise ValueError(f"node action is stop or start, not {action!r}")
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


def port_in_use(port: int) -> str:
    return (
        f"Port {port} on this machine is already in use, and the lab cluster maps it to the "
        f"NodePort {port} so the inference service answers at http://localhost:{port}. Find "
        f"what holds it (`lsof -i :{port}` or `ss -ltnp`), stop it, and run `kubelab up` again; "
        "or run `kubelab up --backend sim`, which does not need that port."
    )
