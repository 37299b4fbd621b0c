"""Strategic merge patch: merge keys and strategies from the 1.37 schema, and the directives."""

from __future__ import annotations

import copy

import pytest

from kubesim.apiserver.patch.dispatch import PatchError, apply_patch

SMP = "application/strategic-merge-patch+json"
DEPLOY_GVK = ("apps", "v1", "Deployment")


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "labels": {"app": "web", "tier": "api"},
            "finalizers": ["a", "b"],
        },
        "spec": {
            "replicas": 2,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "app:1",
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "args": ["--x"],
                        },
                        {"name": "sidecar", "image": "side:1"},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                },
            },
        },
    }


def smp(obj: dict, patch: dict, gvk=DEPLOY_GVK) -> dict:
    return apply_patch(obj, patch, content_type=SMP, gvk=gvk)


def pod_spec(patch: dict) -> dict:
    return {"spec": {"template": {"spec": patch}}}


def containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


def test_set_image_on_one_of_two_containers_keeps_the_other():
    got = smp(deployment(), pod_spec({"containers": [{"name": "sidecar", "image": "side:2"}]}))
    assert [(c["name"], c["image"]) for c in containers(got)] == [
        ("app", "app:1"),
        ("sidecar", "side:2"),
    ]
    assert (
        containers(got)[0]["env"]
        == deployment()["spec"]["template"]["spec"]["containers"][0]["env"]
    )


def test_set_element_order_with_a_removed_container():
    patch = pod_spec(
        {
            "$setElementOrder/containers": [{"name": "app"}],
            "containers": [{"$patch": "delete", "name": "sidecar"}],
        }
    )
    got = smp(deployment(), patch)
    assert [c["name"] for c in containers(got)] == ["app"]


def test_set_element_order_reorders_the_result():
    patch = pod_spec({"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]})
    got = smp(deployment(), patch)
    assert [c["name"] for c in containers(got)] == ["sidecar", "app"]


def test_patch_delete_on_a_list_item():
    patch = pod_spec({"containers": [{"name": "app", "env": [{"name": "A", "$patch": "delete"}]}]})
    got = smp(deployment(), patch)
    assert containers(got)[0]["env"] == [{"name": "B", "value": "2"}]


def test_patch_replace_on_a_list():
    patch = pod_spec({"containers": [{"name": "solo", "image": "s:1"}, {"$patch": "replace"}]})
    got = smp(deployment(), patch)
    assert containers(got) == [{"name": "solo", "image": "s:1"}]


def test_patch_replace_on_a_map():
    patch = {"metadata": {"labels": {"$patch": "replace", "only": "this"}}}
    got = smp(deployment(), patch)
    assert got["metadata"]["labels"] == {"only": "this"}


def test_retain_keys_switches_rolling_update_to_recreate():
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    got = smp(deployment(), patch)
    assert got["spec"]["strategy"] == {"type": "Recreate"}


def test_retain_keys_must_list_every_patched_key():
    patch = {
        "spec": {
            "strategy": {
                "$retainKeys": ["type"],
                "type": "Recreate",
                "rollingUpdate": {"maxSurge": 1},
            }
        }
    }
    with pytest.raises(PatchError) as caught:
        smp(deployment(), patch)
    assert caught.value.code == 400
    assert str(caught.value) == "invalid patch format of retainKeys"


def test_retain_keys_on_a_volume_source_swap():
    patch = pod_spec(
        {
            "volumes": [
                {"name": "data", "$retainKeys": ["name", "configMap"], "configMap": {"name": "cm"}}
            ]
        }
    )
    got = smp(deployment(), patch)
    assert got["spec"]["template"]["spec"]["volumes"] == [
        {"name": "data", "configMap": {"name": "cm"}}
    ]


@pytest.mark.parametrize(
    "patch, want",
    [
        pytest.param({"metadata": {"labels": {"tier": None}}}, {"app": "web"}, id="null-deletes"),
        pytest.param(
            {"metadata": {"labels": {"new": "x"}}},
            {"app": "web", "tier": "api", "new": "x"},
            id="maps-merge",
        ),
    ],
)
def test_labels(patch, want):
    assert smp(deployment(), patch)["metadata"]["labels"] == want


def test_env_merges_by_name():
    patch = pod_spec(
        {
            "containers": [
                {"name": "app", "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}]}
            ]
        }
    )
    env = containers(smp(deployment(), patch))[0]["env"]
    assert sorted((e["name"], e["value"]) for e in env) == [("A", "1"), ("B", "20"), ("C", "3")]


def test_ports_merge_by_container_port():
    patch = pod_spec(
        {
            "containers": [
                {
                    "name": "app",
                    "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 9090}],
                }
            ]
        }
    )
    ports = containers(smp(deployment(), patch))[0]["ports"]
    assert {p["containerPort"]: p for p in ports}[80] == {
        "containerPort": 80,
        "protocol": "TCP",
        "name": "http",
    }
    assert len(ports) == 2


def test_lists_without_strategy_are_replaced():
    patch = pod_spec({"containers": [{"name": "app", "args": ["--y"]}]})
    assert containers(smp(deployment(), patch))[0]["args"] == ["--y"]


def test_primitive_list_with_merge_strategy_is_unioned_and_deletable():
    got = smp(deployment(), {"metadata": {"finalizers": ["b", "c"]}})
    assert sorted(got["metadata"]["finalizers"]) == ["a", "b", "c"]
    got = smp(deployment(), {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert got["metadata"]["finalizers"] == ["b"]


def test_drain_style_patch_on_a_node():
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": {}}
    got = smp(node, {"spec": {"unschedulable": True}}, gvk=("", "v1", "Node"))
    assert got["spec"] == {"unschedulable": True}


def test_input_is_never_mutated():
    obj = deployment()
    before = copy.deepcopy(obj)
    patch = pod_spec({"containers": [{"name": "app", "image": "x"}]})
    patch_before = copy.deepcopy(patch)
    smp(obj, patch)
    assert obj == before
    assert patch == patch_before


def test_custom_resources_refuse_strategic_merge_patch_with_415():
    with pytest.raises(PatchError) as caught:
        smp({"spec": {}}, {"spec": {"a": 1}}, gvk=("example.com", "v1", "Widget"))
    assert caught.value.code == 415
    assert str(caught.value) == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )


def test_merge_key_missing_from_a_patch_item_is_an_error():
    with pytest.raises(PatchError) as caught:
        smp(deployment(), pod_spec({"containers": [{"image": "x"}]}))
    assert str(caught.value) == "map: map[image:x] does not contain declared merge key: name"
