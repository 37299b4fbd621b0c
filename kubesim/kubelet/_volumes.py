"""What each of a pod's volumes holds, decided purely: the pod and the objects it refers to in,
one `VolumePlan` per volume out. `_volumemanager` writes the plans on the node and resolves
each container's mounts.

Per volume type (the kubelet's volume plugins, pkg/volume/*):
  emptyDir               a fresh folder (0777) shared by the pod's containers; `medium: Memory`
                         is the same folder here (no tmpfs), `sizeLimit` is not enforced
  configMap, secret      keys as files (`data` and `binaryData`; a secret's values decoded),
                         `items` pick keys and paths, `defaultMode`/`mode`, `optional`
  downwardAPI            fieldRef (name, namespace, uid, labels, annotations, one label or
                         annotation) and resourceFieldRef (with containerName, divisor)
  projected              serviceAccountToken, configMap, secret, downwardAPI, in one folder
  hostPath               a folder of the node that outlives the pod, with the `type` checks
  persistentVolumeClaim  the bound PV's hostPath/local path on the node

Errors are the kubelet's FailedMount messages, e.g. `MountVolume.SetUp failed for volume
"config" : configmap "app-config" not found`; the pod stays ContainerCreating meanwhile.
"""

from __future__ import annotations

import base64
import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesim.kubelet import _env

Obj = dict[str, Any]

ATOMIC = ("configMap", "secret", "downwardAPI", "projected")  # written by the AtomicWriter
SUPPORTED = (*ATOMIC, "emptyDir", "hostPath", "persistentVolumeClaim")
PLUGIN_DIRS = {  # the kubelet's folder per plugin: pods/<uid>/volumes/<plugin>/<volume>
    "emptyDir": "kubernetes.io~empty-dir",
    "configMap": "kubernetes.io~configmap",
    "secret": "kubernetes.io~secret",
    "downwardAPI": "kubernetes.io~downward-api",
    "projected": "kubernetes.io~projected",
}
DEFAULT_MODE = 0o644  # 420, what the API defaults defaultMode to


@dataclass(frozen=True)
class File:
    """One file of an atomically written volume: a path relative to the volume, its bytes
    and its permission bits."""

    path: str
    data: bytes
    mode: int = DEFAULT_MODE


@dataclass(frozen=True)
class VolumePlan:
    """What one volume should be. `files` for the AtomicWriter plugins; `host_path` (a path
    on the node) for hostPath and a PV; `error` is the FailedMount message when the volume
    cannot be set up yet."""

    name: str
    plugin: str
    files: tuple[File, ...] = ()
    host_path: str = ""
    host_type: str = ""
    read_only: bool = False
    error: str = ""


@dataclass(frozen=True)
class Sources:
    """The objects the pod's volumes name, from the pod's namespace (claims and PVs too)."""

    configmaps: Mapping[str, Obj] = field(default_factory=dict)
    secrets: Mapping[str, Obj] = field(default_factory=dict)
    claims: Mapping[str, Obj] = field(default_factory=dict)
    persistent_volumes: Mapping[str, Obj] = field(default_factory=dict)
    # a token for a serviceAccountToken projection (audience, expirationSeconds); raises
    # LookupError with the kubelet's words when it cannot get one
    token: Callable[[Obj], str] = lambda _projection: ""


class MountError(Exception):
    """A volume that cannot be set up; str() is the detail after the volume's name."""


def plan(pod: Obj, sources: Sources) -> list[VolumePlan]:
    """The plan for every volume of `pod`, in spec order."""
    return [plan_volume(pod, volume, sources) for volume in pod["spec"].get("volumes") or []]


def plan_volume(pod: Obj, volume: Obj, sources: Sources) -> VolumePlan:
    name = volume["name"]
    plugin = next((k for k in SUPPORTED if k in volume), "")
    if not plugin:
        kinds = [k for k in volume if k != "name"]
        return VolumePlan(
            name,
            kinds[0] if kinds else "",
            error=f'MountVolume.SetUp failed for volume "{name}" : kubesim has no stand-in for '
            f"{kinds[0] if kinds else 'this'} volumes (it mounts emptyDir, configMap, secret, "
            "downwardAPI, projected, hostPath and persistentVolumeClaim)",
        )
    source = volume[plugin] or {}
    try:
        if plugin == "emptyDir":
            return VolumePlan(name, plugin)
        if plugin == "hostPath":
            return VolumePlan(
                name, plugin, host_path=_clean(source["path"]), host_type=source.get("type", "")
            )
        if plugin == "persistentVolumeClaim":
            return _claim(pod, name, source, sources)
        files = _files(pod, plugin, source, sources)
    except MountError as exc:
        return VolumePlan(
            name, plugin, error=f'MountVolume.SetUp failed for volume "{name}" : {exc}'
        )
    return VolumePlan(name, plugin, files=tuple(files), read_only=True)


def _clean(path: str) -> str:
    """An absolute, normalized node path (no `..` can climb above the node's root)."""
    return posixpath.normpath("/" + str(path).lstrip("/"))


def _claim(pod: Obj, name: str, source: Obj, sources: Sources) -> VolumePlan:
    ns = pod["metadata"]["namespace"]
    claim_name = source.get("claimName", "")
    claim = sources.claims.get(claim_name)
    prefix = (
        f"Unable to attach or mount volumes: unmounted volumes=[{name}], "
        f"unattached volumes=[{name}], failed to process volumes=[{name}]: "
        f"error processing PVC {ns}/{claim_name}: "
    )
    if claim is None:
        return VolumePlan(
            name,
            "persistentVolumeClaim",
            error=prefix + "failed to fetch PVC from API server: "
            f'persistentvolumeclaims "{claim_name}" not found',
        )
    pv_name = (claim.get("spec") or {}).get("volumeName")
    pv = sources.persistent_volumes.get(pv_name or "")
    if (claim.get("status") or {}).get("phase") != "Bound" or pv is None:
        return VolumePlan(name, "persistentVolumeClaim", error=prefix + "PVC is not bound")
    spec = pv.get("spec") or {}
    path = (spec.get("hostPath") or {}).get("path") or (spec.get("local") or {}).get("path")
    if not path:
        kinds = [k for k in spec if k not in _PV_FIELDS]
        return VolumePlan(
            name,
            "persistentVolumeClaim",
            error=f'MountVolume.SetUp failed for volume "{pv_name}" : kubesim has no stand-in '
            f"for {kinds[0] if kinds else 'this'} persistent volumes (it mounts hostPath and "
            "local ones)",
        )
    return VolumePlan(
        name,
        "persistentVolumeClaim",
        host_path=_clean(path),
        host_type=(spec.get("hostPath") or {}).get("type", ""),
        read_only=bool(source.get("readOnly")),
    )


_PV_FIELDS = {
    "accessModes",
    "capacity",
    "claimRef",
    "mountOptions",
    "nodeAffinity",
    "persistentVolumeReclaimPolicy",
    "storageClassName",
    "volumeMode",
    "volumeAttributesClassName",
}


def _files(pod: Obj, plugin: str, source: Obj, sources: Sources) -> list[File]:
    default_mode = int(source.get("defaultMode", DEFAULT_MODE))
    if plugin == "configMap":
        return _object_files("ConfigMap", source, sources.configmaps, default_mode)
    if plugin == "secret":
        return _object_files("Secret", source, sources.secrets, default_mode)
    if plugin == "downwardAPI":
        return _downward_files(pod, source.get("items") or [], default_mode)
    files: list[File] = []
    errors: list[str] = []
    for projection in source.get("sources") or []:
        try:
            files.extend(_projection(pod, projection, sources, default_mode))
        except MountError as exc:
            errors.append(str(exc))
    if errors:  # utilerrors.NewAggregate: one error alone, else `[a, b]`
        raise MountError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return files


def _projection(pod: Obj, projection: Obj, sources: Sources, default_mode: int) -> list[File]:
    if "configMap" in projection:
        return _object_files("ConfigMap", projection["configMap"], sources.configmaps, default_mode)
    if "secret" in projection:
        return _object_files("Secret", projection["secret"], sources.secrets, default_mode)
    if "downwardAPI" in projection:
        return _downward_files(pod, projection["downwardAPI"].get("items") or [], default_mode)
    if "serviceAccountToken" in projection:
        token_source = projection["serviceAccountToken"]
        try:
            token = sources.token(token_source)
        except LookupError as exc:
            raise MountError(f"failed to fetch token: {exc.args[0]}") from exc
        return [File(token_source["path"], token.encode(), default_mode)]
    kinds = sorted(projection) or ["an empty"]
    raise MountError(
        f"kubesim has no stand-in for {kinds[0]} projections (it projects "
        "serviceAccountToken, configMap, secret and downwardAPI)"
    )


def _object_files(
    kind: str, source: Obj, objects: Mapping[str, Obj], default_mode: int
) -> list[File]:
    name = source.get("name") or source.get("secretName") or ""
    noun = "configmap" if kind == "ConfigMap" else "secret"
    obj = objects.get(name)
    optional = bool(source.get("optional"))
    if obj is None:
        if optional:
            return []
        raise MountError(f'{noun} "{name}" not found')
    data = _object_data(kind, obj)
    items = source.get("items")
    if not items:
        return [File(key, value, default_mode) for key, value in sorted(data.items())]
    files = []
    for item in items:
        key = item["key"]
        if key not in data:
            if optional:
                continue
            # configmap.go and secret.go word it differently: only the first names its kind
            if kind == "ConfigMap":
                raise MountError(f"{noun} references non-existent config key: {key}")
            raise MountError(f"references non-existent secret key: {key}")
        files.append(File(item["path"], data[key], int(item.get("mode", default_mode))))
    return files


def _object_data(kind: str, obj: Obj) -> dict[str, bytes]:
    data: dict[str, bytes] = {}
    if kind == "Secret":
        for key, value in (obj.get("data") or {}).items():
            data[key] = base64.b64decode(value or "")
        for key, value in (obj.get("stringData") or {}).items():
            data[key] = str(value).encode()
        return data
    for key, value in (obj.get("data") or {}).items():
        data[key] = str(value).encode()
    for key, value in (obj.get("binaryData") or {}).items():
        data[key] = base64.b64decode(value or "")
    return data


def format_map(values: Mapping[str, str]) -> str:
    """fieldpath.FormatMap: `key="value"` lines in key order, values quoted as Go's %q."""
    return "\n".join(f"{k}={json.dumps(str(values[k]))}" for k in sorted(values))


def _downward_files(pod: Obj, items: list[Obj], default_mode: int) -> list[File]:
    meta = pod["metadata"]
    files = []
    for item in items:
        mode = int(item.get("mode", default_mode))
        if "fieldRef" in item:
            path = item["fieldRef"]["fieldPath"]
            if path in ("metadata.labels", "metadata.annotations"):
                value = format_map(meta.get(path.split(".")[1]) or {})
            else:
                value = _env.field_ref(path, pod)
        elif "resourceFieldRef" in item:
            ref = item["resourceFieldRef"]
            containers = (pod["spec"].get("containers") or []) + (
                pod["spec"].get("initContainers") or []
            )
            container = next((c for c in containers if c["name"] == ref.get("containerName")), None)
            if container is None:
                raise MountError(
                    f"container {ref.get('containerName')!r} not found in pod {meta['name']}"
                )
            value = _env.resource_field(container, ref)
        else:
            continue
        files.append(File(item["path"], value.encode(), mode))
    return files
