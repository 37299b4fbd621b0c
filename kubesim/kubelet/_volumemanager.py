"""The kubelet's volume manager at the edge: writes each pod's volume plans (`_volumes`) on the
node, keeps them current on resync, resolves each container's mounts into `Mount`s for the
runtime, and removes a pod's volumes with the pod (hostPath and PV data stay).

Layout under the runtime's root, as /var/lib/kubelet is laid out:
  pods/<uid>/volumes/<plugin>/<name>/   emptyDir and the AtomicWriter volumes, e.g.
                                        `kubernetes.io~configmap/config`
  nodes/<node>/<path>                   the node's own filesystem: hostPath folders and the
                                        local-path provisioner's PV folders
                                        (`/var/local-path-provisioner/pvc-..._ns_claim`)

configMap, secret, downwardAPI and projected volumes are written as the kubelet's
AtomicWriter writes them: the files in a `..<timestamp>` folder, a `..data` symlink to it,
and one symlink per top-level path (`key -> ..data/key`). An update writes a new timestamped
folder and swaps `..data` with one rename, so a reader never sees half an update. The kubelet
rewrites them on its pod resync, every `SYNC_PERIOD` (`--sync-frequency`, 1m); with the
default Watch change-detection strategy the kubelet's configMap/secret cache has no TTL, so a
change shows in the files within one period. A subPath mount does not get updates (it binds
the file as it was), as on a node.

A node path never leaves the node's folder: `..` is normalized away and a symlink that points
out of it is refused, so a pod cannot reach the host's files through a hostPath or subPath.
"""

from __future__ import annotations

import os
import posixpath
import random
import shutil
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubesim.kubelet import _env, _volumes
from kubesim.kubelet._mounts import Mount
from kubesim.kubelet._volumes import File, MountError, Sources, VolumePlan

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]
SYNC_PERIOD = 60.0  # the kubelet's --sync-frequency default: how often a pod is resynced
TOKEN_REFRESH_MAX = 24 * 3600.0  # a token is renewed at 80% of its life or after 24h
DATA_DIR = "..data"

__all__ = ["SYNC_PERIOD", "Volume", "VolumeManager", "container_mounts", "write_atomic"]


@dataclass(frozen=True)
class Volume:
    """A volume set up on the node: the folder (or file) containers bind."""

    path: Path
    read_only: bool = False


class VolumeManager:
    """One node's volumes: `setup` (each sync) answers the FailedMount messages still in the
    way; `mounts` resolves a container's volumeMounts; `remove` forgets a pod."""

    def __init__(self, api: Api, *, root: Path, node: str) -> None:
        self.api = api
        self.root = root
        self.node = node
        self._volumes: dict[str, dict[str, Volume]] = {}
        self._tokens: dict[tuple[str, str, int], tuple[str, float]] = {}

    @property
    def node_root(self) -> Path:
        return self.root / "nodes" / self.node

    def pod_dir(self, uid: str) -> Path:
        return self.root / "pods" / uid / "volumes"

    # -- setup -----------------------------------------------------------------------------

    def setup(self, pod: Obj) -> list[str]:
        """Plan and write every volume of `pod`; the FailedMount messages of those that
        cannot be set up (an empty list: all mounted)."""
        uid = pod["metadata"]["uid"]
        plans = _volumes.plan(pod, self._sources(pod))
        context = (pod.get("spec") or {}).get("securityContext") or {}
        mounted: dict[str, Volume] = {}
        errors = []
        for volume_plan in plans:
            if volume_plan.error:
                errors.append(volume_plan.error)
                continue
            try:
                mounted[volume_plan.name] = self._materialize(uid, volume_plan, context)
            except MountError as exc:
                errors.append(f'MountVolume.SetUp failed for volume "{volume_plan.name}" : {exc}')
            except OSError as exc:  # the node's disk said no (permissions, space)
                errors.append(
                    f'MountVolume.SetUp failed for volume "{volume_plan.name}" : '
                    + node_error(exc, root=self.root, node_root=self.node_root)
                )
        # a volume that fails on a resync keeps what it had (a deleted configMap leaves the
        # files in place, as on a node)
        self._volumes[uid] = {**self._volumes.get(uid, {}), **mounted}
        return errors

    def _materialize(self, uid: str, plan: VolumePlan, context: Obj) -> Volume:
        if plan.plugin in ("hostPath", "persistentVolumeClaim"):
            host_type = plan.host_type or ("DirectoryOrCreate" if plan.plugin != "hostPath" else "")
            path = host_path(
                self.node_root, plan.host_path, host_type, claim=plan.plugin != "hostPath"
            )
            return Volume(path, plan.read_only)
        folder = self.pod_dir(uid) / _volumes.PLUGIN_DIRS[plan.plugin] / plan.name
        fs_group = context.get("fsGroup")
        if plan.plugin == "emptyDir":
            if not folder.is_dir():
                folder.mkdir(parents=True)
                folder.chmod(0o777)
                if fs_group is not None:
                    set_ownership(folder, int(fs_group), read_only=False)
            return Volume(folder)
        written = write_atomic(folder, plan.files, now=self.api.clock.now())
        if fs_group is not None and written:  # files already owned keep their group
            set_ownership(folder, int(fs_group), read_only=True)
        return Volume(folder, read_only=True)

    def _sources(self, pod: Obj) -> Sources:
        api = self.api
        ns = pod["metadata"]["namespace"]

        def named(plural: str, namespace: str | None, group: str = "") -> dict[str, Obj]:
            res = api.resource(group, "v1", plural)
            return {o["metadata"]["name"]: o for o in api.list(res, namespace).objects()}

        volumes = pod["spec"].get("volumes") or []
        kinds = {k for v in volumes for k in v} | {
            k for v in volumes for s in (v.get("projected") or {}).get("sources") or [] for k in s
        }
        return Sources(
            configmaps=named("configmaps", ns) if "configMap" in kinds else {},
            secrets=named("secrets", ns) if "secret" in kinds else {},
            claims=named("persistentvolumeclaims", ns) if "persistentVolumeClaim" in kinds else {},
            persistent_volumes=named("persistentvolumes", None)
            if "persistentVolumeClaim" in kinds
            else {},
            token=lambda projection: self._token(pod, projection),
        )

    def _token(self, pod: Obj, projection: Obj) -> str:
        """The kubelet's token manager: a TokenRequest for the pod's service account, reused
        until 80% of its life or 24 hours have passed."""
        audience = projection.get("audience") or ""
        expiration = int(projection.get("expirationSeconds") or 3600)
        key = (pod["metadata"]["uid"], audience, expiration)
        now = self.api.clock.timestamp()
        cached = self._tokens.get(key)
        if cached is not None and now < cached[1]:
            return cached[0]
        ns, account = (
            pod["metadata"]["namespace"],
            pod["spec"].get("serviceAccountName") or "default",
        )
        try:
            service_account = self.api.get(
                self.api.resource("", "v1", "serviceaccounts"), ns, account
            )
        except Exception as exc:
            raise LookupError(f'serviceaccounts "{account}" not found') from exc
        try:
            node = self.api.get(self.api.resource("", "v1", "nodes"), None, self.node)
        except Exception:
            node = None
        token = self.api.tokens.issue(
            service_account=service_account,
            pod=pod,
            node=node,
            now=now,
            audiences=[audience] if audience else None,
            expiration_seconds=expiration,
        )
        life = 365 * 24 * 3600.0 if expiration == 3607 else float(expiration)
        self._tokens[key] = (token, now + min(0.8 * life, TOKEN_REFRESH_MAX))
        return token

    # -- containers ------------------------------------------------------------------------

    def mounts(self, pod: Obj, container: Obj, env: Mapping[str, str]) -> list[Mount]:
        """The container's volumeMounts resolved on the node; `_env.ConfigError` (the
        kubelet's CreateContainerConfigError) for a bad subPath."""
        return container_mounts(container, self._volumes.get(pod["metadata"]["uid"], {}), env)

    def remove(self, uid: str) -> None:
        """The pod is gone: its own volumes go with it (hostPath and PV folders stay)."""
        self._volumes.pop(uid, None)
        for key in [k for k in self._tokens if k[0] == uid]:
            del self._tokens[key]
        shutil.rmtree(self.pod_dir(uid), ignore_errors=True)

    def remove_orphans(self, live: set[str]) -> None:
        """At start-up, as the kubelet's cleanupOrphanedPodDirs: the volumes of pods that were
        deleted while the node was down (the folder is shared by every node's kubelet, so
        only pods that no longer exist anywhere count)."""
        pods = self.root / "pods"
        if not pods.is_dir():
            return
        for folder in pods.iterdir():
            if folder.name not in live and (folder / "volumes").is_dir():
                shutil.rmtree(folder / "volumes", ignore_errors=True)


# -- node paths ------------------------------------------------------------------------------


_TYPE_NOUNS = {
    "Directory": "directory",
    "DirectoryOrCreate": "directory",
    "File": "file",
    "FileOrCreate": "file",
    "Socket": "socket file",
    "CharDevice": "character device",
    "BlockDevice": "block device",
}


def set_ownership(folder: Path, fs_group: int, *, read_only: bool) -> None:
    """The kubelet's SetVolumeOwnership for a pod's fsGroup (emptyDir and the AtomicWriter
    volumes; hostPath and the local-path provisioner's PVs are left alone, as on a node):
    every file and folder gets the group, group read (and write unless the volume is
    read-only), folders also the setgid bit, so what a container writes there belongs to
    the group. Needs root, as a kubelet has: a rootless kubesim leaves the files as they
    are."""
    mask = 0o440 if read_only else 0o660
    for here, _dirs, files in os.walk(folder):  # each folder in turn is `here`
        for name, is_dir in [(here, True), *((os.path.join(here, f), False) for f in files)]:
            try:
                info = os.lstat(name)
                if stat.S_ISLNK(info.st_mode):
                    continue
                os.lchown(name, -1, fs_group)
                extra = mask | (stat.S_ISGID | 0o110 if is_dir else 0)
                os.chmod(name, stat.S_IMODE(info.st_mode) | extra)
            except PermissionError:
                return


def on_node(path: str | Path, *, root: Path, node_root: Path) -> str:
    """A path under kubesim's node folders as the node names it: the node's own files at
    `/...`, the kubelet's at `/var/lib/kubelet/...` (kubesim's folders never reach a message)."""
    path = Path(path)
    for base, shown in ((node_root, "/"), (root, "/var/lib/kubelet")):
        if path.is_relative_to(base):
            rel = str(path.relative_to(base))
            return shown if rel == "." else posixpath.join(shown, rel)
    return str(path)


def node_error(exc: OSError, *, root: Path, node_root: Path) -> str:
    """An OSError of the node's disk as Go's *PathError prints it, at its node path: a
    folder that cannot be made because a file is in the way reads `mkdir /srv/f: not a
    directory` (os.MkdirAll stops at the file)."""
    reason = exc.strerror or str(exc)
    reason = reason[:1].lower() + reason[1:]
    if not exc.filename:
        return reason
    path = Path(exc.filename)
    if isinstance(exc, NotADirectoryError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        return f"mkdir {on_node(blocker, root=root, node_root=node_root)}: {reason}"
    return f"{on_node(path, root=root, node_root=node_root)}: {reason}"


def host_path(node_root: Path, path: str, host_type: str, *, claim: bool = False) -> Path:
    """`path` on the node (inside `node_root`), after the hostPath plugin's `type` checks;
    created where the type (or containerd, for an unset type) creates it."""
    node_root.mkdir(parents=True, exist_ok=True)
    target = node_root / posixpath.normpath("/" + path).lstrip("/")
    real_root = node_root.resolve()
    if not target.resolve().is_relative_to(real_root):
        raise MountError(
            f"hostPath {path} is a symlink that leads out of the node's filesystem; kubesim "
            "keeps each node's files in a folder of their own"
        )
    if host_type not in _TYPE_NOUNS and host_type:
        raise MountError(f"hostPath type check failed: unsupported type {host_type}")
    fail = MountError(f"hostPath type check failed: {path} is not a {_TYPE_NOUNS.get(host_type)}")
    if host_type in ("", "DirectoryOrCreate") and not os.path.lexists(target):
        target.mkdir(parents=True, exist_ok=True)
        target.chmod(0o777 if claim else 0o755)  # local-path's `mkdir -m 0777`
    elif host_type == "FileOrCreate" and not os.path.lexists(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(mode=0o644)
    if host_type in ("Directory", "DirectoryOrCreate") and not target.is_dir():
        raise fail
    if host_type in ("File", "FileOrCreate") and not target.is_file():
        raise fail
    mode = target.stat().st_mode if target.exists() else 0
    checks = {"Socket": stat.S_ISSOCK, "CharDevice": stat.S_ISCHR, "BlockDevice": stat.S_ISBLK}
    if host_type in checks and not checks[host_type](mode):
        raise fail
    return target


def container_mounts(
    container: Obj, volumes: Mapping[str, Volume], env: Mapping[str, str]
) -> list[Mount]:
    """Each volumeMount as a `Mount`: the volume's folder, or the file or folder a
    `subPath`/`subPathExpr` names in it (created as a folder when missing, as the kubelet
    does); readOnly from the mount, or forced for configMap/secret/downwardAPI/projected."""
    mounts = []
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount["name"])
        if volume is None:
            raise _env.ConfigError(
                f'cannot find volume "{mount["name"]}" to mount into container '
                f'"{container["name"]}"'
            )
        source = volume.path
        sub = mount.get("subPath") or ""
        if mount.get("subPathExpr"):
            sub = _env.expand(mount["subPathExpr"], dict(env))
        if sub:
            source = _sub_path(volume.path, sub, mount["name"], container["name"])
        mounts.append(
            Mount(
                source=source,
                target=mount["mountPath"],
                read_only=bool(mount.get("readOnly")) or volume.read_only,
            )
        )
    return mounts


def _sub_path(volume: Path, sub: str, mount: str, container: str) -> Path:
    error = _env.ConfigError(
        f'failed to prepare subPath for volumeMount "{mount}" of container "{container}"'
    )
    if posixpath.isabs(sub) or ".." in sub.split("/"):
        raise error
    candidate = volume / sub
    inside = volume.resolve()
    if not candidate.resolve().is_relative_to(inside):  # before creating anything
        raise error
    if not os.path.lexists(candidate):
        candidate.mkdir(parents=True, exist_ok=True)
        candidate.chmod(volume.stat().st_mode & 0o777)
    resolved = candidate.resolve()
    if not resolved.is_relative_to(inside):
        raise error
    return resolved


# -- the AtomicWriter ------------------------------------------------------------------------


def _current(target: Path) -> dict[str, tuple[bytes, int]] | None:
    data = target / DATA_DIR
    if not data.is_symlink():
        return None
    base = data.resolve()
    found = {}
    for path in base.rglob("*"):
        if path.is_file():
            found[path.relative_to(base).as_posix()] = (
                path.read_bytes(),
                path.stat().st_mode & 0o777,
            )
    return found


def write_atomic(target: Path, files: Sequence[File], *, now: datetime) -> bool:
    """Write `files` into `target` as the AtomicWriter does; False when nothing changed."""
    for file in files:
        if posixpath.isabs(file.path) or ".." in file.path.split("/") or not file.path:
            raise MountError(f"invalid path {file.path!r}: must be relative without '..'")
    wanted = {posixpath.normpath(f.path): (f.data, f.mode & 0o777) for f in files}
    target.mkdir(parents=True, exist_ok=True)
    if _current(target) == wanted:
        return False
    stamp = now.strftime("..%Y_%m_%d_%H_%M_%S.")
    while True:
        folder = target / f"{stamp}{random.randrange(10**9, 10**10)}"
        try:
            folder.mkdir()
            break
        except FileExistsError:
            continue
    folder.chmod(0o755)
    for path, (data, mode) in wanted.items():
        file_path = folder / path
        file_path.parent.mkdir(parents=True, exist_ok=True)
        file_path.write_bytes(data)
        file_path.chmod(mode)
    swap = target / "..data_tmp"
    if os.path.lexists(swap):
        swap.unlink()
    swap.symlink_to(folder.name)
    os.replace(swap, target / DATA_DIR)  # the one atomic step
    tops = {path.split("/")[0] for path in wanted}
    for top in sorted(tops):
        link = target / top
        if not os.path.lexists(link):
            link.symlink_to(f"{DATA_DIR}/{top}")
    for entry in target.iterdir():
        if entry.name.startswith(".."):
            if entry.name not in (DATA_DIR, folder.name) and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.name not in tops and entry.is_symlink():
            entry.unlink()
    return True
