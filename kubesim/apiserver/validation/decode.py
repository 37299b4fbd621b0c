"""What the apiserver's decoder rejects before any validation runs: unknown and duplicate
fields (strict decoding), JSON values of the wrong type, and unparsable quantities.

Driven by the 1.37 schema in `_schema`, so every kind and nested type is covered without
hand-written tables. Texts follow sigs.k8s.io/json and the apiserver:
  * `unknown field "spec.template.spec.containers[0].imagePullPolicyy"` (paths with indexes)
  * `duplicate field "spec.replicas"` (needs the raw body: see `duplicate_fields`)
  * `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of
    type int32` (Go reports the enclosing struct and the index-free path)
  * `quantities must match the regular expression '...'`
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from kubesim.apiserver.serialization import BigNumber
from kubesim.core import schema as _schema
from kubesim.core.quantity import QUANTITY_ERROR, is_quantity

_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
# Free-form JSON holders: anything goes inside.
_OPAQUE = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "io.k8s.apimachinery.pkg.runtime.RawExtension",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
}


@dataclass
class DecodeReport:
    strict: list[str] = field(default_factory=list)  # `unknown field "..."` in body order
    type_error: str | None = None  # first wrong-type or bad-quantity message
    # (the object holding it, key) of each unknown field: decoding into Go structs drops
    # them, so `prune_unknown` removes them before the object is stored
    unknown: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    def prune_unknown(self) -> None:
        for holder, key in self.unknown:
            holder.pop(key, None)


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if ref is None and len(schema.get("allOf", [])) == 1:
        ref = schema["allOf"][0].get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def _types(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type")
    if isinstance(t, list):
        return {x for x in t if x != "null"}
    return {t} if isinstance(t, str) else set()


# Go's integer types and their ranges: a JSON number outside them does not decode.
_INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "int": (-(2**63), 2**63 - 1),
}


def _json_kind(value: Any) -> str:
    if isinstance(value, BigNumber):
        return "number"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _go_package(def_name: str) -> str:
    """`io.k8s.api.core.v1.Container` -> `v1`; intstr/resource keep their package name."""
    parts = def_name.split(".")
    return parts[-2]


def _go_type(schema: dict[str, Any]) -> str:
    name = _ref_name(schema)
    if name:
        if name == _INT_OR_STRING:
            return "intstr.IntOrString"
        if name == _QUANTITY:
            return "resource.Quantity"
        target = _schema.definition(name)
        if _types(target) & {"string", "integer", "boolean", "number"}:
            return _go_type(target)
        return f"{_go_package(name)}.{name.rsplit('.', 1)[-1]}"
    types = _types(schema)
    if "array" in types:
        return "[]" + _go_type(schema.get("items", {}))
    if "object" in types:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return "map[string]" + _go_type(extra)
        return "map[string]interface {}"
    if "integer" in types:
        return schema.get("format") or "int"
    if "number" in types:
        return "float64"
    if "boolean" in types:
        return "bool"
    return "string"


class _Walker:
    def __init__(self) -> None:
        self.report = DecodeReport()

    def _type_error(
        self,
        value: Any,
        schema: dict[str, Any],
        struct: str,
        go_path: str,
        *,
        literal: bool = False,
    ) -> None:
        if self.report.type_error is None:
            where = f"Go struct field {struct}.{go_path}" if struct else "Go value"
            what = f"number {value}" if literal else _json_kind(value)
            self.report.type_error = (
                f"json: cannot unmarshal {what} into {where} of type {_go_type(schema)}"
            )

    def walk(
        self, value: Any, schema: dict[str, Any], *, path: str, go_path: str, struct: str
    ) -> None:
        if value is None:
            return
        name = _ref_name(schema)
        if name in _OPAQUE:
            return
        if name == _QUANTITY:
            if not is_quantity(value) and self.report.type_error is None:
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    self.report.type_error = QUANTITY_ERROR
                else:
                    self._type_error(value, schema, struct, go_path)
            return
        if name == _INT_OR_STRING:
            if isinstance(value, bool) or not isinstance(value, str | int):
                self._type_error(value, schema, struct, go_path)
            return
        resolved = _schema.definition(name) if name else schema
        if "oneOf" in resolved or "anyOf" in resolved:
            return
        types = _types(resolved)
        if not types:
            return  # free-form
        kind = _json_kind(value)
        if kind == "object" and "object" in types:
            self._object(value, resolved, path=path, go_path=go_path, struct=struct, name=name)
        elif kind == "array" and "array" in types:
            items = resolved.get("items", {})
            for i, item in enumerate(value):
                self.walk(item, items, path=f"{path}[{i}]", go_path=go_path, struct=struct)
        elif kind == "string" and "string" in types:
            bad = _base64_error(value) if resolved.get("format") == "byte" else None
            if bad and self.report.type_error is None:
                self.report.type_error = bad
        elif kind == "bool" and "boolean" in types:
            return
        elif kind == "number" and types & {"integer", "number"}:
            if isinstance(value, BigNumber):
                self._type_error(value, resolved, struct, go_path, literal=True)
            elif "integer" in types and "number" not in types:
                low, high = _INT_RANGES.get(resolved.get("format") or "int64", _INT_RANGES["int"])
                if value != int(value) or not low <= value <= high:
                    self._type_error(value, resolved, struct, go_path, literal=True)
        else:
            self._type_error(value, schema, struct, go_path)

    def _object(
        self,
        value: dict[str, Any],
        schema: dict[str, Any],
        *,
        path: str,
        go_path: str,
        struct: str,
        name: str | None,
    ) -> None:
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and not isinstance(extra, dict):
            return  # an object with no declared shape accepts anything
        own_struct = name.rsplit(".", 1)[-1] if name else struct
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else key
            child_go = f"{go_path}.{key}" if go_path else key
            if props is not None and key in props:
                self.walk(child, props[key], path=child_path, go_path=child_go, struct=own_struct)
            elif isinstance(extra, dict):
                # map values: Go names the map field's path, not the key
                self.walk(child, extra, path=child_path, go_path=go_path, struct=struct)
            else:
                self.report.strict.append(f'unknown field "{child_path}"')
                self.report.unknown.append((value, key))


def _base64_error(value: str) -> str | None:
    """Go's `[]byte` fields are standard base64 with padding; its error names the offset."""
    try:
        base64.b64decode(value, validate=True)
        return None
    except (binascii.Error, ValueError):
        pass
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    stripped = value.replace("\r", "").replace("\n", "")
    for i, ch in enumerate(stripped):
        if ch == "=":
            return f"illegal base64 data at input byte {max(i, 0)}"
        if ch not in alphabet:
            return f"illegal base64 data at input byte {i}"
    return f"illegal base64 data at input byte {len(stripped) - len(stripped) % 4}"


def decode_report(def_name: str, obj: dict[str, Any]) -> DecodeReport:
    """Walk `obj` against the named definition and collect what decoding would say."""
    walker = _Walker()
    walker.walk(obj, {"$ref": f"#/$defs/{def_name}"}, path="", go_path="", struct="")
    return walker.report


def duplicate_fields(raw: bytes | str) -> list[str]:
    """`duplicate field "spec.replicas"` for each key repeated in a JSON body (in order).

    A parsed dict has already lost duplicates, so the API core calls this on the raw body
    (JSON only; YAML bodies are converted by kubectl, which refuses duplicates itself).
    """
    found: list[str] = []

    def scan(value: Any, path: str) -> None:
        if isinstance(value, _Pairs):
            seen: set[str] = set()
            for key, child in value.pairs:
                child_path = f"{path}.{key}" if path else key
                if key in seen:
                    found.append(f'duplicate field "{child_path}"')
                seen.add(key)
                scan(child, child_path)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                scan(item, f"{path}[{i}]")

    try:
        tree = json.loads(raw, object_pairs_hook=_Pairs)
    except ValueError:
        return []
    scan(tree, "")
    return found


class _Pairs:
    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


# --- server-side apply: the typed-patch errors of structured-merge-diff -----------------


def _smd_key(item: dict[str, Any], keys: list[str]) -> str:
    parts = []
    for key in keys:
        value = item.get(key)
        if value is None and key == "protocol":
            value = "TCP"  # the schema default SMD fills for port lists
        parts.append(f"{key}={json.dumps(value)}")
    return "[" + ",".join(parts) + "]"


def _smd_walk(value: Any, schema: dict[str, Any], path: str, out: list[str]) -> None:
    name = _ref_name(schema)
    if name in _OPAQUE or name in (_QUANTITY, _INT_OR_STRING):
        return
    resolved = _schema.definition(name) if name else schema
    if isinstance(value, dict):
        props = resolved.get("properties")
        extra = resolved.get("additionalProperties")
        if props is None and not isinstance(extra, dict):
            return
        for key, child in value.items():
            if props is not None and key in props:
                _smd_walk(child, props[key], f"{path}.{key}", out)
            elif isinstance(extra, dict):
                _smd_walk(child, extra, f"{path}.{key}", out)
            else:
                out.append(f"{path}.{key}: field not declared in schema")
    elif isinstance(value, list):
        items = resolved.get("items", {})
        keys = resolved.get("x-kubernetes-list-map-keys") or []
        seen: set[str] = set()
        for i, item in enumerate(value):
            if keys and isinstance(item, dict):
                label = _smd_key(item, keys)
                if label in seen:
                    out.append(f"{path}: duplicate entries for key {label}")
                seen.add(label)
            else:
                label = f"[{i}]"
            _smd_walk(item, items, path + label, out)


def apply_patch_error(
    def_name: str, obj: dict[str, Any], *, gvk: tuple[str, str, str], namespace: str, name: str
) -> str | None:
    """What server-side apply says about an applied config that does not fit the schema:
    `failed to create typed patch object (default/web; apps/v1, Kind=Deployment):
    .spec.foo: field not declared in schema` (several: `errors:` then one per line).
    The apiserver returns it as a plain error: HTTP 500, reason "" (ErrorToAPIStatus)."""
    found: list[str] = []
    _smd_walk(obj, {"$ref": f"#/$defs/{def_name}"}, "", found)
    if not found:
        return None
    group, version, kind = gvk
    gv = f"{group}/{version}"  # Go's GroupVersionKind.String(): the core group reads "/v1"
    detail = found[0] if len(found) == 1 else "errors:\n" + "\n".join(f"  {e}" for e in found)
    return f"failed to create typed patch object ({namespace}/{name}; {gv}, Kind={kind}): {detail}"
