"""CustomResourceDefinitions and their resources as pure functions: what a CRD serves,
its status and validation (`apiserver/crd.py`), and a custom resource's pruning,
defaulting, validation and Table (`apiserver/customresource.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kubesim.apiserver import crd as crds
from kubesim.apiserver import customresource as cr

Obj = dict[str, Any]
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

SCHEMA: Obj = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["image"],
            "properties": {
                "image": {"type": "string", "maxLength": 10},
                "mode": {"type": "string", "enum": ["fast", "slow"], "default": "fast"},
                "port": {"x-kubernetes-int-or-string": True},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "note": {"type": "string", "nullable": True},
            },
        }
    },
}


def _obj(**spec: Any) -> Obj:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "spec": spec,
    }


def _messages(obj: Obj) -> list[str]:
    return [f"{e.field}: {e.message}" for e in cr.validate(obj, SCHEMA)]


def test_pruning_keeps_declared_maps_and_preserved_subtrees() -> None:
    obj = _obj(image="x", labels={"a": "b"}, free={"any": {"thing": 1}}, extra=1)
    obj["top"] = True
    assert cr.prune(obj, SCHEMA) == ["spec.extra", "top"]
    assert obj["spec"] == {"image": "x", "labels": {"a": "b"}, "free": {"any": {"thing": 1}}}
    assert obj["metadata"] == {"name": "t"}  # metadata is never pruned by the schema


def test_a_null_takes_its_default_or_is_pruned_unless_nullable() -> None:
    """The docs' "Defaulting and Nullable" example: a non-nullable null is replaced by its
    default or dropped; a nullable one stays null."""
    obj = _obj(image="x", mode=None, tags=None, note=None)
    cr.default(obj, SCHEMA)
    assert obj["spec"] == {"image": "x", "mode": "fast", "note": None}
    assert _messages(obj) == []


def test_defaults_fill_missing_properties_of_present_objects() -> None:
    obj = _obj(image="x")
    cr.default(obj, SCHEMA)
    assert obj["spec"]["mode"] == "fast"
    bare: Obj = {"metadata": {"name": "t"}}
    cr.default(bare, SCHEMA)
    assert "spec" not in bare  # no object around the default, no default


def test_validation_words_each_check_as_kube_openapi() -> None:
    messages = _messages(
        _obj(mode="medium", tags=["a", "b", "c"], image="far-too-long-image", note=None, port=8080)
    )
    assert messages == [
        "spec.image: Too long: may not be more than 10 bytes",
        'spec.mode: Unsupported value: "medium": supported values: "fast", "slow"',
        "spec.tags: Too many: 3: must have at most 2 items",
    ]
    assert _messages(_obj()) == ["spec.image: Required value"]
    assert _messages(_obj(image="x", port="http", note=None)) == []  # int-or-string, nullable
    assert _messages(_obj(image="x", labels={"a": 1})) == [
        'spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"'
    ]


def test_printer_columns_default_to_age_and_print_missing_values_empty() -> None:
    assert [c["name"] for c in cr.columns({})] == ["Name", "Age"]
    version = {
        "additionalPrinterColumns": [{"name": "Image", "type": "string", "jsonPath": ".spec.image"}]
    }
    assert [c["name"] for c in cr.columns(version)] == ["Name", "Image"]
    assert cr.row(_obj(), NOW, version=version) == ["t", None]
    dated = {
        "additionalPrinterColumns": [{"name": "Since", "type": "date", "jsonPath": ".spec.since"}]
    }
    assert cr.row(_obj(since="yesterday"), NOW, version=dated) == ["t", "<invalid>"]
    assert cr.row(_obj(since=5), NOW, version=dated) == ["t", None]


CRD: Obj = {
    "metadata": {"name": "things.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Cluster",
        "names": {"plural": "things", "kind": "Thing", "shortNames": ["th"]},
        "versions": [
            {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": SCHEMA}},
            {
                "name": "v1beta1",
                "served": False,
                "storage": False,
                "schema": {"openAPIV3Schema": SCHEMA},
            },
        ],
    },
}


def test_a_crd_serves_its_served_versions_under_its_names() -> None:
    [served] = crds.resources(CRD)
    assert (served.group, served.version, served.plural, served.kind) == (
        "example.com",
        "v1",
        "things",
        "Thing",
    )
    assert (served.namespaced, served.short, served.singular, served.custom) == (
        False,
        ("th",),
        "thing",
        True,
    )
    status = crds.status(CRD, None, "2026-12-06T12:00:00Z")
    assert status["acceptedNames"]["listKind"] == "ThingList"
    assert status["storedVersions"] == ["v1"]
    assert [(c["type"], c["reason"]) for c in status["conditions"]] == [
        ("NamesAccepted", "NoConflicts"),
        ("Established", "InitialNamesAccepted"),
    ]
    assert crds.validate_crd(CRD, None) == []


def test_the_preferred_version_is_the_highest_not_the_stored_one() -> None:
    """Every CRD version's APIService has priority 100, so kube-aware order picks v1 over
    a stored v1beta1 (the docs' "Versions in CustomResourceDefinitions")."""
    from kubesim.core.resources import Registry

    both: Obj = {
        **CRD,
        "spec": {
            **CRD["spec"],
            "versions": [
                {**CRD["spec"]["versions"][1], "served": True, "storage": True},
                {**CRD["spec"]["versions"][0], "storage": False},
            ],
        },
    }
    reg = Registry(tuple(crds.resources(both)))
    assert reg.group_versions() == [("example.com", ["v1", "v1beta1"])]


def test_a_crd_is_defaulted_and_its_patterns_checked() -> None:
    from kubesim.apiserver.admission import default

    stored = default(("apiextensions.k8s.io", "v1", "CustomResourceDefinition"), CRD)
    assert stored["spec"]["names"]["singular"] == "thing"
    assert stored["spec"]["names"]["listKind"] == "ThingList"
    assert stored["spec"]["conversion"] == {"strategy": "None"}
    broken = {"type": "object", "properties": {"spec": {"type": "string", "pattern": "(["}}}
    bad: Obj = {
        **CRD,
        "spec": {
            **CRD["spec"],
            "versions": [{**CRD["spec"]["versions"][0], "schema": {"openAPIV3Schema": broken}}],
        },
    }
    messages = [f"{e.field}: {e.message}" for e in crds.validate_crd(bad, None)]
    assert messages == [
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].pattern: Invalid value: "
        '"([": must be a valid regular expression'
    ]


def test_a_crd_is_checked_for_the_common_mistakes() -> None:
    bad: Obj = {
        "metadata": {"name": "thing.example"},
        "spec": {
            "group": "example",
            "scope": "Global",
            "names": {"plural": "things", "kind": "Thing"},
            "versions": [{"name": "v1", "served": True, "storage": False}],
        },
    }
    messages = [f"{e.field}: {e.message}" for e in crds.validate_crd(bad, None)]
    assert messages == [
        'metadata.name: Invalid value: "thing.example": must be spec.names.plural+"."+spec.group',
        'spec.group: Invalid value: "example": should be a domain with at least one dot',
        'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
        "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: "
        "must have exactly one version marked as storage version",
        "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
    ]
