"""Workshop bundles: everything a room without internet needs, made once on a connected machine.

    kubelab bundle OUT              docker pull + save the kind node image, the add-ons'
                                    images (metrics-server) and the inference images' Python
                                    base; `pip download` the Python packages kubelab installs
    kubelab up --from-bundle OUT    docker load those archives, then the kind path as usual,
                                    building the inference images on the bundled base: no pull

OUT/bundle.json says what is inside (data with its version and kind):

    apiVersion: kubelab.dev/v1, kind: Bundle, platform: linux/amd64,
    images: [{role: node|addon|base, name, source, file}], wheels: wheels

The node image is saved under its tag (`kindest/node:v1.37.0`) rather than its digest
reference: `docker save` of a digest reference loads back without that reference, so kind,
asked for the digest, would try to pull it. The wheels are for the Python and platform of
the machine that made the bundle; the room's machines must match (docs/instructors.md).
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelab import _procs
from kubelab._backend_base import LabPaths, check
from kubelab._backend_kind import NODE_IMAGE, OfflineImages, node_tag
from kubelab._errors import UsageError
from kubelab._images import addon_images, base_image, docker_platform
from kubelab._progress import Progress

BUNDLE_FILE = "bundle.json"
ROLES = ("node", "addon", "base")


@dataclass(frozen=True)
class BundleImage:
    role: str
    name: str  # as it is saved and loaded
    source: str  # as it is pulled (the node image by digest)
    file: str  # relative to the bundle folder


def archive_name(image: str) -> str:
    """`registry.k8s.io/metrics-server/metrics-server:v0.8.1` -> a safe file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", image.split("@", 1)[0]) + ".tar"


def bundle_images(paths: LabPaths) -> list[BundleImage]:
    """What a bundle holds: the node image, every add-on image, the inference base image."""
    images = [BundleImage("node", node_tag(), NODE_IMAGE, "images/" + archive_name(node_tag()))]
    images += [
        BundleImage("addon", image, image, "images/" + archive_name(image))
        for image in addon_images(paths)
    ]
    base = base_image(paths)
    images.append(BundleImage("base", base, base, "images/" + archive_name(base)))
    return images


def requirements(pyproject: Path) -> list[str]:
    """What `pip install -e .` needs: the build system's requirements and the dependencies."""
    data = tomllib.loads(pyproject.read_text())
    return [*data["build-system"]["requires"], *data["project"]["dependencies"]]


def image_argvs(image: BundleImage, out: Path, *, platform_: str) -> list[list[str]]:
    argvs = [["docker", "pull", "--platform", platform_, image.source]]
    if image.name != image.source:
        argvs.append(["docker", "tag", image.source, image.name])
    argvs.append(["docker", "image", "save", "-o", str(out / image.file), image.name])
    return argvs


def wheels_argv(out: Path, reqs: list[str]) -> list[str]:
    return [sys.executable, "-m", "pip", "download", "--dest", str(out / "wheels"), *reqs]


def manifest(images: list[BundleImage], *, platform_: str, wheels: bool) -> dict[str, Any]:
    return {
        "apiVersion": "kubelab.dev/v1",
        "kind": "Bundle",
        "platform": platform_,
        "images": [vars(image) for image in images],
        "wheels": "wheels" if wheels else None,
    }


def make(paths: LabPaths, out: Path, *, wheels: bool, progress: Progress) -> dict[str, Any]:
    """Pull and save every image, download the wheels, then write bundle.json (last, so a
    half-made bundle has none and `--from-bundle` refuses it)."""
    if _procs.which("docker") is None:
        raise UsageError(
            "`kubelab bundle` saves Docker images, and `docker` is not on PATH. Make the "
            "bundle on a machine with Docker and internet, then copy the folder to the room."
        )
    platform_ = docker_platform()
    images = bundle_images(paths)
    (out / "images").mkdir(parents=True, exist_ok=True)
    for image in images:
        progress.step(f"Save the {image.role} image {image.name}")
        for argv in image_argvs(image, out, platform_=platform_):
            check(
                _procs.run(argv, timeout=1800),
                f"`{' '.join(argv[:3])} ...` for {image.name}",
                "A bundle is made on a machine with internet and a running Docker.",
            )
    if wheels:
        progress.step("Download the Python packages (pip download)")
        check(
            _procs.run(wheels_argv(out, requirements(paths.repo / "pyproject.toml")), timeout=1800),
            "`pip download`",
            "A bundle is made on a machine with internet (PyPI).",
        )
    else:
        progress.skip("Download the Python packages (pip download)", "--no-wheels")
    data = manifest(images, platform_=platform_, wheels=wheels)
    (out / BUNDLE_FILE).write_text(json.dumps(data, indent=2) + "\n")
    return data


def read(folder: Path) -> OfflineImages:
    """The images of a bundle made by `kubelab bundle`, each archive checked to be there."""
    path = folder / BUNDLE_FILE
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise UsageError(
            f"{path} does not exist, so {folder} is not a finished workshop bundle. Make one "
            "with `kubelab bundle DIR` on a machine with internet and copy DIR here."
        ) from exc
    except ValueError as exc:
        raise UsageError(f"{path} is not JSON ({exc}); make the bundle again.") from exc
    images = data.get("images") if isinstance(data, dict) else None
    if data.get("kind") != "Bundle" or not isinstance(images, list):
        raise UsageError(f"{path} is not a kubelab bundle (kind: Bundle with images).")
    by_role: dict[str, list[dict[str, Any]]] = {role: [] for role in ROLES}
    for image in images:
        by_role.setdefault(str(image.get("role")), []).append(image)
    if len(by_role["node"]) != 1 or len(by_role["base"]) != 1:
        raise UsageError(f"{path} must list one node image and one base image; make it again.")
    archives = [folder / str(image["file"]) for image in images]
    missing = [str(a) for a in archives if not a.is_file()]
    if missing:
        raise UsageError(
            f"The bundle {folder} lacks {', '.join(missing)}: copy the whole folder, or make "
            "it again with `kubelab bundle`."
        )
    return OfflineImages(
        archives=tuple(archives),
        node=str(by_role["node"][0]["name"]),
        base=str(by_role["base"][0]["name"]),
    )
