"""OpenAPI v3: what kubectl needs from /openapi/v3 and /openapi/v3/<group-version>."""

from __future__ import annotations

import re

import pytest
import yaml

from kubesim.apiserver import openapi as _openapi
from kubesim.core.data import data_file

RESOURCES = yaml.safe_load(data_file("resources.yaml").read_text())
SERVED = sorted(
    {
        _openapi.gv_path(r["group"], r["version"])
        for r in RESOURCES
        if r["group"] != "metrics.k8s.io"
    }
)


def test_index_lists_every_group_version_with_a_hash() -> None:
    paths = _openapi.index()["paths"]
    assert sorted(paths) == SERVED
    for gv, entry in paths.items():
        assert re.fullmatch(
            rf"/openapi/v3/{re.escape(gv)}\?hash=[0-9A-F]{{128}}", entry["serverRelativeURL"]
        )


def test_hash_is_stable_and_is_the_documents_digest() -> None:
    first = _openapi.index()
    _openapi.reset_cache()
    assert _openapi.index() == first
    assert first["paths"]["apis/apps/v1"]["serverRelativeURL"].endswith(
        "hash=" + (_openapi.document_hash("apis/apps/v1") or "")
    )


def test_unknown_group_version_has_no_document() -> None:
    assert _openapi.document("apis/example.com/v1") is None


def _patch_ops(doc: dict) -> list[dict]:
    return [item["patch"] for item in doc["paths"].values() if "patch" in item]


@pytest.mark.parametrize("gv", SERVED)
def test_document_shape(gv: str) -> None:
    doc = _openapi.document(gv)
    assert doc is not None
    assert doc["openapi"] == "3.0.0"
    assert doc["info"]["title"] == "Kubernetes"


@pytest.mark.parametrize("gv", SERVED)
def test_every_writable_kind_has_a_gvk_tagged_patch_with_field_validation(gv: str) -> None:
    doc = _openapi.document(gv)
    assert doc is not None
    kinds = {
        r["kind"]
        for r in RESOURCES
        if _openapi.gv_path(r["group"], r["version"]) == gv
        and "patch" in (r.get("verbs") or ["patch"])
    }
    tagged = {
        op["x-kubernetes-group-version-kind"]["kind"]
        for op in _patch_ops(doc)
        if any(p["name"] == "fieldValidation" for p in op["parameters"])
    }
    assert kinds <= tagged


@pytest.mark.parametrize("gv", SERVED)
def test_all_refs_resolve_inside_the_document(gv: str) -> None:
    doc = _openapi.document(gv)
    assert doc is not None
    schemas = doc["components"]["schemas"]
    refs: set[str] = set()
    _collect(doc, refs)
    assert refs, "a document without refs would be useless to kubectl"
    missing = {r for r in refs if r.removeprefix("#/components/schemas/") not in schemas}
    assert not missing
    assert all(r.startswith("#/components/schemas/") for r in refs)


def _collect(value: object, refs: set[str]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            refs.add(value["$ref"])
        for child in value.values():
            _collect(child, refs)
    elif isinstance(value, list):
        for child in value:
            _collect(child, refs)


def test_schemas_keep_descriptions_required_and_merge_keys() -> None:
    doc = _openapi.document("apis/apps/v1")
    assert doc is not None
    schemas = doc["components"]["schemas"]
    deployment = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    spec = schemas["io.k8s.api.apps.v1.DeploymentSpec"]
    assert spec["required"] == ["selector", "template"]
    assert spec["properties"]["strategy"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"}
    ]
    assert spec["properties"]["strategy"]["x-kubernetes-patch-strategy"] == "retainKeys"
    assert spec["properties"]["replicas"]["type"] == "integer"
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-list-type"] == "map"
    assert "Deployment enables declarative updates" in deployment["description"]


def test_no_json_schema_only_constructs_leak_into_openapi() -> None:
    doc = _openapi.document("api/v1")
    assert doc is not None
    text = repr(doc)
    assert "#/$defs/" not in text
    assert "'null'" not in text
    int_or_string = doc["components"]["schemas"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert int_or_string["format"] == "int-or-string"


def test_strategic_merge_patch_body_is_declared_as_a_real_apiserver_declares_it() -> None:
    doc = _openapi.document("apis/apps/v1")
    assert doc is not None
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    declared = "application/strategic-merge-patch+json" in patch["requestBody"]["content"]
    assert declared
    assert "application/apply-patch+yaml" in patch["requestBody"]["content"]
