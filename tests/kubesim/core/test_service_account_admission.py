"""The ServiceAccount admission plugin and bound tokens: the `kube-api-access-*` projected
volume as kube-apiserver adds it, the opt-outs, the 403 for a missing account, and the JWT
the kubelet writes into the volume (claims as pkg/serviceaccount/claims.go sets them)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.serviceaccount import (
    TOKEN_MOUNT_PATH,
    TokenIssuer,
    admit_pod,
    service_account_key,
    token_volume_source,
)
from kubesim.core.clock import FrozenClock
from kubesim.core.errors import Forbidden
from kubesim.store.sqlite import Store

Obj = dict[str, Any]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store(tmp_path / "state.db")
    a = Api(store, clock=FrozenClock())
    bootstrap(a)
    yield a
    store.close()


def _pod(name: str = "web", **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec},
    }


def _create(api: Api, body: Obj, namespace: str = "default") -> Obj:
    return api.create(api.resource("", "v1", "pods"), namespace, body)


def test_a_new_pod_gets_the_projected_token_volume_and_a_read_only_mount(api: Api) -> None:
    pod = _create(api, _pod(initContainers=[{"name": "init", "image": "busybox"}]))
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "default"
    (volume,) = spec["volumes"]
    assert re.fullmatch(r"kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}", volume["name"])
    assert volume["projected"] == token_volume_source()
    assert volume["projected"]["defaultMode"] == 420
    assert volume["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 3607
    want = {"name": volume["name"], "readOnly": True, "mountPath": TOKEN_MOUNT_PATH}
    for container in spec["initContainers"] + spec["containers"]:
        assert container["volumeMounts"] == [want]


@pytest.mark.parametrize(
    "pod_setting, account_setting, mounted",
    [
        pytest.param(None, None, True, id="default-mounts"),
        pytest.param(False, None, False, id="pod-opts-out"),
        pytest.param(None, False, False, id="account-opts-out"),
        pytest.param(True, False, True, id="pod-wins-over-account"),
        pytest.param(False, True, False, id="pod-false-wins"),
    ],
)
def test_automount_service_account_token_pod_setting_wins(
    api: Api, pod_setting: bool | None, account_setting: bool | None, mounted: bool
) -> None:
    account: Obj = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}
    if account_setting is not None:
        account["automountServiceAccountToken"] = account_setting
    api.create(api.resource("", "v1", "serviceaccounts"), "default", account)
    extra: Obj = {"serviceAccountName": "robot"}
    if pod_setting is not None:
        extra["automountServiceAccountToken"] = pod_setting
    spec = _create(api, _pod(**extra))["spec"]
    assert bool(spec.get("volumes")) is mounted
    assert bool(spec["containers"][0].get("volumeMounts")) is mounted


def test_a_container_with_its_own_mount_at_the_token_path_keeps_it(api: Api) -> None:
    own = {"name": "mine", "mountPath": TOKEN_MOUNT_PATH}
    spec = _create(
        api,
        _pod(
            containers=[
                {"name": "a", "image": "nginx", "volumeMounts": [own]},
                {"name": "b", "image": "nginx"},
            ],
            volumes=[{"name": "mine", "emptyDir": {}}],
        ),
    )["spec"]
    assert spec["containers"][0]["volumeMounts"] == [{**own}]
    assert spec["containers"][1]["volumeMounts"][0]["mountPath"] == TOKEN_MOUNT_PATH
    assert [v["name"][:16] for v in spec["volumes"]] == ["mine", "kube-api-access-"]


def test_every_container_mounting_the_path_already_means_no_volume_is_added() -> None:
    pod = _pod(
        containers=[
            {
                "name": "a",
                "image": "x",
                "volumeMounts": [{"name": "t", "mountPath": TOKEN_MOUNT_PATH}],
            }
        ],
        volumes=[{"name": "t", "emptyDir": {}}],
    )
    account = {"metadata": {"name": "default"}}
    assert admit_pod(pod, namespace="ns", lookup=lambda _: account, generate_name=str) is None
    assert pod["spec"]["volumes"] == [{"name": "t", "emptyDir": {}}]


def test_a_missing_service_account_is_forbidden_with_the_plugins_words(api: Api) -> None:
    with pytest.raises(Forbidden) as caught:
        _create(api, _pod(serviceAccountName="ghost"))
    assert caught.value.message == (
        'pods "web" is forbidden: error looking up service account default/ghost: '
        'serviceaccount "ghost" not found'
    )


def test_mirror_pods_are_left_alone() -> None:
    pod = _pod()
    pod["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "abc"}
    assert admit_pod(pod, namespace="kube-system", lookup=lambda _: None, generate_name=str) is None
    assert "volumes" not in pod["spec"]


def test_image_pull_secrets_come_from_the_account_when_the_pod_has_none() -> None:
    pod = _pod()
    account = {"metadata": {"name": "default"}, "imagePullSecrets": [{"name": "regcred"}]}
    admit_pod(pod, namespace="ns", lookup=lambda _: account, generate_name=lambda p: p + "abcde")
    assert pod["spec"]["imagePullSecrets"] == [{"name": "regcred"}]


def test_updating_a_pod_does_not_add_a_second_volume(api: Api) -> None:
    pods = api.resource("", "v1", "pods")
    created = _create(api, _pod())
    created["metadata"]["labels"] = {"tier": "web"}
    updated = api.update(pods, "default", "web", created)
    assert updated["spec"]["volumes"] == created["spec"]["volumes"]


# -- tokens ---------------------------------------------------------------------------------


def _claims(token: str) -> Obj:
    head, body, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return {
        "header": json.loads(base64.urlsafe_b64decode(pad(head))),
        "body": json.loads(base64.urlsafe_b64decode(pad(body))),
    }


ACCOUNT = {"metadata": {"name": "default", "namespace": "shop", "uid": "sa-uid"}}
POD = {"metadata": {"name": "web-1", "namespace": "shop", "uid": "pod-uid"}}
NODE = {"metadata": {"name": "kind-worker", "uid": "node-uid"}}


def test_a_bound_token_carries_the_claims_kube_apiserver_signs() -> None:
    issuer = TokenIssuer()
    token = issuer.issue(
        service_account=ACCOUNT, pod=POD, node=NODE, now=1_000_000, expiration_seconds=3607
    )
    parts = _claims(token)
    assert parts["header"] == {"alg": "RS256", "kid": issuer.key_id}
    body = parts["body"]
    assert body["iss"] == "https://kubernetes.default.svc.cluster.local"
    assert body["aud"] == ["https://kubernetes.default.svc.cluster.local"]
    assert body["sub"] == "system:serviceaccount:shop:default"
    assert body["iat"] == body["nbf"] == 1_000_000
    # the admission volume's 3607 s is extended to a year, with a warning after the hour
    assert body["exp"] == 1_000_000 + 365 * 24 * 3600
    assert body["kubernetes.io"] == {
        "namespace": "shop",
        "serviceaccount": {"name": "default", "uid": "sa-uid"},
        "pod": {"name": "web-1", "uid": "pod-uid"},
        "node": {"name": "kind-worker", "uid": "node-uid"},
        "warnafter": 1_000_000 + 3607,
    }
    assert issuer.verify(token)["jti"] == body["jti"]


def test_a_token_with_an_audience_and_its_own_expiry_is_not_extended() -> None:
    token = TokenIssuer().issue(
        service_account=ACCOUNT,
        pod=POD,
        node=None,
        now=50,
        audiences=["vault"],
        expiration_seconds=7200,
    )
    body = _claims(token)["body"]
    assert body["aud"] == ["vault"]
    assert body["exp"] == 50 + 7200
    assert "warnafter" not in body["kubernetes.io"]


def test_a_token_from_another_key_does_not_verify(tmp_path: Path) -> None:
    token = TokenIssuer().issue(service_account=ACCOUNT, pod=None, node=None, now=0)
    with pytest.raises(ValueError, match="not a token signed by this cluster"):
        TokenIssuer(service_account_key(tmp_path)).verify(token)


def test_the_signing_key_is_kept_in_the_state_folder(tmp_path: Path) -> None:
    first = service_account_key(tmp_path)
    assert service_account_key(tmp_path) == first
    assert (tmp_path / "sa.key").stat().st_mode & 0o777 == 0o600
    token = TokenIssuer(first).issue(service_account=ACCOUNT, pod=None, node=None, now=0)
    assert TokenIssuer(service_account_key(tmp_path)).verify(token)["sub"].endswith(":default")


# -- the root-CA publisher --------------------------------------------------------------------


def test_an_edited_root_ca_configmap_is_written_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    api = Api(store, clock=FrozenClock(), root_ca="-----BEGIN CERTIFICATE-----\nCA\n")
    bootstrap(api)
    cms = api.resource("", "v1", "configmaps")
    published = api.get(cms, "default", "kube-root-ca.crt")
    assert published["data"] == {"ca.crt": api.root_ca}
    edited = {**published, "data": {"ca.crt": "not the CA", "extra": "x"}}
    edited["metadata"] = {**published["metadata"], "annotations": {}}
    api.update(cms, "default", "kube-root-ca.crt", edited)
    back = api.get(cms, "default", "kube-root-ca.crt")
    assert back["data"] == {"ca.crt": api.root_ca}
    assert back["metadata"]["annotations"]["kubernetes.io/description"].startswith(
        "Contains a CA bundle"
    )
    other = api.create(cms, "default", {"metadata": {"name": "mine"}, "data": {"a": "1"}})
    api.update(cms, "default", "mine", {**other, "data": {"a": "2"}})
    assert api.get(cms, "default", "mine")["data"] == {"a": "2"}  # only the CA's is kept
    store.close()
