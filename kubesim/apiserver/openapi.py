"""OpenAPI v3 documents, enough for `kubectl apply` and `explain`.

Contract:
    index() -> dict            the /openapi/v3 body: {"paths": {"api/v1": {"serverRelativeURL":
                               "/openapi/v3/api/v1?hash=<H>"}, "apis/apps/v1": {...}, ...}}
    document(gv_path: str) -> dict | None
                               the body of /openapi/v3/<gv_path> ("api/v1", "apis/apps/v1"),
                               None when unknown (the server answers 404)
    V2_PROTOBUF, v2_protobuf() -> bytes
                               /openapi/v2 as kubectl asks for it: a protobuf Document with
                               no definitions (see below)

Built from the 1.37 schema in `_schema` and the served resources in resources.yaml, in
the shape kube-apiserver emits: `openapi: 3.0.0`, one path item per collection and item
(plus status/scale subresources), operations carrying `x-kubernetes-action` and
`x-kubernetes-group-version-kind`, the `fieldValidation` query parameter on writes, and
`components.schemas` holding every definition the document references
(`#/components/schemas/<name>`), with descriptions, `required` and all `x-kubernetes-*`
extensions kept so `kubectl explain` and merge-key lookups work.

Patch request bodies: kubectl builds client-side-apply patches from the OpenAPI schema
only when the patch operation declares `application/strategic-merge-patch+json`; without
it kubectl warns "OpenAPI V3 path does not support strategic merge patch" and falls back
to its compiled-in types (shared/kubectl-wire-notes.md: what kubectl asks a server for). A real apiserver
declares it, and our schemas carry the real merge keys and strategies, so we declare it
too. Checked with kubectl 1.37.1 against kubesim, both
settings: adding a port, removing a container and a port, editing env and Service ports
gave byte-identical patches (`$setElementOrder/...`, `$patch: delete` by merge key).

metrics.k8s.io is not documented here: a real cluster serves it from metrics-server's
aggregated API, the 1.37 schema bundle has no definitions for it, and neither `kubectl top`
nor `explain` of the kinds a course uses needs it.

OpenAPI v2: kubectl reads it only when v3 cannot answer for a kind, which is exactly the
learner's typo (`kind: Deploymnet`, `apiVersion: apps/v9`, an uninstalled CRD): its
fieldValidation verifier falls back to v2, finds no such type and validates client-side
against v2, which skips types it does not know; then the REST mapping fails with the real
"resource mapping not found ... ensure CRDs are installed first". With v2 at 404 kubectl
instead prints "failed to download openapi ... turn validation off with --validate=false".
An empty document (swagger "2.0", info, nothing else) gives the real outcome; kinds that v3
describes never reach it. A JSON request still gets 404 (kubectl never makes one).

Documents are built once per process, all together on the first call (about a second),
so `index()` is a dict lookup afterwards; the hash is the SHA-512 of the document's JSON.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from functools import cache
from typing import Any

from kubesim.core import schema as _schema
from kubesim.core.objects import deepcopy
from kubesim.core.resources import rows as resource_rows

SKIP_GROUPS = {"metrics.k8s.io"}

_REF_PREFIX = "#/components/schemas/"
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
# Referenced by the operations themselves (bodies and responses), not by a kind.
_OPERATION_DEFS = [
    _META + "DeleteOptions",
    _META + "Status",
    _META + "Patch",
    _META + "APIResourceList",
    _META + "WatchEvent",
]

_PARAM_DOCS = {
    "dryRun": (
        "When present, indicates that modifications should not be persisted. An invalid or "
        "unrecognized dryRun directive will result in an error response and no further "
        "processing of the request. Valid values are: - All: all dry run stages will be processed"
    ),
    "fieldManager": (
        "fieldManager is a name associated with the actor or entity that is making these changes. "
        "The value must be less than or 128 characters long, and only contain printable "
        "characters, as defined by https://golang.org/pkg/unicode/#IsPrint."
    ),
    "fieldValidation": (
        "fieldValidation instructs the server on how to handle objects in the request "
        "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: "
        "This will ignore any unknown fields that are silently dropped from the object, and "
        "will ignore all but the last duplicate field that the decoder encounters. This is the "
        "default behavior prior to v1.23. - Warn: This will send a warning via the standard "
        "warning response header for each unknown field that is dropped from the object, and "
        "for each duplicate field that is encountered. The request will still succeed if there "
        "are no other errors, and will only persist the last of any duplicate fields. This is "
        "the default in v1.23+ - Strict: This will fail the request with a BadRequest error if "
        "any unknown fields would be dropped from the object, or if any duplicate fields are "
        "present. The error returned from the server will contain all unknown and duplicate "
        "fields encountered."
    ),
    "force": (
        'Force is going to "force" Apply requests. It means user will re-acquire conflicting '
        "fields owned by other people. Force flag must be unset for non-apply patch requests."
    ),
    "pretty": (
        "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent "
        "indicates a browser or command-line HTTP tool (curl and wget)."
    ),
    "name": "name of the {kind}",
    "namespace": "object name and auth scope, such as for teams and projects",
    "labelSelector": (
        "A selector to restrict the list of returned objects by their labels. Defaults to everything."
    ),
    "fieldSelector": (
        "A selector to restrict the list of returned objects by their fields. Defaults to everything."
    ),
    "limit": "limit is a maximum number of responses to return for a list call.",
    "continue": "The continue option should be set when retrieving more results from the server.",
    "resourceVersion": (
        "resourceVersion sets a constraint on what resource versions a request may be served from."
    ),
    "watch": (
        "Watch for changes to the described resources and return them as a stream of add, "
        "update, and remove notifications. Specify resourceVersion."
    ),
    "gracePeriodSeconds": (
        "The duration in seconds before the object should be deleted. Value must be non-negative "
        "integer. The value zero indicates delete immediately."
    ),
    "propagationPolicy": (
        "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', "
        "'Background', 'Foreground'."
    ),
}


def _query(name: str, *, kind: str = "string", unique: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if unique:
        schema["uniqueItems"] = True
    return {"name": name, "in": "query", "description": _PARAM_DOCS[name], "schema": schema}


def _path_param(name: str, kind: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "description": _PARAM_DOCS[name].format(kind=kind),
        "required": True,
        "schema": {"type": "string", "uniqueItems": True},
    }


# --- schema conversion: JSON Schema (kubernetes-validate) -> OpenAPI 3.0 (kube-apiserver) ---


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF_PREFIX + name}


def _ref_target(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def convert_schema(schema: Any, refs: set[str], *, top: bool = False) -> Any:
    """One schema node to OpenAPI 3.0: single types, refs to components (wrapped in allOf
    when they carry siblings, as kube-apiserver does), everything else kept."""
    if isinstance(schema, list):
        return [convert_schema(s, refs) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    target = _ref_target(schema)
    for key, value in schema.items():
        if key == "$ref":
            continue
        if key == "type" and isinstance(value, list):
            kinds = [v for v in value if v != "null"]
            if kinds:
                out["type"] = kinds[0]
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: _property(k, v, refs, top=top) for k, v in value.items()}
            continue
        if key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = convert_schema(value, refs)
            continue
        if key in ("allOf", "oneOf", "anyOf"):
            out[key] = [convert_schema(v, refs) for v in value]
            continue
        out[key] = deepcopy(value)
    if target is not None:
        refs.add(target)
        # kube-apiserver wraps a ref that carries siblings (description...) in allOf
        out = {"allOf": [_ref(target)], **out} if out else _ref(target)
    return out


def _property(name: str, schema: dict[str, Any], refs: set[str], *, top: bool) -> Any:
    converted = convert_schema(schema, refs)
    if top and name in ("apiVersion", "kind") and isinstance(converted, dict):
        converted.pop("enum", None)  # kubernetes-validate's addition, not the server's
    return converted


def convert_definition(name: str, refs: set[str]) -> dict[str, Any]:
    definition = _schema.definition(name)
    if name == _INT_OR_STRING:
        return {
            "description": definition.get("description", ""),
            "format": "int-or-string",
            "oneOf": [{"type": "integer"}, {"type": "string"}],
        }
    if name == _QUANTITY:
        return {
            "description": definition.get("description", ""),
            "oneOf": [{"type": "string"}, {"type": "number"}],
        }
    converted = convert_schema(definition, refs, top=True)
    assert isinstance(converted, dict)
    return converted


# --- resources and paths ------------------------------------------------------------


@cache
def _resources() -> list[dict[str, Any]]:
    return [r for r in resource_rows() if r["group"] not in SKIP_GROUPS]


def gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _tag(group: str, version: str) -> str:
    if not group:
        return f"core_{version}"
    first = group.split(".")[0] if group.endswith(".k8s.io") else group
    return f"{first}_{version}".replace("-", "")


def _op_name(group: str, version: str) -> str:
    """`AppsV1`, `CoreV1`, `NetworkingV1`, `RbacAuthorizationV1` as in real operationIds."""
    if not group:
        return "Core" + version.capitalize()
    base = group[: -len(".k8s.io")] if group.endswith(".k8s.io") else group
    return "".join(p.capitalize() for p in base.split(".")) + version.capitalize()


def _gvk(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "kind": kind, "version": version}


def _content(ref_name: str, *, types: tuple[str, ...]) -> dict[str, Any]:
    return {t: {"schema": _ref(ref_name)} for t in types}


_READ_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
_WATCH_TYPES = _READ_TYPES + (
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf;stream=watch",
)


def _responses(ref_name: str, *codes: str) -> dict[str, Any]:
    words = {"200": "OK", "201": "Created", "202": "Accepted"}
    out: dict[str, Any] = {
        code: {"description": words[code], "content": _content(ref_name, types=_READ_TYPES)}
        for code in codes
    }
    out["401"] = {"description": "Unauthorized"}
    return out


def _write_params(*, patch: bool = False) -> list[dict[str, Any]]:
    params = [_query("dryRun"), _query("fieldManager"), _query("fieldValidation")]
    if patch:
        params.append(_query("force", kind="boolean"))
    return params


def _patch_body() -> dict[str, Any]:
    types = [
        "application/apply-patch+yaml",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    ]
    return {"content": {t: {"schema": _ref(_META + "Patch")} for t in types}, "required": True}


def _operation(
    *,
    verb: str,
    action: str,
    op_id: str,
    description: str,
    tag: str,
    gvk: dict[str, str],
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    responses: dict[str, Any],
) -> dict[str, Any]:
    op: dict[str, Any] = {"tags": [tag], "description": description, "operationId": op_id}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = body
    op["responses"] = responses
    op["x-kubernetes-action"] = action
    op["x-kubernetes-group-version-kind"] = gvk
    return op


def paths_for(resource: dict[str, Any], *, names: tuple[str, str] | None = None) -> dict[str, Any]:
    """The path items of one resource (a resources.yaml row); `names` are its kind's and
    list kind's definitions when the 1.37 schema does not hold them (a CRD's)."""
    group, version, kind = resource["group"], resource["version"], resource["kind"]
    plural, namespaced = resource["plural"], resource["namespaced"]
    verbs = set(resource.get("verbs") or ["get", "list", "create", "update", "patch", "delete"])
    def_name, list_name = names or (
        _schema.definition_name(group, version, kind),
        _schema.definition_name(group, version, kind + "List"),
    )
    if def_name is None:
        return {}
    prefix = "/" + gv_path(group, version)
    collection = (
        f"{prefix}/namespaces/{{namespace}}/{plural}" if namespaced else f"{prefix}/{plural}"
    )
    item = f"{collection}/{{name}}"
    tag, opn = _tag(group, version), _op_name(group, version)
    scope = "Namespaced" if namespaced else ""
    gvk = _gvk(group, version, kind)
    paths: dict[str, Any] = {}

    coll_item: dict[str, Any] = {}
    if "list" in verbs and list_name:
        coll_item["get"] = _operation(
            verb="get",
            action="list",
            op_id=f"list{opn}{scope}{kind}",
            description=f"list or watch objects of kind {kind}",
            tag=tag,
            gvk=gvk,
            params=[
                _query("continue"),
                _query("fieldSelector"),
                _query("labelSelector"),
                _query("limit", kind="integer"),
                _query("resourceVersion"),
                _query("watch", kind="boolean"),
            ],
            responses={
                "200": {"description": "OK", "content": _content(list_name, types=_WATCH_TYPES)},
                "401": {"description": "Unauthorized"},
            },
        )
    if "create" in verbs:
        coll_item["post"] = _operation(
            verb="post",
            action="post",
            op_id=f"create{opn}{scope}{kind}",
            description=f"create {_article(kind)}",
            tag=tag,
            gvk=gvk,
            params=_write_params(),
            body={"content": {"*/*": {"schema": _ref(def_name)}}, "required": True},
            responses=_responses(def_name, "200", "201", "202"),
        )
    if coll_item:
        coll_item["parameters"] = ([_path_param("namespace")] if namespaced else []) + [
            _query("pretty")
        ]
        paths[collection] = coll_item

    if "get" in verbs or "update" in verbs:
        paths[item] = _item_ops(
            def_name, kind=kind, gvk=gvk, tag=tag, opn=opn, scope=scope, verbs=verbs, suffix=""
        )
        paths[item]["parameters"] = (
            [_path_param("name", kind)]
            + ([_path_param("namespace")] if namespaced else [])
            + [_query("pretty")]
        )
    for sub in resource.get("sub") or []:
        if sub == "status":
            ops = _item_ops(
                def_name,
                kind=kind,
                gvk=gvk,
                tag=tag,
                opn=opn,
                scope=scope,
                verbs={"get", "update", "patch"},
                suffix="Status",
            )
        elif sub == "scale":
            scale_gvk = _gvk("autoscaling", "v1", "Scale")
            ops = _item_ops(
                "io.k8s.api.autoscaling.v1.Scale",
                kind=kind,
                gvk=scale_gvk,
                tag=tag,
                opn=opn,
                scope=scope,
                verbs={"get", "update", "patch"},
                suffix="Scale",
            )
        else:
            continue
        ops["parameters"] = (
            [_path_param("name", "Scale" if sub == "scale" else kind)]
            + ([_path_param("namespace")] if namespaced else [])
            + [_query("pretty")]
        )
        paths[f"{item}/{sub}"] = ops
    if namespaced and "list" in verbs and list_name:
        paths[f"{prefix}/{plural}"] = {
            "get": _operation(
                verb="get",
                action="list",
                op_id=f"list{opn}{kind}ForAllNamespaces",
                description=f"list or watch objects of kind {kind}",
                tag=tag,
                gvk=gvk,
                responses={
                    "200": {
                        "description": "OK",
                        "content": _content(list_name, types=_WATCH_TYPES),
                    },
                    "401": {"description": "Unauthorized"},
                },
            ),
            "parameters": [
                _query("continue"),
                _query("fieldSelector"),
                _query("labelSelector"),
                _query("limit", kind="integer"),
                _query("pretty"),
                _query("resourceVersion"),
                _query("watch", kind="boolean"),
            ],
        }
    return paths


def _article(kind: str) -> str:
    return ("an " if kind[0] in "AEIOU" else "a ") + kind


def _item_ops(
    def_name: str,
    *,
    kind: str,
    gvk: dict[str, str],
    tag: str,
    opn: str,
    scope: str,
    verbs: set[str],
    suffix: str,
) -> dict[str, Any]:
    what = {"": f"the specified {kind}", "Status": f"status of the specified {kind}"}.get(
        suffix, f"scale of the specified {kind}"
    )
    ops: dict[str, Any] = {}
    if "get" in verbs:
        ops["get"] = _operation(
            verb="get",
            action="get",
            op_id=f"read{opn}{scope}{kind}{suffix}",
            description=f"read {what}",
            tag=tag,
            gvk=gvk,
            responses=_responses(def_name, "200"),
        )
    if "update" in verbs:
        ops["put"] = _operation(
            verb="put",
            action="put",
            op_id=f"replace{opn}{scope}{kind}{suffix}",
            description=f"replace {what}",
            tag=tag,
            gvk=gvk,
            params=_write_params(),
            body={"content": {"*/*": {"schema": _ref(def_name)}}, "required": True},
            responses=_responses(def_name, "200", "201"),
        )
    if "patch" in verbs:
        ops["patch"] = _operation(
            verb="patch",
            action="patch",
            op_id=f"patch{opn}{scope}{kind}{suffix}",
            description=f"partially update {what}",
            tag=tag,
            gvk=gvk,
            params=_write_params(patch=True),
            body=_patch_body(),
            responses=_responses(def_name, "200", "201"),
        )
    if "delete" in verbs and not suffix:
        ops["delete"] = _operation(
            verb="delete",
            action="delete",
            op_id=f"delete{opn}{scope}{kind}",
            description=f"delete {_article(kind)}",
            tag=tag,
            gvk=gvk,
            params=[
                _query("dryRun"),
                _query("gracePeriodSeconds", kind="integer"),
                _query("propagationPolicy"),
            ],
            body={"content": {"*/*": {"schema": _ref(_META + "DeleteOptions")}}},
            responses=_responses(_META + "Status", "200", "202"),
        )
    return ops


# --- documents --------------------------------------------------------------------------


def _closure(roots: list[str]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in schemas:
            continue
        refs: set[str] = set()
        schemas[name] = convert_definition(name, refs)
        pending.extend(refs - schemas.keys())
    return dict(sorted(schemas.items()))


def _collect_refs(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            found.add(ref[len(_REF_PREFIX) :])
        for child in value.values():
            _collect_refs(child, found)
    elif isinstance(value, list):
        for child in value:
            _collect_refs(child, found)


def build_document(
    group: str,
    version: str,
    *,
    paths: dict[str, Any] | None = None,
    own: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A group-version's document: the built-in resources' paths, or the `paths` given
    with the definitions (`own`) that the 1.37 schema does not hold, beside every
    definition either references."""
    if paths is None:
        paths = {}
        for resource in _resources():
            if resource["group"] == group and resource["version"] == version:
                paths.update(paths_for(resource))
    own = own or {}
    roots: set[str] = set(_OPERATION_DEFS)
    _collect_refs(paths, roots)
    _collect_refs(own, roots)
    schemas = {**_closure(sorted(roots - own.keys())), **own}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": f"v{_schema.KUBERNETES_VERSION}"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header",
                }
            },
        },
        "security": [{"BearerToken": []}],
    }


class _Built:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.bodies: dict[str, bytes] = {}
        self.hashes: dict[str, str] = {}
        self.modified = time.time()  # each group's lastModified in kube-openapi: its build


_lock = threading.Lock()
_built: _Built | None = None


def _all() -> _Built:
    global _built
    if _built is None:
        with _lock:
            if _built is None:
                built = _Built()
                seen: list[tuple[str, str]] = []
                for r in _resources():
                    gv = (r["group"], r["version"])
                    if gv not in seen:
                        seen.append(gv)
                for group, version in seen:
                    path = gv_path(group, version)
                    doc = build_document(group, version)
                    body = encode(doc)
                    built.documents[path] = doc
                    built.bodies[path] = body
                    built.hashes[path] = digest(body)
                _built = built
    return _built


def encode(doc: dict[str, Any]) -> bytes:
    """A document's JSON as it is served and hashed, built-in or a CRD's: one encoding, so a
    listed hash is always that of the bytes a client gets."""
    return json.dumps(doc, separators=(",", ":")).encode()


def digest(body: bytes) -> str:
    """The `hash` a document is listed with: the SHA-512 of its JSON, as kube-openapi."""
    return hashlib.sha512(body).hexdigest().upper()


def index() -> dict[str, Any]:
    built = _all()
    return {
        "paths": {
            path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
            for path, digest in built.hashes.items()
        }
    }


def document(gv_path: str) -> dict[str, Any] | None:
    return _all().documents.get(gv_path.strip("/"))


def served(gv_path: str) -> tuple[bytes, str, float] | None:
    """One document as it is served: the JSON its hash was taken of, the hash, and when it
    was built (its Last-Modified)."""
    built = _all()
    path = gv_path.strip("/")
    if path not in built.bodies:
        return None
    return built.bodies[path], built.hashes[path], built.modified


def document_hash(gv_path: str) -> str | None:
    """The `hash` query value (also a good ETag) of one document."""
    return _all().hashes.get(gv_path.strip("/"))


def reset_cache() -> None:
    """Forget built documents (tests)."""
    global _built
    _built = None


# What kubectl accepts, and what kube-openapi answers with (Go's mime parser refuses the '@').
V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
V2_PROTOBUF_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def v2_protobuf() -> bytes:
    """gnostic's openapi_v2.Document {swagger: "2.0", info: {title, version}}, encoded."""

    def string_field(number: int, text: str) -> bytes:
        data = text.encode()
        return bytes([number << 3 | 2, len(data)]) + data

    info = string_field(1, "Kubernetes") + string_field(2, f"v{_schema.KUBERNETES_VERSION}")
    return string_field(1, "2.0") + bytes([2 << 3 | 2, len(info)]) + info
