"""Who is asking, as a learner sees it with the real kubectl and the official Python client:
`kubectl create token`, a service account forbidden until a RoleBinding grants it, the
exact 403 and 401, `auth can-i`, `auth whoami` and impersonation."""

from __future__ import annotations

import base64
import itertools
import json
import time

import kubernetes
import pytest
import yaml

pytestmark = pytest.mark.kubesim
_counter = itertools.count()
UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)"


@pytest.fixture
def ns(kubesim_cluster) -> str:
    name = f"rbac{next(_counter)}-{int(time.time() * 1000) % 100000}"
    kubesim_cluster.kubectl("create", "namespace", name)
    kubesim_cluster.kubectl("create", "serviceaccount", "reader", "-n", name)
    return name


def forbidden_list_pods(ns: str, account: str = "reader") -> str:
    return (
        f'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:{ns}:'
        f'{account}" cannot list resource "pods" in API group "" in the namespace "{ns}"'
    )


def claims(token: str) -> dict:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_a_created_token_lists_pods_only_after_a_rolebinding_grants_it(kubectl, ns) -> None:
    token = kubectl("create", "token", "reader", "-n", ns).stdout.strip()
    denied = kubectl("--token", token, "get", "pods", "-n", ns, check=False)
    assert denied.returncode == 1
    assert denied.stderr.strip() == forbidden_list_pods(ns)
    kubectl("create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods", "-n", ns)
    kubectl(
        "create", "rolebinding", "read-pods", "--role=pod-reader",
        f"--serviceaccount={ns}:reader", "-n", ns,
    )  # fmt: skip
    allowed = kubectl("--token", token, "get", "pods", "-n", ns)
    assert allowed.stderr.strip() == f"No resources found in {ns} namespace."
    # only there, and only what the role says
    other = kubectl("--token", token, "get", "pods", "-n", "default", check=False)
    assert 'in the namespace "default"' in other.stderr
    kubectl("run", "p", "--image=busybox:1.36", "-n", ns, "--", "sleep", "3600")
    logs = kubectl("--token", token, "logs", "p", "-n", ns, check=False)
    assert logs.stderr.strip() == (
        f'Error from server (Forbidden): pods "p" is forbidden: User "system:serviceaccount:'
        f'{ns}:reader" cannot get resource "pods/log" in API group "" in the namespace "{ns}"'
    )
    deployments = kubectl("--token", token, "get", "deployments", "-n", ns, check=False)
    assert deployments.stderr.strip() == (
        f'Error from server (Forbidden): deployments.apps is forbidden: User "system:serviceaccount:'
        f'{ns}:reader" cannot list resource "deployments" in API group "apps" in the namespace '
        f'"{ns}"'
    )
    kubectl("delete", "rolebinding", "read-pods", "-n", ns)
    again = kubectl("--token", token, "get", "pods", "-n", ns, check=False)
    assert again.stderr.strip() == forbidden_list_pods(ns)


def test_create_token_duration_audience_and_a_pod_binding(kubectl, ns) -> None:
    token = kubectl("create", "token", "reader", "-n", ns, "--duration=10m").stdout.strip()
    got = claims(token)
    assert got["exp"] - got["iat"] == 600
    assert got["aud"] == ["https://kubernetes.default.svc.cluster.local"]
    other = kubectl("create", "token", "reader", "-n", ns, "--audience=vault").stdout.strip()
    assert claims(other)["aud"] == ["vault"]
    # a token for another audience is not one the API server accepts
    assert kubectl("--token", other, "auth", "whoami", check=False).stderr.strip() == UNAUTHORIZED
    short = kubectl("create", "token", "reader", "-n", ns, "--duration=1m", check=False)
    assert short.stderr.strip() == (
        'error: failed to create token: TokenRequest.authentication.k8s.io "reader" is invalid: '
        "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 "
        "minutes"
    )
    kubectl(
        "run", "web", "--image=busybox:1.36", "-n", ns,
        "--overrides", json.dumps({"spec": {"serviceAccountName": "reader"}}),
        "--", "sleep", "3600",
    )  # fmt: skip
    bound = kubectl(
        "create", "token", "reader", "-n", ns,
        "--bound-object-kind=Pod", "--bound-object-name=web",
    ).stdout.strip()  # fmt: skip
    assert claims(bound)["kubernetes.io"]["pod"]["name"] == "web"
    who = json.loads(kubectl("--token", bound, "auth", "whoami", "-o", "json").stdout)
    assert who["status"]["userInfo"]["extra"]["authentication.kubernetes.io/pod-name"] == ["web"]
    kubectl("delete", "pod", "web", "-n", ns, "--wait=false")
    deleted = kubectl("--token", bound, "auth", "whoami", check=False)
    assert deleted.stderr.strip() == UNAUTHORIZED


def test_whoami_tells_the_truth_for_a_token_and_a_tampered_one_is_401(kubectl, ns) -> None:
    token = kubectl("create", "token", "reader", "-n", ns).stdout.strip()
    who = json.loads(kubectl("--token", token, "auth", "whoami", "-o", "json").stdout)
    user = who["status"]["userInfo"]
    assert user["username"] == f"system:serviceaccount:{ns}:reader"
    assert user["groups"] == [
        "system:serviceaccounts",
        f"system:serviceaccounts:{ns}",
        "system:authenticated",
    ]
    uid = json.loads(kubectl("get", "sa", "reader", "-n", ns, "-o", "json").stdout)["metadata"]
    assert user["uid"] == uid["uid"]
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-6]}AAAAAA"
    out = kubectl("--token", tampered, "get", "pods", "-n", ns, check=False)
    assert (out.returncode, out.stderr.strip()) == (1, UNAUTHORIZED)


def test_can_i_answers_truthfully(kubectl, ns) -> None:
    sa = f"--as=system:serviceaccount:{ns}:reader"
    assert kubectl("auth", "can-i", "list", "pods", "--as=system:serviceaccount:default:default",
                   check=False).stdout.strip() == "no"  # fmt: skip
    assert (
        kubectl("auth", "can-i", "list", "pods", "-n", ns, sa, check=False).stdout.strip() == "no"
    )
    kubectl("create", "role", "pods", "--verb=get,list", "--resource=pods", "-n", ns)
    kubectl(
        "create", "rolebinding", "pods", "--role=pods", f"--serviceaccount={ns}:reader", "-n", ns
    )
    assert kubectl("auth", "can-i", "list", "pods", "-n", ns, sa).stdout.strip() == "yes"
    assert (
        kubectl("auth", "can-i", "delete", "pods", "-n", ns, sa, check=False).stdout.strip() == "no"
    )
    log = kubectl("auth", "can-i", "get", "pods", "--subresource=log", "-n", ns, sa, check=False)
    assert log.stdout.strip() == "no"  # pods does not grant pods/log
    listing = kubectl("auth", "can-i", "--list", "-n", ns, sa).stdout
    rows = [line.split() for line in listing.splitlines()]
    assert ["pods", "[]", "[]", "[get", "list]"] in rows
    assert kubectl("auth", "can-i", "*", "*", "-A").stdout.strip() == "yes"  # the lab admin


def test_impersonation_is_itself_authorized(kubectl, ns) -> None:
    token = kubectl("create", "token", "reader", "-n", ns).stdout.strip()
    out = kubectl("--token", token, "get", "pods", "--as=jane", "-n", ns, check=False)
    assert out.stderr.strip() == (
        f'Error from server (Forbidden): users "jane" is forbidden: User "system:serviceaccount:'
        f'{ns}:reader" cannot impersonate resource "users" in API group "" at the cluster scope'
    )
    # the admin may impersonate, and then the impersonated user is authorized
    as_sa = kubectl("get", "pods", "-n", ns, f"--as=system:serviceaccount:{ns}:reader", check=False)
    assert as_sa.stderr.strip() == forbidden_list_pods(ns)
    who = json.loads(
        kubectl("auth", "whoami", f"--as=system:serviceaccount:{ns}:reader", "-o", "json").stdout
    )
    assert who["status"]["userInfo"] == {
        "username": f"system:serviceaccount:{ns}:reader",
        "groups": [
            "system:serviceaccounts",
            f"system:serviceaccounts:{ns}",
            "system:authenticated",
        ],
    }


def test_the_python_client_with_a_token_gets_403_then_200(kubesim_cluster, kubectl, ns) -> None:
    token = kubectl("create", "token", "reader", "-n", ns).stdout.strip()
    config = yaml.safe_load(kubesim_cluster.kubeconfig.read_text())
    ca = kubesim_cluster.state_dir / "rbac-ca.crt"
    ca.write_bytes(base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]))
    configuration = kubernetes.client.Configuration(host=kubesim_cluster.url)
    configuration.ssl_ca_cert = str(ca)
    configuration.api_key = {"authorization": token}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    with kubernetes.client.ApiClient(configuration) as client:
        core = kubernetes.client.CoreV1Api(client)
        with pytest.raises(kubernetes.client.ApiException) as denied:
            core.list_namespaced_pod(ns)
        assert denied.value.status == 403
        status = json.loads(denied.value.body)
        assert status["reason"] == "Forbidden" and status["details"] == {"kind": "pods"}
        kubectl("create", "rolebinding", "view-pods", "--clusterrole=cluster-admin",
                f"--serviceaccount={ns}:reader", "-n", ns)  # fmt: skip
        assert core.list_namespaced_pod(ns).items == []
        with pytest.raises(kubernetes.client.ApiException) as cluster_wide:
            core.list_node()
        assert cluster_wide.value.status == 403


def test_a_service_account_cannot_grant_what_it_does_not_hold(kubectl, ns) -> None:
    """Escalation prevention: writing a Role or a binding needs the permissions it grants,
    or `escalate` / `bind` on the role."""
    kubectl(
        "create", "role", "rbac-writer", "-n", ns, "--verb=create,get,list,update,patch",
        "--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,pods",
    )  # fmt: skip
    kubectl("create", "rolebinding", "rbac-writer", "--role=rbac-writer",
            f"--serviceaccount={ns}:reader", "-n", ns)  # fmt: skip
    token = kubectl("create", "token", "reader", "-n", ns).stdout.strip()
    groups = f'["system:serviceaccounts" "system:serviceaccounts:{ns}" "system:authenticated"]'
    held = kubectl("--token", token, "create", "role", "pod-getter", "-n", ns,
                   "--verb=get,list", "--resource=pods")  # fmt: skip
    assert held.stdout.strip() == "role.rbac.authorization.k8s.io/pod-getter created"
    more = kubectl("--token", token, "create", "role", "pod-killer", "-n", ns,
                   "--verb=get,delete,deletecollection", "--resource=pods", check=False)  # fmt: skip
    assert more.stderr.strip() == (
        'Error from server (Forbidden): roles.rbac.authorization.k8s.io "pod-killer" is '
        f'forbidden: user "system:serviceaccount:{ns}:reader" (groups={groups}) is attempting '
        "to grant RBAC permissions not currently held:\n"
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete" "deletecollection"]}'
    )
    add_delete = '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]'
    dry = kubectl("--token", token, "patch", "role", "pod-getter", "-n", ns, "--type=json",
                  "-p", add_delete, "--dry-run=server", check=False)  # fmt: skip
    assert "is attempting to grant RBAC permissions not currently held" in dry.stderr
    bind = kubectl("--token", token, "create", "rolebinding", "me-admin", "-n", ns,
                   "--clusterrole=cluster-admin", f"--serviceaccount={ns}:reader",
                   check=False)  # fmt: skip
    assert f'user "system:serviceaccount:{ns}:reader" (groups={groups}) is attempting' in (
        bind.stderr
    )
    assert '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}' in bind.stderr
    # a binding to what it holds is fine; `bind` on a role lets it bind that role
    kubectl("--token", token, "create", "rolebinding", "getters", "-n", ns,
            "--role=pod-getter", "--user=jane")  # fmt: skip
    kubectl("create", "role", "binder", "-n", ns, "--verb=bind",
            "--resource=clusterroles.rbac.authorization.k8s.io", "--resource-name=cluster-admin")  # fmt: skip
    kubectl("create", "rolebinding", "binder", "--role=binder",
            f"--serviceaccount={ns}:reader", "-n", ns)  # fmt: skip
    kubectl("--token", token, "create", "rolebinding", "me-admin", "-n", ns,
            "--clusterrole=cluster-admin", f"--serviceaccount={ns}:reader")  # fmt: skip
    # an edit through a patch is checked on the patched object
    patched = kubectl("--token", token, "patch", "role", "pod-getter", "-n", ns, "--type=json",
                      "-p", add_delete)  # fmt: skip
    assert "patched" in patched.stdout  # cluster-admin in ns now: it holds delete
