"""Server-side apply and managedFields: ownership, pruning, conflicts, Update bookkeeping."""

from __future__ import annotations

import copy

import pytest

from kubesim.apiserver.patch.apply import ApplyConflict, record_update, server_side_apply
from kubesim.apiserver.patch.fieldpath import decode_fields, encode_fields, path_string

GVK = ("apps", "v1", "Deployment")


def config(replicas: int | None = 3, image: str = "nginx:1.14", sidecar: bool = False) -> dict:
    containers = [
        {"name": "nginx", "image": image, "ports": [{"containerPort": 80, "protocol": "TCP"}]}
    ]
    if sidecar:
        containers.append({"name": "log", "image": "busybox"})
    spec: dict = {
        "selector": {"matchLabels": {"app": "nginx"}},
        "template": {"metadata": {"labels": {"app": "nginx"}}, "spec": {"containers": containers}},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
        "spec": spec,
    }


def apply(live, cfg, *, manager="kubectl", force=False, now="2026-01-01T00:00:00Z"):
    return server_side_apply(live, cfg, manager=manager, force=force, gvk=GVK, now=now)


def entry(obj: dict, manager: str, operation: str | None = None) -> dict:
    found = [
        e
        for e in obj["metadata"]["managedFields"]
        if e["manager"] == manager and (operation is None or e["operation"] == operation)
    ]
    assert len(found) == 1, obj["metadata"]["managedFields"]
    return found[0]


def test_apply_creates_with_the_real_fields_v1_encoding():
    created = apply(None, config())
    got = entry(created, "kubectl")
    assert {k: got[k] for k in ("manager", "operation", "apiVersion", "time", "fieldsType")} == {
        "manager": "kubectl",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "time": "2026-01-01T00:00:00Z",
        "fieldsType": "FieldsV1",
    }
    assert got["fieldsV1"] == {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"nginx"}': {
                            ".": {},
                            "f:image": {},
                            "f:name": {},
                            "f:ports": {
                                'k:{"containerPort":80,"protocol":"TCP"}': {
                                    ".": {},
                                    "f:containerPort": {},
                                    "f:protocol": {},
                                }
                            },
                        }
                    }
                },
            },
        },
    }
    assert created["spec"]["replicas"] == 3


def test_reapply_is_a_no_op_and_keeps_managed_fields_stable():
    created = apply(None, config())
    again = apply(created, config(), now="2026-02-02T00:00:00Z")
    assert again == created


def test_dropping_a_field_from_the_config_removes_it():
    created = apply(None, config(sidecar=True))
    got = apply(created, config(replicas=None, sidecar=False))
    assert "replicas" not in got["spec"]
    assert [c["name"] for c in got["spec"]["template"]["spec"]["containers"]] == ["nginx"]
    assert "f:replicas" not in entry(got, "kubectl")["fieldsV1"]["f:spec"]


def test_dropped_field_stays_when_another_manager_also_owns_it():
    created = apply(None, config(replicas=3))
    shared = apply(
        created,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "nginx"},
            "spec": {"replicas": 3},
        },
        manager="hpa-tool",
    )
    got = apply(shared, config(replicas=None))
    assert got["spec"]["replicas"] == 3


def scaled_by_client_side_apply() -> dict:
    created = record_update(
        None,
        config(),
        manager="kubectl-client-side-apply",
        operation="Update",
        gvk=GVK,
        now="2026-01-01T00:00:00Z",
    )
    return created


def test_two_managers_conflict_on_replicas_with_the_real_message():
    live = scaled_by_client_side_apply()
    with pytest.raises(ApplyConflict) as caught:
        apply(live, config(replicas=5))
    assert caught.value.conflicts == [("kubectl-client-side-apply", ".spec.replicas")]
    assert caught.value.message("deployments/nginx") == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
        ".spec.replicas"
    )
    assert caught.value.causes() == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
            "field": ".spec.replicas",
        }
    ]


def test_several_conflicts_use_the_multi_line_form():
    live = scaled_by_client_side_apply()
    with pytest.raises(ApplyConflict) as caught:
        apply(live, config(replicas=5, image="nginx:2"))
    assert str(caught.value) == (
        'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using '
        "apps/v1:\n- .spec.replicas\n"
        '- .spec.template.spec.containers[name="nginx"].image'
    )


def test_same_value_is_shared_ownership_not_a_conflict():
    live = scaled_by_client_side_apply()
    got = apply(live, config())
    assert "f:replicas" in entry(got, "kubectl")["fieldsV1"]["f:spec"]
    assert "f:replicas" in entry(got, "kubectl-client-side-apply")["fieldsV1"]["f:spec"]


def test_force_takes_ownership():
    live = scaled_by_client_side_apply()
    got = apply(live, config(replicas=5), force=True)
    assert got["spec"]["replicas"] == 5
    assert "f:replicas" in entry(got, "kubectl")["fieldsV1"]["f:spec"]
    assert "f:replicas" not in entry(got, "kubectl-client-side-apply")["fieldsV1"]["f:spec"]


def test_record_update_after_kubectl_scale_moves_replicas_ownership():
    live = apply(None, config(replicas=3))
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 6
    got = record_update(
        live,
        scaled,
        manager="kubectl",
        operation="Update",
        gvk=GVK,
        now="2026-03-03T00:00:00Z",
        subresource="scale",
    )
    mine = entry(got, "kubectl", "Update")
    assert mine["subresource"] == "scale"
    assert mine["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in entry(got, "kubectl", "Apply")["fieldsV1"]["f:spec"]
    with pytest.raises(ApplyConflict) as caught:
        apply(got, config(replicas=3))
    assert str(caught.value) == (
        'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
        "using apps/v1: .spec.replicas"
    )


def test_record_update_on_create_marks_new_maps_and_lists_but_not_structs():
    got = scaled_by_client_side_apply()
    fields = entry(got, "kubectl-client-side-apply")["fieldsV1"]
    assert fields["f:metadata"]["f:labels"] == {".": {}, "f:app": {}}
    assert "." not in fields["f:spec"]
    assert "." not in fields["f:spec"]["f:template"]["f:spec"]["f:containers"]
    ports = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}'][
        "f:ports"
    ]
    assert "." in ports


def test_record_update_without_changes_keeps_time():
    live = scaled_by_client_side_apply()
    got = record_update(
        live,
        copy.deepcopy(live),
        manager="kubectl-client-side-apply",
        operation="Update",
        gvk=GVK,
        now="2030-01-01T00:00:00Z",
    )
    assert got["metadata"]["managedFields"] == live["metadata"]["managedFields"]


def test_record_update_removal_drops_ownership_and_empty_entries():
    live = apply(
        None,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}},
    )
    live = server_side_apply(
        None,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}},
        manager="kubectl",
        force=False,
        gvk=("", "v1", "ConfigMap"),
        now="t",
    )
    new = copy.deepcopy(live)
    new["data"] = {}
    got = record_update(
        live, new, manager="editor", operation="Update", gvk=("", "v1", "ConfigMap"), now="t2"
    )
    managers = [e["manager"] for e in got["metadata"].get("managedFields", [])]
    assert "kubectl" not in managers


def test_status_is_not_owned_through_the_main_resource():
    live = apply(None, config())
    new = copy.deepcopy(live)
    new["status"] = {"replicas": 3}
    got = record_update(
        live, new, manager="kube-controller-manager", operation="Update", gvk=GVK, now="t"
    )
    assert got["metadata"]["managedFields"] == live["metadata"]["managedFields"]
    via_status = record_update(
        live,
        new,
        manager="kube-controller-manager",
        operation="Update",
        gvk=GVK,
        now="t",
        subresource="status",
    )
    assert entry(via_status, "kube-controller-manager")["fieldsV1"] == {
        "f:status": {"f:replicas": {}}
    }


def test_unknown_kinds_treat_lists_as_atomic():
    gvk = ("example.com", "v1", "Widget")
    obj = server_side_apply(
        None,
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"items": [1, 2]},
        },
        manager="m",
        force=False,
        gvk=gvk,
        now="t",
    )
    assert obj["metadata"]["managedFields"][0]["fieldsV1"] == {"f:spec": {"f:items": {}}}


def test_nulls_in_applied_config_are_not_applied():
    got = apply(None, {**config(), "spec": {**config()["spec"], "paused": None}})
    assert "paused" not in got["spec"]
    assert "f:paused" not in entry(got, "kubectl")["fieldsV1"]["f:spec"]


def test_inputs_are_not_mutated():
    live = scaled_by_client_side_apply()
    cfg = config(replicas=3)
    before = (copy.deepcopy(live), copy.deepcopy(cfg))
    apply(live, cfg)
    assert (live, cfg) == before


@pytest.mark.parametrize(
    "path, text",
    [
        pytest.param(("f:spec", "f:replicas"), ".spec.replicas", id="fields"),
        pytest.param(
            ("f:spec", 'k:{"name":"nginx"}', "f:image"),
            '.spec[name="nginx"].image',
            id="list-map-key",
        ),
        pytest.param(
            ("f:ports", 'k:{"containerPort":80,"protocol":"TCP"}'),
            '.ports[containerPort=80,protocol="TCP"]',
            id="multi-key",
        ),
        pytest.param(("f:finalizers", 'v:"a"'), '.finalizers[="a"]', id="set-value"),
        pytest.param(("f:args", "i:0"), ".args[0]", id="index"),
    ],
)
def test_path_strings_match_smd(path, text):
    assert path_string(path) == text


def test_fields_v1_round_trips():
    tree = entry(apply(None, config()), "kubectl")["fieldsV1"]
    assert encode_fields(decode_fields(tree)) == tree


def test_conflict_with_another_applier_names_it_without_version():
    live = apply(None, config(replicas=3), manager="gitops")
    with pytest.raises(ApplyConflict) as caught:
        apply(live, config(replicas=4))
    assert str(caught.value).startswith(
        'Apply failed with 1 conflict: conflict with "gitops": .spec.replicas'
    )


def test_last_applied_annotation_apply_only_owns_the_annotation():
    live = scaled_by_client_side_apply()
    key = "kubectl.kubernetes.io/last-applied-configuration"
    got = apply(
        live,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "nginx", "annotations": {key: "{}"}},
        },
        manager="kubectl-last-applied",
    )
    assert got["metadata"]["annotations"][key] == "{}"
    assert entry(got, "kubectl-last-applied")["fieldsV1"] == {
        "f:metadata": {"f:annotations": {"f:" + key: {}}}
    }
    assert got["spec"] == live["spec"]
