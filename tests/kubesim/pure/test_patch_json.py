"""JSON patch and merge patch: RFC semantics with kube-apiserver's (evanphx v4) error texts."""

from __future__ import annotations

import copy

import pytest

from kubesim.apiserver.patch.dispatch import PatchError, apply_patch

JSON = "application/json-patch+json"
MERGE = "application/merge-patch+json"
GVK = ("apps", "v1", "Deployment")

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web", "a/b": "x", "t~n": "y"}},
    "spec": {
        "replicas": 2,
        "template": {
            "metadata": {"annotations": {"old": "1"}},
            "spec": {"containers": [{"name": "app", "image": "app:1"}, {"name": "log"}]},
        },
    },
}


@pytest.mark.parametrize(
    "ops, path, want",
    [
        pytest.param(
            [{"op": "add", "path": "/spec/paused", "value": True}],
            ("spec", "paused"),
            True,
            id="add-member",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "x"}}],
            ("spec", "template", "spec", "containers", 2, "name"),
            "x",
            id="add-dash-appends",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/template/spec/containers/0", "value": {"name": "x"}}],
            ("spec", "template", "spec", "containers", 0, "name"),
            "x",
            id="add-index-inserts",
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/replicas", "value": 5}],
            ("spec", "replicas"),
            5,
            id="replace",
        ),
        pytest.param(
            [{"op": "replace", "path": "/metadata/labels/a~1b", "value": "z"}],
            ("metadata", "labels", "a/b"),
            "z",
            id="pointer-escape-slash",
        ),
        pytest.param(
            [{"op": "replace", "path": "/metadata/labels/t~0n", "value": "z"}],
            ("metadata", "labels", "t~n"),
            "z",
            id="pointer-escape-tilde",
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/minReadySeconds", "value": 3}],
            ("spec", "minReadySeconds"),
            3,
            id="replace-missing-key-adds-like-v4",
        ),
        pytest.param(
            [{"op": "copy", "from": "/spec/replicas", "path": "/spec/x"}],
            ("spec", "x"),
            2,
            id="copy",
        ),
        pytest.param(
            [{"op": "move", "from": "/metadata/labels/app", "path": "/metadata/app"}],
            ("metadata", "app"),
            "web",
            id="move",
        ),
        pytest.param(
            [
                {"op": "test", "path": "/spec/replicas", "value": 2},
                {"op": "replace", "path": "/spec/replicas", "value": 4},
            ],
            ("spec", "replicas"),
            4,
            id="test-passes-then-replace",
        ),
        pytest.param(
            [{"op": "remove", "path": "/spec/template/spec/containers/-1"}],
            ("spec", "template", "spec", "containers", -1, "name"),
            "app",
            id="negative-index-counts-from-end",
        ),
    ],
)
def test_json_patch_operations(ops, path, want):
    got = apply_patch(DEPLOY, ops, content_type=JSON, gvk=GVK)
    node = got
    for step in path:
        node = node[step]
    assert node == want


def test_rollout_undo_style_patch_replaces_template_and_annotations():
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "app:0"}]},
    }
    ops = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {
            "op": "replace",
            "path": "/metadata/annotations",
            "value": {"deployment.kubernetes.io/revision": "1"},
        },
    ]
    got = apply_patch(DEPLOY, ops, content_type=JSON, gvk=GVK)
    assert got["spec"]["template"] == template
    assert got["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}


@pytest.mark.parametrize(
    "ops, code, message",
    [
        pytest.param(
            [{"op": "test", "path": "/spec/replicas", "value": 3}],
            422,
            "testing value /spec/replicas failed: test failed",
            id="test-fails",
        ),
        pytest.param(
            [{"op": "test", "path": "/spec/replicas", "value": "2"}],
            422,
            "testing value /spec/replicas failed: test failed",
            id="test-is-typed",
        ),
        pytest.param(
            [{"op": "remove", "path": "/spec/nope"}],
            422,
            "error in remove for path: '/spec/nope': Unable to remove nonexistent key: "
            "nope: missing value",
            id="remove-missing-key",
        ),
        pytest.param(
            [{"op": "add", "path": "/nope/deeper/x", "value": 1}],
            422,
            'add operation does not apply: doc is missing path: "/nope/deeper/x": missing value',
            id="add-missing-parent",
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/template/spec/containers/7", "value": 1}],
            422,
            "replace operation does not apply: doc is missing key: "
            "/spec/template/spec/containers/7: missing value",
            id="replace-out-of-range",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/template/spec/containers/9", "value": 1}],
            422,
            "error in add for path: '/spec/template/spec/containers/9': Unable to access "
            "invalid index: 9: invalid index referenced",
            id="add-out-of-range",
        ),
        pytest.param(
            [{"op": "frobnicate", "path": "/a"}],
            422,
            "Unexpected kind: frobnicate",
            id="unknown-op",
        ),
        pytest.param(
            {"op": "add"},
            400,
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
            id="not-a-list",
        ),
    ],
)
def test_json_patch_errors_use_the_servers_words(ops, code, message):
    with pytest.raises(PatchError) as caught:
        apply_patch(DEPLOY, ops, content_type=JSON, gvk=GVK)
    assert caught.value.code == code
    assert str(caught.value) == message


def test_failed_json_patch_leaves_input_untouched():
    before = copy.deepcopy(DEPLOY)
    with pytest.raises(PatchError):
        apply_patch(
            DEPLOY,
            [
                {"op": "replace", "path": "/spec/replicas", "value": 9},
                {"op": "test", "path": "/spec/replicas", "value": 1},
            ],
            content_type=JSON,
            gvk=GVK,
        )
    assert before == DEPLOY


def test_json_patch_accepts_bytes_body():
    got = apply_patch(
        DEPLOY, b'[{"op":"replace","path":"/spec/replicas","value":1}]', content_type=JSON, gvk=GVK
    )
    assert got["spec"]["replicas"] == 1


@pytest.mark.parametrize(
    "patch, check",
    [
        pytest.param(
            {"spec": {"replicas": 7}},
            lambda o: o["spec"]["replicas"] == 7,
            id="scale-style-replicas",
        ),
        pytest.param(
            {"metadata": {"labels": {"app": None}}},
            lambda o: "app" not in o["metadata"]["labels"],
            id="null-deletes",
        ),
        pytest.param(
            {"spec": {"template": {"spec": {"containers": [{"name": "only"}]}}}},
            lambda o: o["spec"]["template"]["spec"]["containers"] == [{"name": "only"}],
            id="lists-are-replaced",
        ),
        pytest.param(
            {"spec": {"new": {"a": None, "b": 1}}},
            lambda o: o["spec"]["new"] == {"b": 1},
            id="nulls-pruned-in-new-maps",
        ),
        pytest.param(
            {"metadata": {"labels": "flat"}},
            lambda o: o["metadata"]["labels"] == "flat",
            id="scalar-replaces-map",
        ),
    ],
)
def test_merge_patch_follows_rfc7386(patch, check):
    got = apply_patch(DEPLOY, patch, content_type=MERGE, gvk=GVK)
    assert check(got)
    assert got["metadata"]["name"] == "web"


def test_merge_patch_must_be_an_object():
    with pytest.raises(PatchError) as caught:
        apply_patch(DEPLOY, [1, 2], content_type=MERGE, gvk=GVK)
    assert caught.value.code == 400


def test_unknown_content_type_is_415():
    with pytest.raises(PatchError) as caught:
        apply_patch(DEPLOY, {}, content_type="text/plain", gvk=GVK)
    assert caught.value.code == 415
    assert "accepted media types include" in str(caught.value)
