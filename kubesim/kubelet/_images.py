"""The image catalog: which images "exist", and how each runs as local processes.

The catalog is data (kubesim/images.yaml). Names are normalized the way a container runtime
does (`busybox` -> `docker.io/library/busybox:latest`), so `kubectl set image` to a tag with a
typo fails to pull exactly as on kind, with the same reasons.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kubesim.core.data import read_data

DEFAULT_REGISTRY = "docker.io"


@dataclass(frozen=True)
class ImageRef:
    repository: str  # docker.io/kubelab/inference
    tag: str

    @property
    def name(self) -> str:
        return f"{self.repository}:{self.tag}"


# the reference grammar of distribution/reference (regexp.go), which containerd and the
# kubelet parse image names with
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?"
)


def normalize(image: str) -> ImageRef:
    """Parse an image reference like the runtime (ParseNormalizedNamed): docker.io when no
    registry is named, library/ for its one-part names (`nginx`, `docker.io/nginx`), tag
    latest. Raises InvalidImageName for what the grammar refuses (`myClientImage`)."""
    domain, _, rest = image.partition("/")
    if not rest or (
        "." not in domain
        and ":" not in domain
        and domain != "localhost"
        and domain.lower() == domain
    ):
        domain, rest = DEFAULT_REGISTRY, image
    if domain == "index.docker.io":
        domain = DEFAULT_REGISTRY
    if domain == DEFAULT_REGISTRY and "/" not in rest:
        rest = f"library/{rest}"
    full = f"{domain}/{rest}"
    match = _REFERENCE.fullmatch(full)
    if match is None:
        if _REFERENCE.fullmatch(full.lower()) is not None:
            raise InvalidImageName("invalid reference format: repository name must be lowercase")
        raise InvalidImageName("invalid reference format")
    return ImageRef(repository=match["name"], tag=match["tag"] or "latest")


@dataclass(frozen=True)
class Image:
    """A pulled image: what the kubelet needs to start a container from it."""

    ref: ImageRef
    entrypoint: list[str]
    cmd: list[str]
    working_dir: str
    env: dict[str, str]
    files: dict[str, Path] = field(default_factory=dict)  # absolute container path -> content
    python: bool = False
    base: str = "busybox"  # busybox | python | scratch | pause: what of the host it stands on
    ignore_args: bool = False  # stand-ins for cluster components: the real flags mean nothing here
    handles_sigterm: bool = False  # the real program does, though its stand-in `sleep` does not
    # a stand-in image's real programs (`/agnhost`, `nginx`): a pod's `command` naming one runs
    # the stand-in's entrypoint with these arguments first, as the program would have run
    programs: dict[str, list[str]] = field(default_factory=dict)
    user: str = ""  # the image's USER ("10001", "10001:10001", "nginx"); "" runs as root

    @property
    def image_id(self) -> str:
        """A stable content-like digest, shaped like a registry's (`repo@sha256:...`)."""
        digest = hashlib.sha256(self.ref.name.encode()).hexdigest()
        return f"{self.ref.repository}@sha256:{digest}"

    def command(self, command: list[str] | None, args: list[str] | None) -> list[str]:
        """Kubernetes' rule: `command` replaces ENTRYPOINT (and drops CMD), `args` replaces CMD."""
        if self.ignore_args:
            command, args = None, None
        if command and command[0] in self.programs:  # the real image's program, by its path
            command = [*self.entrypoint, *self.programs[command[0]], *command[1:]]
        argv = (list(command) if command else self.entrypoint) + (
            list(args) if args else ([] if command else self.cmd)
        )
        return argv

    def host_command(self, argv: list[str]) -> list[str]:
        """Process mode: `python3` of an image is kubesim's own interpreter on this host."""
        if argv and argv[0] in ("python3", "python"):
            return [sys.executable, *argv[1:]]
        return argv


class PullError(Exception):
    """The image cannot be pulled. A tag the catalog's repository lacks gets the runtime's
    own `not found`; a repository kubesim has no stand-in for says so and where the catalog
    lives, since a registry's answer would send the learner hunting for a typo that is not
    there."""


class InvalidImageName(PullError):
    """The reference does not parse: the kubelet refuses it before any pull
    (InvalidImageName), in distribution/reference's words."""


class CatalogError(Exception):
    """kubesim/images.yaml breaks its schema (see the file's header); says which entry and key."""


BASES = ("busybox", "python", "scratch", "pause")
KEYS = {
    "repository",
    "tags",
    "entrypoint",
    "cmd",
    "workingDir",
    "env",
    "files",
    "python",
    "base",
    "ignoreArgs",
    "handlesSigterm",
    "programs",
    "user",
}


def check_entry(entry: Any, where: str) -> dict[str, Any]:
    """One catalog entry against the schema in images.yaml's header."""
    if not isinstance(entry, dict) or not isinstance(entry.get("repository"), str):
        raise CatalogError(f"{where}: an entry must be a mapping with a `repository` string")
    name = f"{where} ({entry['repository']})"
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise CatalogError(
            f"{name}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(sorted(KEYS))}"
        )
    base = entry.get("base", "python" if entry.get("python") else "busybox")
    if base not in BASES:
        raise CatalogError(f"{name}: base {base!r} is not one of {', '.join(BASES)}")
    for path in entry.get("files") or {}:
        if not str(path).startswith("/"):
            raise CatalogError(
                f"{name}: files key {path!r} must be the absolute path in the container, "
                "e.g. /app/models"
            )
    if not isinstance(entry.get("tags"), list) or not entry["tags"]:
        raise CatalogError(f"{name}: `tags` must be a non-empty list")
    return {**entry, "base": base}


@cache
def _catalog() -> dict[str, list[dict[str, Any]]]:
    """Each repository's entries: one per set of tags that behave alike (busybox 1.28's
    nslookup is not later busybox's), so a tag is in exactly one of them."""
    entries = read_data("images.yaml")
    out: dict[str, list[dict[str, Any]]] = {}
    for n, raw in enumerate(entries, 1):
        entry = check_entry(raw, f"images.yaml entry {n}")
        same = out.setdefault(entry["repository"], [])
        twice = sorted({str(t) for t in entry["tags"]} & {str(t) for e in same for t in e["tags"]})
        if twice:
            raise CatalogError(
                f"images.yaml entry {n} ({entry['repository']}): tag(s) {', '.join(twice)} "
                "already listed by another entry of the same repository"
            )
        same.append(entry)
    return out


def _resource_dir(spec: str) -> Path:
    package, _, sub = spec.partition("/")
    spec_ = importlib.util.find_spec(package)
    if spec_ is None or not spec_.submodule_search_locations:
        raise PullError(f"image content {spec!r} is not installed (package {package!r} missing)")
    return Path(next(iter(spec_.submodule_search_locations))) / sub


def pull(image: str) -> Image:
    """Resolve an image reference, or raise PullError worded as containerd words it."""
    ref = normalize(image)
    entries = _catalog().get(ref.repository)
    if entries is None:
        raise PullError(
            f'kubesim has no stand-in for image "{ref.name}": the simulator runs only the '
            f"images in its catalog (kubesim/images.yaml; `python -m kubesim images` lists "
            f"them), and {ref.repository} is not one of them. Check the name for a typo, or "
            "run this image on a real cluster (kind)"
        )
    entry = next((e for e in entries if ref.tag in e["tags"]), None)
    if entry is None:
        raise PullError(
            f'failed to pull and unpack image "{ref.name}": failed to resolve reference '
            f'"{ref.name}": {ref.name}: not found'
        )
    env = {k: str(v).replace("{tag}", ref.tag) for k, v in (entry.get("env") or {}).items()}
    files = {k: _resource_dir(v) for k, v in (entry.get("files") or {}).items()}
    return Image(
        ref=ref,
        entrypoint=list(entry.get("entrypoint") or []),
        cmd=list(entry.get("cmd") or []),
        working_dir=entry.get("workingDir", "/"),
        env=env,
        files=files,
        python=bool(entry.get("python")) or entry["base"] == "python",
        base=entry["base"],
        ignore_args=bool(entry.get("ignoreArgs")),
        handles_sigterm=bool(entry.get("handlesSigterm")),
        programs={k: [str(a) for a in v or []] for k, v in (entry.get("programs") or {}).items()},
        user=str(entry.get("user") or ""),
    )


def catalog() -> dict[str, list[str]]:
    """Every repository kubesim can run, with its tags: what `python -m kubesim images` lists."""
    return {
        repository: [tag for entry in entries for tag in entry["tags"]]
        for repository, entries in _catalog().items()
    }
