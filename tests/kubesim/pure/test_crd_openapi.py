"""The OpenAPI v3 document a CRD publishes (apiextensions-apiserver's builder): its
definitions' names and shape, the int-or-string and embedded-resource unfolding, and routes
that take no strategic merge patch."""

from __future__ import annotations

from typing import Any

from kubesim.apiserver import crdopenapi
from kubesim.core.resources import Resource

SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "CronTab runs a command on a schedule.",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["cronSpec"],
            "properties": {
                "cronSpec": {"type": "string", "description": "When, in cron format."},
                "port": {"x-kubernetes-int-or-string": True},
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "x-kubernetes-preserve-unknown-fields": True,
                },
            },
        }
    },
}
CRONTABS = Resource(
    group="stable.example.com",
    version="v1",
    kind="CronTab",
    plural="crontabs",
    namespaced=True,
    sub=("status", "scale"),
    custom=True,
)
SCHEMAS = "#/components/schemas/"


def _doc() -> dict[str, Any]:
    kind = crdopenapi.CustomKind(CRONTABS, SCHEMA, "CronTabList")
    return crdopenapi.document("stable.example.com", "v1", [kind])


def test_definitions_are_named_with_the_group_reversed() -> None:
    assert crdopenapi.definition_name("stable.example.com", "v1", "CronTab") == (
        "com.example.stable.v1.CronTab"
    )
    schemas = _doc()["components"]["schemas"]
    assert {"com.example.stable.v1.CronTab", "com.example.stable.v1.CronTabList"} <= set(schemas)
    # what the kind references comes along, so kubectl explain can follow metadata
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in schemas
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta" in schemas
    assert "io.k8s.api.autoscaling.v1.Scale" in schemas


def test_the_kind_is_the_crds_schema_with_type_and_object_meta() -> None:
    kind = _doc()["components"]["schemas"]["com.example.stable.v1.CronTab"]
    assert kind["description"] == "CronTab runs a command on a schedule."
    assert kind["x-kubernetes-group-version-kind"] == [
        {"group": "stable.example.com", "kind": "CronTab", "version": "v1"}
    ]
    props = kind["properties"]
    assert props["metadata"]["$ref"] == SCHEMAS + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    assert props["apiVersion"]["description"].startswith("APIVersion defines the versioned")
    assert props["kind"]["type"] == "string"
    spec = props["spec"]
    assert spec["required"] == ["cronSpec"]
    assert spec["properties"]["cronSpec"]["description"] == "When, in cron format."
    # the CRD as stored is left alone
    assert "metadata" not in SCHEMA["properties"]


def test_int_or_string_and_embedded_resources_are_unfolded() -> None:
    spec = _doc()["components"]["schemas"]["com.example.stable.v1.CronTab"]["properties"]["spec"]
    port = spec["properties"]["port"]
    assert port["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    template = spec["properties"]["template"]
    assert set(template["properties"]) == {"apiVersion", "kind", "metadata"}
    assert template["required"] == ["kind", "apiVersion"]
    assert template["properties"]["kind"]["description"].startswith("kind is a string value")
    spelled = {
        "x-kubernetes-int-or-string": True,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
    }
    extra = {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer", "minimum": 1}]}
    assert crdopenapi.kind_schema({"type": "object", "properties": {"a": spelled, "b": extra}}, {})[
        "properties"
    ] == {
        "a": spelled,
        "b": {**extra, "allOf": [{"anyOf": [{"type": "integer"}, {"type": "string"}]}]},
        "metadata": crdopenapi._OBJECT_META,
        "apiVersion": crdopenapi._API_VERSION,
        "kind": crdopenapi._KIND,
    }


def test_the_list_kind_requires_items_of_the_kind() -> None:
    listed = _doc()["components"]["schemas"]["com.example.stable.v1.CronTabList"]
    assert listed["description"] == "CronTabList is a list of CronTab"
    assert listed["required"] == ["items"]
    assert listed["properties"]["items"]["items"] == {
        "$ref": SCHEMAS + "com.example.stable.v1.CronTab"
    }
    assert listed["x-kubernetes-group-version-kind"][0]["kind"] == "CronTabList"


def test_routes_take_field_validation_and_no_strategic_merge_patch() -> None:
    doc = _doc()
    item = "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"
    assert set(doc["paths"]) == {
        "/apis/stable.example.com/v1/crontabs",
        "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs",
        item,
        item + "/status",
        item + "/scale",
    }
    patch = doc["paths"][item]["patch"]
    assert patch["x-kubernetes-group-version-kind"]["kind"] == "CronTab"
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    assert sorted(patch["requestBody"]["content"]) == [
        "application/apply-patch+yaml",
        "application/json-patch+json",
        "application/merge-patch+json",
    ]
    assert sorted(doc["paths"][item]["get"]["responses"]["200"]["content"]) == [
        "application/json",
        "application/yaml",
    ]
    assert doc["info"] == {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"}


def test_published_documents_join_the_index_and_change_with_the_crds() -> None:
    none = crdopenapi.Published([])
    assert "apis/stable.example.com/v1" not in none.index()["paths"]
    assert none.served("apis/stable.example.com/v1") is None
    assert none.served("apis/apps/v1") is not None
    one = crdopenapi.Published([crdopenapi.CustomKind(CRONTABS, SCHEMA, "CronTabList")])
    url = one.index()["paths"]["apis/stable.example.com/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/stable.example.com/v1?hash=")
    assert "apis/apps/v1" in one.index()["paths"]
    other = crdopenapi.Published(
        [crdopenapi.CustomKind(CRONTABS, {"type": "object"}, "CronTabList")]
    )
    assert other.index()["paths"]["apis/stable.example.com/v1"]["serverRelativeURL"] != url
