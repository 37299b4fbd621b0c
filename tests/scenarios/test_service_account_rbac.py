"""A pod's own identity on the whole simulated cluster: the token the kubelet projects at
/var/run/secrets/kubernetes.io/serviceaccount/token authenticates as the pod's service
account, is forbidden until RBAC grants it, and the aggregated `view` ClusterRole (filled
by the clusterrole-aggregation controller) is what a RoleBinding grants."""

from __future__ import annotations

import base64
import json

from scenario_kubectl import Lab

TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def test_a_pods_projected_token_is_its_service_account_and_rbac_governs_it(lab: Lab) -> None:
    lab.kubectl("create", "serviceaccount", "app")
    lab.kubectl(
        "run", "box", "--image=busybox:1.36", "--restart=Never",
        "--overrides", json.dumps({"spec": {"serviceAccountName": "app"}}),
        "--", "sleep", "3600",
    )  # fmt: skip
    lab.kubectl("wait", "--for=condition=Ready", "pod/box", f"--timeout={lab.wall(60):.0f}s")
    token = lab.kubectl("exec", "box", "--", "cat", TOKEN_PATH).stdout.strip()
    pod_uid = lab.get_json("pod", "box")["metadata"]["uid"]

    who = json.loads(lab.kubectl("--token", token, "auth", "whoami", "-o", "json").stdout)
    user = who["status"]["userInfo"]
    assert user["username"] == "system:serviceaccount:lab:app"
    assert user["extra"]["authentication.kubernetes.io/pod-name"] == ["box"]
    assert user["extra"]["authentication.kubernetes.io/pod-uid"] == [pod_uid]
    assert user["extra"]["authentication.kubernetes.io/node-name"] == [
        lab.get_json("pod", "box")["spec"]["nodeName"]
    ]

    denied = lab.kubectl("--token", token, "get", "pods", check=False)
    assert denied.stderr.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:lab:app" '
        'cannot list resource "pods" in API group "" in the namespace "lab"'
    )

    lab.kubectl(
        "create", "rolebinding", "app-view", "--clusterrole=view", "--serviceaccount=lab:app"
    )
    rows = lab.kubectl("--token", token, "get", "pods", "-o", "name").stdout.split()
    assert rows == ["pod/box"]
    secrets = lab.kubectl("--token", token, "get", "secrets", check=False)
    assert 'cannot list resource "secrets"' in secrets.stderr  # view never shows secrets
    lab.kubectl("delete", "rolebinding", "app-view")
    lab.kubectl("delete", "serviceaccount", "app")


def _rules(lab: Lab, cluster_role: str) -> list[dict]:
    out = lab.cluster.kubectl("get", "clusterrole", cluster_role, "-o", "json").stdout
    return json.loads(out).get("rules") or []


def test_view_is_filled_by_aggregation_and_follows_a_labelled_role(lab: Lab) -> None:
    rules = _rules(lab, "view")
    assert any("pods/log" in r.get("resources", []) for r in rules)
    assert not any("secrets" in r.get("resources", []) for r in rules)
    mine = {"apiGroups": ["stable.example.com"], "resources": ["crontabs"], "verbs": ["get"]}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": "scenario-crontab-view",
            "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        },
        "rules": [mine],
    }
    lab.cluster.kubectl("apply", "-f", "-", input=json.dumps(role))
    try:
        lab.wait_for(
            lambda: mine in _rules(lab, "view"),
            timeout=lab.wall(30),
            what="view to aggregate the labelled ClusterRole's rule",
        )
        lab.wait_for(
            lambda: mine in _rules(lab, "edit"),
            timeout=lab.wall(30),
            what="edit to aggregate view's rules in turn",
        )
        assert any("deployments" in r.get("resources", []) for r in _rules(lab, "edit"))
    finally:
        lab.cluster.kubectl("delete", "clusterrole", "scenario-crontab-view")
    lab.wait_for(
        lambda: mine not in _rules(lab, "view"),
        timeout=lab.wall(30),
        what="view to drop the deleted role's rule",
    )


def test_a_service_account_token_secret_is_filled_and_its_token_works_while_it_exists(
    lab: Lab,
) -> None:
    """The docs' "manually create a long-lived API token for a ServiceAccount"."""
    lab.kubectl("create", "serviceaccount", "build-robot")
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {
            "name": "build-robot-secret",
            "annotations": {"kubernetes.io/service-account.name": "build-robot"},
        },
    }
    lab.kubectl("apply", "-f", "-", input=json.dumps(secret))
    filled = lab.wait_for(
        lambda: (
            (s := lab.get_json("secret", "build-robot-secret")).get("data", {}).get("token") and s
        ),
        timeout=lab.wall(30),
        what="the tokens controller to fill the Secret",
    )
    account_uid = lab.get_json("serviceaccount", "build-robot")["metadata"]["uid"]
    annotations = filled["metadata"]["annotations"]
    assert annotations["kubernetes.io/service-account.uid"] == account_uid
    assert base64.b64decode(filled["data"]["namespace"]).decode() == "lab"
    assert base64.b64decode(filled["data"]["ca.crt"]).startswith(b"-----BEGIN CERTIFICATE-----")
    token = base64.b64decode(filled["data"]["token"]).decode()
    who = json.loads(lab.kubectl("--token", token, "auth", "whoami", "-o", "json").stdout)
    assert who["status"]["userInfo"]["username"] == "system:serviceaccount:lab:build-robot"
    described = lab.kubectl("describe", "secret", "build-robot-secret").stdout
    assert "token:" in described and "ca.crt:" in described

    lab.kubectl("delete", "serviceaccount", "build-robot")
    lab.wait_for(
        lambda: lab.kubectl("get", "secret", "build-robot-secret", check=False).returncode != 0,
        timeout=lab.wall(30),
        what="the Secret of a deleted account to be deleted",
    )
    gone = lab.kubectl("--token", token, "auth", "whoami", check=False)
    assert gone.stderr.strip() == "error: You must be logged in to the server (Unauthorized)"
