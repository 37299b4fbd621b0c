"""The tokens controller's decision for `kubernetes.io/service-account-token` Secrets: fill
token, namespace and ca.crt and the account's uid, or delete the Secret when its account
is gone or is another one by that name (tokens_controller.go's syncSecret)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from kubesim.controllers import Delete, Update, needs_token, reconcile_token_secret

Obj = dict[str, Any]
ACCOUNT = {"metadata": {"name": "robot", "namespace": "ns", "uid": "u-1"}}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(
    *, uid: str = "", data: Obj | None = None, kind: str = "kubernetes.io/service-account-token"
) -> Obj:
    annotations = {"kubernetes.io/service-account.name": "robot"}
    if uid:
        annotations["kubernetes.io/service-account.uid"] = uid
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": kind,
        "metadata": {
            "name": "robot-token",
            "namespace": "ns",
            "uid": "s-1",
            "annotations": annotations,
        },
        **({"data": data} if data is not None else {}),
    }


def test_a_new_token_secret_is_filled_with_token_namespace_ca_and_the_accounts_uid() -> None:
    fresh = secret()
    assert needs_token(fresh)
    [update] = reconcile_token_secret(fresh, ACCOUNT, token="jwt", ca_crt="CA").actions
    assert isinstance(update, Update)
    assert update.obj["data"] == {"ca.crt": b64("CA"), "namespace": b64("ns"), "token": b64("jwt")}
    assert update.obj["metadata"]["annotations"]["kubernetes.io/service-account.uid"] == "u-1"


def test_a_filled_secret_is_left_alone() -> None:
    filled = secret(
        uid="u-1", data={"ca.crt": b64("CA"), "namespace": b64("ns"), "token": b64("jwt")}
    )
    assert not needs_token(filled)
    assert reconcile_token_secret(filled, ACCOUNT, token=None, ca_crt="CA").actions == []


@pytest.mark.parametrize(
    "account, uid",
    [
        pytest.param(None, "", id="account-missing"),
        pytest.param(ACCOUNT, "u-old", id="account-recreated"),
    ],
)
def test_a_secret_whose_account_is_gone_is_deleted(account: Obj | None, uid: str) -> None:
    [delete] = reconcile_token_secret(secret(uid=uid), account, token=None, ca_crt="").actions
    assert isinstance(delete, Delete)
    assert (delete.namespace, delete.name, delete.uid) == ("ns", "robot-token", "s-1")


def test_other_secrets_are_not_the_controllers() -> None:
    assert reconcile_token_secret(secret(kind="Opaque"), None, token=None, ca_crt="").actions == []
