"""The Table envelope: kind, column definitions, row objects per includeObject, list meta."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubesim.apiserver.printers.table import table

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
POD = {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": {"name": "p", "namespace": "default", "uid": "u1", "resourceVersion": "42"},
    "spec": {"containers": [{"name": "c"}]},
    "status": {"phase": "Succeeded"},
}


def test_envelope_is_a_meta_v1_table_with_list_metadata() -> None:
    result = table(("", "v1", "Pod"), [POD], now=NOW, list_meta={"resourceVersion": "99"})
    assert result["kind"] == "Table"
    assert result["apiVersion"] == "meta.k8s.io/v1"
    assert result["metadata"] == {"resourceVersion": "99"}
    assert len(result["rows"]) == 1


def test_missing_list_meta_is_an_empty_object() -> None:
    assert table(("", "v1", "Pod"), [], now=NOW)["metadata"] == {}


def test_column_definitions_carry_every_field_kubectl_reads() -> None:
    columns = table(("apps", "v1", "Deployment"), [], now=NOW)["columnDefinitions"]
    for column in columns:
        assert set(column) == {"name", "type", "format", "description", "priority"}
        assert column["description"], column["name"]
    assert columns[0]["format"] == "name"
    assert columns[0]["description"].startswith("Name must be unique within a namespace.")


def test_metadata_rows_hold_partial_object_metadata() -> None:
    row = table(("", "v1", "Pod"), [POD], now=NOW)["rows"][0]
    assert row["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": POD["metadata"],
    }


@pytest.mark.parametrize(
    "include, want",
    [pytest.param("Object", POD, id="object"), pytest.param("None", None, id="none")],
)
def test_include_object_selects_the_row_object(include: str, want: object) -> None:
    row = table(("", "v1", "Pod"), [POD], now=NOW, include_object=include)["rows"][0]
    assert row["object"] == want


def test_only_finished_pods_rows_have_conditions() -> None:
    running = {**POD, "status": {"phase": "Running"}}
    rows = table(("", "v1", "Pod"), [POD, running], now=NOW)["rows"]
    assert rows[0]["conditions"][0]["type"] == "Completed"
    assert "conditions" not in rows[1]


def test_unknown_kinds_get_name_and_created_at() -> None:
    crd = {"metadata": {"name": "thing", "creationTimestamp": "2026-11-24T11:00:00Z"}}
    result = table(("example.com", "v1", "Widget"), [crd], now=NOW)
    assert [(c["name"], c["type"]) for c in result["columnDefinitions"]] == [
        ("Name", "string"),
        ("Created At", "date"),
    ]
    assert result["rows"][0]["cells"] == ["thing", "2026-11-24T11:00:00Z"]


def test_a_kind_name_reused_in_another_group_is_not_mistaken() -> None:
    other = table(("example.com", "v1", "Deployment"), [], now=NOW)["columnDefinitions"]
    assert [c["name"] for c in other] == ["Name", "Created At"]


def test_column_definitions_are_fresh_copies() -> None:
    first = table(("", "v1", "Pod"), [], now=NOW)["columnDefinitions"]
    first[0]["name"] = "mutated"
    assert table(("", "v1", "Pod"), [], now=NOW)["columnDefinitions"][0]["name"] == "Name"


def test_rows_keep_the_order_of_the_objects() -> None:
    objs = [{"metadata": {"name": n}} for n in ("b", "a", "c")]
    rows = table(("", "v1", "ConfigMap"), objs, now=NOW)["rows"]
    assert [r["cells"][0] for r in rows] == ["b", "a", "c"]
