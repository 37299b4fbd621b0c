"""Decoding the Kubernetes protobuf request bodies kubectl's typed clients send.

`kubectl create deployment|namespace|configmap|secret|service|job|cronjob|role|
rolebinding|clusterrole|clusterrolebinding|poddisruptionbudget`, `autoscale` and others
POST `application/vnd.kubernetes.protobuf`: the magic `k8s\\x00`, then a runtime.Unknown
whose `raw` is the object's message. Pure function of bytes -> the JSON-shaped dict the
same object would have been in JSON, using the field tables in `_protobuf_tables`.
Responses stay JSON (kubectl's Accept lists `application/json` too).

Go's protobuf encoder writes non-pointer fields even when empty; like JSON's
`omitempty`, empty strings and zero timestamps are dropped after decoding.
"""

from __future__ import annotations

import base64
import struct
from datetime import UTC, datetime
from typing import Any

from kubesim.apiserver.protobuf.tables import TABLES
from kubesim.apiserver.serialization import loads_json, summarize
from kubesim.core.errors import BadRequest, UnsupportedMediaType

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
_UNKNOWN = "k8s.io.apimachinery.pkg.runtime.Unknown"
_GROUP_PACKAGES = {
    "": "k8s.io.api.core",
    "apps": "k8s.io.api.apps",
    "autoscaling": "k8s.io.api.autoscaling",
    "batch": "k8s.io.api.batch",
    "rbac.authorization.k8s.io": "k8s.io.api.rbac",
    "policy": "k8s.io.api.policy",
    "authentication.k8s.io": "k8s.io.api.authentication",
    "authorization.k8s.io": "k8s.io.api.authorization",
    "scheduling.k8s.io": "k8s.io.api.scheduling",
    "certificates.k8s.io": "k8s.io.api.certificates",
}
_INT_TYPES = {3, 4, 5, 13}
_DROP = {"selfLink", "clusterName", "initializers"}
# Embedded structs (`json:",inline"`): a message field in protobuf, flattened in JSON
# (a Volume's hostPath, a configMap volume's name, a Probe's httpGet).
_INLINE = frozenset(
    {
        "volumeSource",
        "persistentVolumeSource",
        "localObjectReference",
        "handler",
        "ephemeralContainerCommon",
    }
)
# Pointer fields (Go `*int32`, `*bool`): sent only when set, so a zero or false is
# meaningful and kept. Every other zero/false scalar is a non-pointer field that Go wrote
# because it always writes them, and JSON's omitempty would have left it out.
_POINTER_FIELDS = frozenset(
    {
        "replicas",
        "minReplicas",
        "maxReplicas",
        "revisionHistoryLimit",
        "progressDeadlineSeconds",
        "terminationGracePeriodSeconds",
        "activeDeadlineSeconds",
        "backoffLimit",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
        "manualSelector",
        "succeededCount",
        "minAvailable",
        "maxUnavailable",
        "parallelism",
        "completions",
        "automountServiceAccountToken",
        "privileged",
        "runAsNonRoot",
        "readOnlyRootFilesystem",
        "allowPrivilegeEscalation",
        "runAsUser",
        "runAsGroup",
        "fsGroup",
        "optional",
        "defaultMode",
        "immutable",
        "enableServiceLinks",
        "shareProcessNamespace",
        "suspend",
        "ttlSecondsAfterFinished",
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "averageUtilization",
        "targetCPUUtilizationPercentage",
        "hostUsers",
        "setHostnameAsFQDN",
        "allocateLoadBalancerNodePorts",
        "deletionGracePeriodSeconds",
        "readOnly",
        "mode",
        "expirationSeconds",
        "periodSeconds",
    }
)


class ProtobufError(ValueError):
    """A malformed message, worded as gogo-protobuf's generated Unmarshal words it."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def varint(self) -> int:
        shift = result = 0
        while True:
            if shift >= 64:
                raise ProtobufError("proto: integer overflow")
            if self.pos >= len(self.data):
                raise ProtobufError("unexpected EOF")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result & 0xFFFFFFFFFFFFFFFF
            shift += 7

    def _take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ProtobufError("unexpected EOF")
        value = self.data[self.pos : self.pos + size]
        self.pos += size
        return value

    def field(self, message: str) -> tuple[int, int, Any]:
        key = self.varint()
        number, wire = key >> 3, key & 7
        if wire == 4:
            short = message.rsplit(".", 1)[-1]
            raise ProtobufError(f"proto: {short}: wiretype end group for non-group")
        if number <= 0:
            short = message.rsplit(".", 1)[-1]
            raise ProtobufError(f"proto: {short}: illegal tag {number} (wire type {wire})")
        if wire == 0:
            return number, wire, self.varint()
        if wire == 2:
            size = self.varint()
            if size >= 1 << 63:
                raise ProtobufError("proto: negative length found during unmarshaling")
            return number, wire, self._take(size)
        if wire == 1:
            return number, wire, self._take(8)
        if wire == 5:
            return number, wire, self._take(4)
        raise ProtobufError(f"proto: illegal wireType {wire}")

    def done(self) -> bool:
        return self.pos >= len(self.data)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: int, wire: int, value: Any) -> Any:
    if (kind in _INT_TYPES or kind == 8) and wire != 0 or kind in (1, 2, 9, 12) and wire == 0:
        raise ProtobufError(f"proto: wrong wireType = {wire} for field")
    if kind == 9:
        return value.decode("utf-8", errors="replace")
    if kind == 12:
        return base64.b64encode(value).decode()
    if kind == 8:
        return bool(value)
    if kind == 5:  # int32: Go keeps the low 32 bits of the varint
        low = value & 0xFFFFFFFF
        return low - (1 << 32) if low >= 1 << 31 else low
    if kind in _INT_TYPES:
        return _signed(value)
    if kind == 1:
        return struct.unpack("<d", value)[0]
    if kind == 2:
        return struct.unpack("<f", value)[0]
    return value


def _packed(kind: int, data: bytes) -> list[Any]:
    reader = _Reader(data)
    out = []
    while not reader.done():
        out.append(_scalar(kind, 0, reader.varint()))
    return out


def decode_message(data: bytes, message: str) -> Any:
    table = TABLES.get(message)
    if table is None:
        return None
    fields = table["f"]
    out: dict[str, Any] = {}
    reader = _Reader(data)
    while not reader.done():
        number, wire, value = reader.field(message)
        spec = fields.get(str(number))
        if spec is None:
            continue  # a field newer than our tables: skipped
        name, kind, label, type_name = spec
        if kind == 11:
            if wire != 2:
                raise ProtobufError(f"proto: wrong wireType = {wire} for field {name}")
            item = decode_message(value, type_name)
            if item is None:
                continue
            entry = TABLES.get(type_name, {})
            if entry.get("map"):
                out.setdefault(name, {})[item.get("key", "")] = item.get("value", "")
                continue
            if name in _INLINE:  # an embedded Go struct: its fields are the parent's in JSON
                out.update(item)
                continue
        elif label == 3 and wire == 2 and kind not in (9, 12):
            out.setdefault(name, []).extend(_packed(kind, value))
            continue
        else:
            item = _scalar(kind, wire, value)
        if label == 3:
            out.setdefault(name, []).append(item)
        else:
            out[name] = item
    return _special(message, out)


def _special(message: str, out: dict[str, Any]) -> Any:
    if message in (_META + "Time", _META + "MicroTime"):
        seconds, nanos = out.get("seconds", 0), out.get("nanos", 0)
        if not seconds and not nanos:
            return None
        moment = datetime.fromtimestamp(seconds + nanos / 1e9, tz=UTC)
        if message.endswith("MicroTime"):
            return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if message == "k8s.io.apimachinery.pkg.api.resource.Quantity":
        return out.get("string", "0")
    if message == "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
        return out.get("strVal", "") if out.get("type") == 1 else out.get("intVal", 0)
    if message in ("k8s.io.apimachinery.pkg.runtime.RawExtension", _META + "FieldsV1"):
        raw = out.get("raw") or out.get("Raw")
        if not raw:
            return None
        try:
            return loads_json(base64.b64decode(raw))
        except ValueError as exc:
            raise ProtobufError(str(exc)) from exc
    return {
        k: v
        for k, v in out.items()
        if k not in _DROP
        and v not in ("", None)
        and not (v in (0, False) and not isinstance(v, float) and k not in _POINTER_FIELDS)
    }


def message_for(api_version: str, kind: str) -> str | None:
    group, _, version = api_version.rpartition("/")
    package = _GROUP_PACKAGES.get(group)
    if package is None:
        return None
    name = f"{package}.{version}.{kind}"
    return name if name in TABLES else None


def decode_object(data: bytes, *, kind: str = "") -> dict[str, Any]:
    """A protobuf-encoded object as the dict its JSON form would be; a malformed body is
    400 as transformDecodeError words it (`the object provided is unrecognized (must be of
    type Deployment): unexpected EOF (6b387300...)`)."""
    try:
        return _decode_object(data)
    except (ProtobufError, RecursionError) as exc:
        why = str(exc) if isinstance(exc, ProtobufError) else "proto: exceeded max depth"
        raise BadRequest(
            f"the object provided is unrecognized (must be of type {kind or 'Object'}): "
            f"{why} ({summarize(data)})"
        ) from exc


def _decode_object(data: bytes) -> dict[str, Any]:
    if not data.startswith(MAGIC):
        raise ProtobufError(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    unknown = decode_message(data[len(MAGIC) :], _UNKNOWN) or {}
    type_meta = unknown.get("typeMeta") or {}
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    if not kind:
        raise ProtobufError("Object 'Kind' is missing in the protobuf body's runtime.Unknown")
    message = message_for(api_version, kind)
    if message is None:
        raise UnsupportedMediaType(
            f"kubesim cannot read {kind or 'this object'} ({api_version}) sent as protobuf; "
            "send it as application/json or application/yaml"
        )
    raw = base64.b64decode(unknown.get("raw", "")) if unknown.get("raw") else b""
    obj = decode_message(raw, message) or {}
    return {"apiVersion": api_version, "kind": kind, **obj}
