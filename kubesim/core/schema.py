"""The Kubernetes 1.37 OpenAPI schema, as shipped by the `kubernetes-validate` package.

One source for everything schema-shaped in kubesim: OpenAPI v3 documents (`kubectl
explain`, `apply`), strict field validation, strategic-merge-patch keys
(`x-kubernetes-patch-merge-key` / `-strategy`) and server-side-apply list types
(`x-kubernetes-list-type` / `-list-map-keys`). Loaded once, lazily, read-only.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

KUBERNETES_VERSION = "1.37.0"
_SCHEMA_DIR = f"v{KUBERNETES_VERSION}-local"

Schema = dict[str, Any]


def _schema_root() -> Path:
    # find the package without importing it: its import pulls in jsonschema (over a second)
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("kubesim needs the kubernetes-validate package (pip install kubelab)")
    base = Path(next(iter(spec.submodule_search_locations)))
    return base / "kubernetes-json-schema" / _SCHEMA_DIR


@cache
def definitions() -> dict[str, Schema]:
    """All named definitions, keyed like `io.k8s.api.apps.v1.Deployment`."""
    raw = json.loads((_schema_root() / "_definitions.json").read_text())
    return raw["$defs"]


@cache
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            index[(gvk.get("group", ""), gvk["version"], gvk["kind"])] = name
    return index


def definition_name(group: str, version: str, kind: str) -> str | None:
    """The definition name of a top-level kind, e.g. ('apps','v1','Deployment')."""
    return _gvk_index().get((group, version, kind))


def definition(name: str) -> Schema:
    return definitions()[name]


def resolve(schema: Schema) -> Schema:
    """Follow a `$ref` (also inside a one-item allOf) to its definition; else return as is."""
    ref = schema.get("$ref")
    if ref is None and len(schema.get("allOf", [])) == 1:
        ref = schema["allOf"][0].get("$ref")
    if ref:
        return definitions()[ref.rsplit("/", 1)[-1]]
    return schema
