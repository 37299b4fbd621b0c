"""Service-account tokens at the HTTP edge of an in-process API server: TokenRequest as
kube-apiserver answers it, and which tokens authenticate (signature, expiry with go-jose's
minute of leeway, audience, the bound pod and account still being the same objects)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from kubesim.apiserver.api import Api
from kubesim.apiserver.bootstrap import bootstrap
from kubesim.apiserver.server import Server
from kubesim.apiserver.serviceaccount import TokenIssuer
from kubesim.core.clock import Clock
from kubesim.store.sqlite import Store

Obj = dict[str, Any]
TOKEN = "admin-t0ken"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}
TOKEN_URL = "/api/v1/namespaces/default/serviceaccounts/default/token"
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store(tmp_path / "state.db")
    a = Api(store, clock=Clock())
    bootstrap(a)
    yield a
    store.close()


@pytest.fixture
async def client(api: Api):
    c = TestClient(TestServer(Server(api, token=TOKEN).app()))
    await c.start_server()
    yield c
    await c.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def whoami(client: TestClient, token: str) -> tuple[int, Obj]:
    r = await client.post(
        WHOAMI,
        headers=bearer(token),
        json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    return r.status, await r.json()


async def request_token(client: TestClient, spec: Obj | None = None, *, account: str = "default"):
    url = f"/api/v1/namespaces/default/serviceaccounts/{account}/token"
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec or {}}
    return await client.post(url, headers=ADMIN, json=body)


def claims(token: str) -> Obj:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def service_account(api: Api, name: str = "default") -> Obj:
    return api.get(api.resource("", "v1", "serviceaccounts"), "default", name)


def make_pod(api: Api, name: str, account: str = "default") -> Obj:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "serviceAccountName": account,
            "containers": [{"name": "c", "image": "busybox:1.36"}],
        },
    }
    return api.create(api.resource("", "v1", "pods"), "default", body)


async def test_token_request_answers_as_kube_apiserver_and_the_token_authenticates(
    api: Api, client: TestClient
) -> None:
    r = await request_token(client)
    assert r.status == 201
    answer = await r.json()
    token = answer["status"]["token"]
    assert answer["kind"] == "TokenRequest" and answer["apiVersion"] == "authentication.k8s.io/v1"
    assert answer["metadata"] == {
        "name": "default",
        "namespace": "default",
        "creationTimestamp": None,
    }
    assert answer["spec"] == {
        "audiences": ["https://kubernetes.default.svc.cluster.local"],
        "expirationSeconds": 3600,
        "boundObjectRef": None,
    }
    got = claims(token)
    assert got["exp"] - got["iat"] == 3600
    assert got["sub"] == "system:serviceaccount:default:default"
    status, body = await whoami(client, token)
    assert status == 201
    assert body["status"]["userInfo"] == {
        "username": "system:serviceaccount:default:default",
        "uid": service_account(api)["metadata"]["uid"],
        "groups": [
            "system:serviceaccounts",
            "system:serviceaccounts:default",
            "system:authenticated",
        ],
        "extra": {"authentication.kubernetes.io/credential-id": [f"JTI={got['jti']}"]},
    }


@pytest.mark.parametrize(
    "spec, message",
    [
        pytest.param(
            {"expirationSeconds": 60},
            'TokenRequest.authentication.k8s.io "default" is invalid: spec.expirationSeconds: '
            "Invalid value: 60: may not specify a duration less than 10 minutes",
            id="too-short",
        ),
        pytest.param(
            {"expirationSeconds": (1 << 32) + 1},
            'TokenRequest.authentication.k8s.io "default" is invalid: spec.expirationSeconds: '
            "Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds",
            id="too-long",
        ),
    ],
)
async def test_token_request_durations_are_validated(
    client: TestClient, spec: Obj, message: str
) -> None:
    r = await request_token(client, spec)
    assert r.status == 422
    assert (await r.json())["message"] == message


async def test_a_token_for_a_missing_account_is_404(client: TestClient) -> None:
    r = await request_token(client, account="ghost")
    assert r.status == 404
    assert (await r.json())["message"] == 'serviceaccounts "ghost" not found'


async def test_a_token_bound_to_a_pod_dies_with_the_pod(api: Api, client: TestClient) -> None:
    pod = make_pod(api, "web")
    r = await request_token(
        client, {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web"}}
    )
    assert r.status == 201
    answer = await r.json()
    assert answer["spec"]["boundObjectRef"]["uid"] == pod["metadata"]["uid"]
    token = answer["status"]["token"]
    status, body = await whoami(client, token)
    assert status == 201
    extra = body["status"]["userInfo"]["extra"]
    assert extra["authentication.kubernetes.io/pod-name"] == ["web"]
    assert extra["authentication.kubernetes.io/pod-uid"] == [pod["metadata"]["uid"]]
    api.delete(api.resource("", "v1", "pods"), "default", "web")  # unscheduled: gone at once
    assert await whoami(client, token) == (401, UNAUTHORIZED)
    make_pod(api, "web")  # same name, new uid: the old token stays dead
    assert await whoami(client, token) == (401, UNAUTHORIZED)


async def test_binding_checks_the_pods_account_and_uid(api: Api, client: TestClient) -> None:
    api.create(
        api.resource("", "v1", "serviceaccounts"),
        "default",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}},
    )
    make_pod(api, "robot-pod", account="robot")
    r = await request_token(
        client, {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "robot-pod"}}
    )
    assert r.status == 400
    assert (await r.json())["message"] == (
        'cannot bind token for serviceaccount "default" to pod running with different '
        "serviceaccount name."
    )
    make_pod(api, "web")
    r = await request_token(
        client, {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web", "uid": "x"}}
    )
    assert r.status == 409
    assert (await r.json())["message"] == (
        'Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (x) '
        "does not match the UID in record. The object might have been deleted and then recreated"
    )


async def test_a_recreated_service_account_invalidates_its_old_tokens(
    api: Api, client: TestClient
) -> None:
    resource = api.resource("", "v1", "serviceaccounts")
    api.create(
        resource,
        "default",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}},
    )
    token = (await (await request_token(client, account="robot")).json())["status"]["token"]
    assert (await whoami(client, token))[0] == 201
    api.delete(resource, "default", "robot")
    api.create(
        resource,
        "default",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}},
    )
    assert await whoami(client, token) == (401, UNAUTHORIZED)


async def test_expired_tampered_foreign_and_other_audience_tokens_are_401(
    api: Api, client: TestClient
) -> None:
    account = service_account(api)
    now = api.clock.timestamp()
    stale = api.tokens.issue(
        service_account=account, pod=None, node=None, now=now - 3600 - 61, expiration_seconds=3600
    )
    assert await whoami(client, stale) == (401, UNAUTHORIZED)
    # go-jose's leeway: a minute past exp still validates
    recent = api.tokens.issue(
        service_account=account, pod=None, node=None, now=now - 3600 - 30, expiration_seconds=3600
    )
    assert (await whoami(client, recent))[0] == 201
    good = api.tokens.issue(service_account=account, pod=None, node=None, now=now)
    head, body, signature = good.split(".")
    forged = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged["sub"] = "system:serviceaccount:kube-system:default"
    forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert await whoami(client, f"{head}.{forged_body}.{signature}") == (401, UNAUTHORIZED)
    assert await whoami(client, good[:-4] + "AAAA") == (401, UNAUTHORIZED)
    foreign = TokenIssuer().issue(service_account=account, pod=None, node=None, now=now)
    assert await whoami(client, foreign) == (401, UNAUTHORIZED)
    r = await request_token(client, {"audiences": ["vault"]})
    assert r.status == 201
    assert await whoami(client, (await r.json())["status"]["token"]) == (401, UNAUTHORIZED)


async def test_token_review_says_who_a_token_is(api: Api, client: TestClient) -> None:
    token = (await (await request_token(client)).json())["status"]["token"]
    url = "/apis/authentication.k8s.io/v1/tokenreviews"
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "spec": {"token": token},
    }
    r = await client.post(url, headers=ADMIN, json=body)
    status = (await r.json())["status"]
    assert status["authenticated"] is True
    assert status["user"]["username"] == "system:serviceaccount:default:default"
    body["spec"]["token"] = "nope"
    r = await client.post(url, headers=ADMIN, json=body)
    assert (await r.json())["status"].get("authenticated") is None


async def test_a_service_account_may_not_create_tokens_without_rbac(
    api: Api, client: TestClient
) -> None:
    token = (await (await request_token(client)).json())["status"]["token"]
    r = await client.post(TOKEN_URL, headers=bearer(token), json={})
    assert r.status == 403
    assert (await r.json())["message"] == (
        'serviceaccounts "default" is forbidden: User "system:serviceaccount:default:default" '
        'cannot create resource "serviceaccounts/token" in API group "" in the namespace '
        '"default"'
    )


@pytest.mark.parametrize(
    "header, status, username",
    [
        pytest.param(None, 403, "system:anonymous", id="none"),
        pytest.param("Basic YWRtaW46YWRtaW4=", 403, "system:anonymous", id="basic-is-ignored"),
        pytest.param("Bearer  x", 401, None, id="empty-token"),
        pytest.param("Bearer garbage", 401, None, id="unknown-token"),
        pytest.param(f"Bearer {TOKEN}", 201, "kubernetes-admin", id="admin"),
    ],
)
async def test_credentials_decide_the_user_as_bearertoken_go_does(
    client: TestClient, header: str | None, status: int, username: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    r = await client.post(WHOAMI, headers=headers, json=body)
    assert r.status == status
    if username is None:
        assert await r.json() == UNAUTHORIZED
    elif status == 403:  # system:basic-user is bound to system:authenticated only
        assert (await r.json())["message"] == (
            "selfsubjectreviews.authentication.k8s.io is forbidden: User "
            f'"{username}" cannot create resource "selfsubjectreviews" in API group '
            '"authentication.k8s.io" at the cluster scope'
        )
    else:
        assert (await r.json())["status"]["userInfo"]["username"] == username
