"""The images the course runs, and their names: pure functions, no process runs here.

* the inference images, built from `inference/` and tagged twice: by version
  (`kubelab/inference:2.4.0`, what the manifests name) and by content
  (`kubelab/inference:2.4.0-<12 hex of a hash of inference/>`), so an edit to the app is a
  tag the nodes lack;
* the add-ons' images (metrics-server), read from `manifests/addons/*.yaml`;
* the Python base the inference Dockerfile builds on (`ARG BASE_IMAGE=...`);
* which of them a node lacks, from `kubectl get nodes -o json` (`status.images`).
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from kubelab._backend_base import LabPaths
from kubelab._errors import ClusterError

INFERENCE_VERSIONS = ("2.4.0", "2.5.0")
INFERENCE_REPO = "kubelab/inference"
_SKIPPED_IN_CONTEXT = {"__pycache__", ".pytest_cache", ".mypy_cache"}


def image_tag(version: str) -> str:
    return f"{INFERENCE_REPO}:{version}"


def context_digest(context: Path) -> str:
    """A hash of the build context (every file's path and bytes), 12 hex digits.

    Caches and compiled files are left out: they change without the app changing.
    """
    digest = hashlib.sha256()
    files = sorted(
        path
        for path in context.rglob("*")
        if path.is_file()
        and not _SKIPPED_IN_CONTEXT & set(path.relative_to(context).parts)
        and path.suffix != ".pyc"
    )
    for path in files:
        digest.update(path.relative_to(context).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def content_tag(version: str, digest: str) -> str:
    """`kubelab/inference:2.4.0-<digest>`: changes whenever the build context does."""
    return f"{INFERENCE_REPO}:{version}-{digest}"


def pod_images(documents: Iterable[object]) -> list[str]:
    """Every container image of the pods and pod templates in some manifests, in order."""
    found: list[str] = []
    for doc in documents:
        if not isinstance(doc, dict):
            continue
        spec = doc.get("spec") or {}
        if doc.get("kind") != "Pod":
            spec = ((spec.get("jobTemplate") or {}).get("spec") or spec).get("template") or {}
            spec = spec.get("spec") or {}
        for key in ("initContainers", "containers"):
            for container in spec.get(key) or []:
                image = container.get("image")
                if image and image not in found:
                    found.append(image)
    return found


def addon_images(paths: LabPaths) -> list[str]:
    """The images of the add-ons `up` installs (metrics-server), read from their manifests."""
    images: list[str] = []
    for path in sorted((paths.manifests / "addons").glob("*.yaml")):
        for image in pod_images(yaml.safe_load_all(path.read_text())):
            if image not in images:
                images.append(image)
    return images


def base_image(paths: LabPaths) -> str:
    """The default `BASE_IMAGE` of the inference Dockerfile (`ARG BASE_IMAGE=...`)."""
    text = (paths.repo / "inference" / "Dockerfile").read_text()
    match = re.search(r"^ARG\s+BASE_IMAGE=(\S+)", text, re.MULTILINE)
    if not match:
        raise ClusterError(
            f"{paths.repo / 'inference' / 'Dockerfile'} has no `ARG BASE_IMAGE=...` line, so "
            "kubelab cannot tell which Python image the inference images are built on."
        )
    return match.group(1)


def docker_platform() -> str:
    """The platform the nodes run, as Docker names it: `linux/amd64` or `linux/arm64`."""
    machine = platform.machine().lower()
    return "linux/" + {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, "amd64"
    )


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
