"""The OpenAPI v3 document a CustomResourceDefinition publishes for each served version.

Why: kubectl reads a kind's schema from `/openapi/v3`, for `kubectl explain crontab.spec`
(the docs' "Publish Validation Schema in OpenAPI": the CRD's descriptions are what explain
prints) and to see that the server takes `fieldValidation` for that kind. Without a
document kubectl answers `couldn't find resource for "stable.example.com/v1,
Resource=crontabs"` to explain.

Shaped as apiextensions-apiserver's builder makes it:
* the kind's definition is named `ToRESTFriendlyName(group/version/Kind)` (the group's
  labels reversed: `com.example.stable.v1.CronTab`); it is the version's
  `openAPIV3Schema` unfolded (an `x-kubernetes-int-or-string` node gets its
  `anyOf: [integer, string]`; an `x-kubernetes-embedded-resource` object gets apiVersion,
  kind and metadata, the first two required), with `metadata` a reference to ObjectMeta,
  apiVersion and kind described as TypeMeta describes them, and
  `x-kubernetes-group-version-kind`;
* the list kind's definition (`<Kind>List is a list of <Kind>`, `items` required, ListMeta);
* the same routes a built-in kind has (list, list for all namespaces, create, read, replace,
  patch, delete, status and scale when the version has them), producing JSON and YAML only
  and taking JSON patch, merge patch and apply patch, not strategic merge patch (a custom
  resource has no patch strategy: kubectl must not send one);
* info `Kubernetes CRD Swagger` v0.1.0, as the builder titles it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubesim.apiserver import openapi as _openapi
from kubesim.core.objects import deepcopy
from kubesim.core.resources import Resource

Obj = dict[str, Any]
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_CONVENTIONS = "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
_API_VERSION = {
    "description": (
        "APIVersion defines the versioned schema of this representation of an object. Servers "
        "should convert recognized schemas to the latest internal value, and may reject "
        f"unrecognized values. More info: {_CONVENTIONS}#resources"
    ),
    "type": "string",
}
_KIND = {
    "description": (
        "Kind is a string value representing the REST resource this object represents. Servers "
        "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
        f"CamelCase. More info: {_CONVENTIONS}#types-kinds"
    ),
    "type": "string",
}
_EMBEDDED_API_VERSION = {
    "description": (
        "apiVersion defines the versioned schema of this representation of an object. "
        f"More info: {_CONVENTIONS}#resources"
    ),
    "type": "string",
}
_EMBEDDED_KIND = {
    "description": (
        "kind is a string value representing the type of this object. In CamelCase. "
        f"More info: {_CONVENTIONS}#types-kinds"
    ),
    "type": "string",
}
_OBJECT_META = {
    "$ref": "#/components/schemas/" + _META + "ObjectMeta",
    "description": f"Standard object's metadata. More info: {_CONVENTIONS}#metadata",
}
_INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]
# What a CRD's routes produce and accept (apiextensions' buildRoute), beside a built-in's.
_NOT_FOR_CUSTOM = {
    "application/vnd.kubernetes.protobuf",
    "application/vnd.kubernetes.protobuf;stream=watch",
    "application/strategic-merge-patch+json",
}


@dataclass(frozen=True)
class CustomKind:
    """One served version of one CRD, as the API's registry holds it."""

    resource: Resource
    schema: Obj
    list_kind: str


def definition_name(group: str, version: str, kind: str) -> str:
    """kube-openapi's ToRESTFriendlyName of `group/version/kind`."""
    return ".".join([*reversed(group.split(".")), version, kind])


def document(group: str, version: str, kinds: Sequence[CustomKind]) -> Obj:
    """The body of `/openapi/v3/apis/<group>/<version>` for the CRDs served there."""
    paths: Obj = {}
    schemas: Obj = {}
    for custom in kinds:
        res = custom.resource
        name = definition_name(group, version, res.kind)
        list_name = definition_name(group, version, custom.list_kind)
        schemas[name] = kind_schema(custom.schema, _gvk(res, res.kind))
        schemas[list_name] = _list_schema(res, name, custom.list_kind)
        row = {
            "group": group,
            "version": version,
            "kind": res.kind,
            "plural": res.plural,
            "namespaced": res.namespaced,
            "verbs": list(res.verbs),
            "sub": list(res.sub),
        }
        paths.update(_openapi.paths_for(row, names=(name, list_name)))
    paths = _without_media_types(paths)
    built = _openapi.build_document(group, version, paths=paths, own=schemas)
    built["info"] = {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"}
    return built


def kind_schema(schema: Obj, gvk: Obj) -> Obj:
    """A version's openAPIV3Schema as published: unfolded, with TypeMeta and ObjectMeta."""
    out: Obj = _unfold(deepcopy(schema)) if schema else {"type": "object"}
    if schema:
        properties = out.setdefault("properties", {})
        properties["metadata"] = dict(_OBJECT_META)
        properties["apiVersion"] = dict(_API_VERSION)
        properties["kind"] = dict(_KIND)
    out["x-kubernetes-group-version-kind"] = [gvk]
    return out


def _unfold(node: Any) -> Any:
    if isinstance(node, list):
        return [_unfold(item) for item in node]
    if not isinstance(node, dict):
        return node
    for key in ("properties", "patternProperties"):
        if isinstance(node.get(key), dict):
            node[key] = {k: _unfold(v) for k, v in node[key].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            node[key] = _unfold(node[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            node[key] = _unfold(node[key])
    if node.get("x-kubernetes-int-or-string") is True and not _int_or_string_spelled(node):
        if "anyOf" not in node:
            node["anyOf"] = deepcopy(_INT_OR_STRING)
        else:
            node["allOf"] = [{"anyOf": deepcopy(_INT_OR_STRING)}, *node.get("allOf", [])]
    if node.get("x-kubernetes-embedded-resource") is True:
        properties = node.setdefault("properties", {})
        properties["apiVersion"] = dict(_EMBEDDED_API_VERSION)
        properties["kind"] = dict(_EMBEDDED_KIND)
        properties["metadata"] = dict(_OBJECT_META)
        required = node.setdefault("required", [])
        for key in ("kind", "apiVersion"):
            if key not in required:
                required.append(key)
    return node


def _int_or_string_spelled(node: Obj) -> bool:
    """The two spellings the structural schema rules allow for int-or-string itself."""
    if node.get("anyOf") == _INT_OR_STRING:
        return True
    all_of = node.get("allOf") or [None]
    return isinstance(all_of[0], dict) and all_of[0].get("anyOf") == _INT_OR_STRING


def _gvk(res: Resource, kind: str) -> Obj:
    return {"group": res.group, "kind": kind, "version": res.version}


def _list_schema(res: Resource, item_name: str, list_kind: str) -> Obj:
    return {
        "type": "object",
        "description": f"{list_kind} is a list of {res.kind}",
        "required": ["items"],
        "properties": {
            "apiVersion": dict(_API_VERSION),
            "items": {
                "type": "array",
                "description": f"List of {res.plural}. More info: {_CONVENTIONS}",
                "items": {"$ref": "#/components/schemas/" + item_name},
            },
            "kind": dict(_KIND),
            "metadata": {
                "$ref": "#/components/schemas/" + _META + "ListMeta",
                "description": f"Standard list metadata. More info: {_CONVENTIONS}#metadata",
            },
        },
        "x-kubernetes-group-version-kind": [_gvk(res, list_kind)],
    }


def _without_media_types(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_media_types(v)
            for k, v in value.items()
            if not (isinstance(k, str) and k in _NOT_FOR_CUSTOM)
        }
    if isinstance(value, list):
        return [_without_media_types(v) for v in value]
    return value


class Published:
    """Every served custom group-version's document as served (its JSON) and its hash,
    built once for one set of CRDs (the API's registry is replaced whenever a CRD changes,
    so the server keeps one of these per registry)."""

    def __init__(self, kinds: Sequence[CustomKind]) -> None:
        by_gv: dict[tuple[str, str], list[CustomKind]] = {}
        for custom in kinds:
            by_gv.setdefault((custom.resource.group, custom.resource.version), []).append(custom)
        self.bodies: dict[str, bytes] = {}
        self.hashes: dict[str, str] = {}
        self.modified = time.time()
        for (group, version), found in sorted(by_gv.items()):
            path = _openapi.gv_path(group, version)
            self.bodies[path] = _openapi.encode(document(group, version, found))
            self.hashes[path] = _openapi.digest(self.bodies[path])
        self._index_body: bytes | None = None

    def index(self) -> Obj:
        """`/openapi/v3` with these documents beside the built-in ones."""
        paths = dict(_openapi.index()["paths"])
        for path, digest in self.hashes.items():
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
        return {"paths": paths}

    def index_body(self) -> bytes:
        """The index as Go's json.Marshal writes it (a map's keys sorted), built once."""
        if self._index_body is None:
            self._index_body = json.dumps(
                self.index(), separators=(",", ":"), sort_keys=True
            ).encode()
        return self._index_body

    def served(self, path: str) -> tuple[bytes, str, float] | None:
        """A document's body, hash and Last-Modified, custom or built in (`openapi.served`)."""
        key = path.strip("/")
        if key in self.bodies:
            return self.bodies[key], self.hashes[key], self.modified
        return _openapi.served(key)
