"""RBAC as the authorizer decides it: request attributes from URLs, rule matching, bindings by
subject, the reasons and the 403 wording, aggregation and impersonation. Pure: objects in,
decisions out (upstream's rbac_test.go / evaluation_helpers_test.go tables as the model)."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.apiserver.authn import impersonate
from kubesim.apiserver.bootstrappolicy import cluster_role_bindings, cluster_roles
from kubesim.apiserver.escalation import compact, compact_string, uncovered
from kubesim.apiserver.rbac import Decision, Policy, Rule, decide, rules_review_status
from kubesim.apiserver.requestinfo import (
    Attributes,
    UserInfo,
    forbidden_status,
    request_attributes,
)
from kubesim.controllers import aggregated_rules, reconcile_clusterrole_aggregation
from kubesim.core.errors import Forbidden, InternalError

Obj = dict[str, Any]
SA = UserInfo(
    "system:serviceaccount:default:default",
    groups=("system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"),
)
ADMIN = UserInfo("kubernetes-admin", groups=("kubeadm:cluster-admins", "system:authenticated"))
JANE = UserInfo("jane", groups=("devs", "system:authenticated"))


# -- request attributes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, query, want",
    [
        pytest.param(
            "GET",
            "/api/v1/namespaces/default/pods",
            {},
            ("r", "list", "default", "", "pods", "", ""),
            id="list",
        ),
        pytest.param(
            "GET",
            "/api/v1/namespaces/default/pods",
            {"watch": "true"},
            ("r", "watch", "default", "", "pods", "", ""),
            id="watch",
        ),
        pytest.param(
            "GET",
            "/api/v1/namespaces/default/pods",
            {"fieldSelector": "metadata.name=web"},
            ("r", "list", "default", "", "pods", "", "web"),
            id="list-by-name",
        ),
        pytest.param(
            "GET",
            "/api/v1/namespaces/default/pods/web/log",
            {},
            ("r", "get", "default", "", "pods", "log", "web"),
            id="pods-log",
        ),
        pytest.param(
            "POST",
            "/api/v1/namespaces/default/serviceaccounts/default/token",
            {},
            ("r", "create", "default", "", "serviceaccounts", "token", "default"),
            id="token",
        ),
        pytest.param(
            "DELETE",
            "/apis/apps/v1/namespaces/ns/deployments",
            {},
            ("r", "deletecollection", "ns", "apps", "deployments", "", ""),
            id="deletecollection",
        ),
        pytest.param(
            "PATCH",
            "/apis/apps/v1/namespaces/ns/deployments/web/scale",
            {},
            ("r", "patch", "ns", "apps", "deployments", "scale", "web"),
            id="scale",
        ),
        pytest.param(
            "GET",
            "/api/v1/namespaces/ns",
            {},
            ("r", "get", "ns", "", "namespaces", "", "ns"),
            id="namespace",
        ),
        pytest.param(
            "PUT",
            "/api/v1/namespaces/ns/finalize",
            {},
            ("r", "update", "ns", "", "namespaces", "finalize", "ns"),
            id="namespace-finalize",
        ),
        pytest.param(
            "GET", "/api/v1/nodes", {}, ("r", "list", "", "", "nodes", "", ""), id="nodes"
        ),
        pytest.param("GET", "/apis/apps/v1", {}, ("", "get", "/apis/apps/v1"), id="discovery"),
        pytest.param("GET", "/version", {}, ("", "get", "/version"), id="version"),
        pytest.param(
            "POST", "/kubesim/v1/status", {}, ("", "post", "/kubesim/v1/status"), id="admin"
        ),
    ],
)
def test_request_attributes_follow_request_info_factory(method, path, query, want) -> None:
    assert request_attributes(method, path, query).key == want


# -- rules ---------------------------------------------------------------------------------------


def res(verb: str, resource: str, *, group: str = "", sub: str = "", name: str = "") -> Attributes:
    return Attributes(
        verb=verb, namespace="ns", api_group=group, resource=resource, subresource=sub, name=name
    )


@pytest.mark.parametrize(
    "rule, attrs, allowed",
    [
        pytest.param(
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
            res("get", "pods"),
            True,
            id="exact",
        ),
        pytest.param(
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
            res("list", "pods"),
            False,
            id="other-verb",
        ),
        pytest.param(
            {"verbs": ["*"], "apiGroups": [""], "resources": ["pods"]},
            res("delete", "pods"),
            True,
            id="any-verb",
        ),
        pytest.param(
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
            res("get", "deployments", group="apps"),
            False,
            id="other-group",
        ),
        pytest.param(
            {"verbs": ["get"], "apiGroups": ["*"], "resources": ["deployments"]},
            res("get", "deployments", group="apps"),
            True,
            id="any-group",
        ),
        pytest.param(
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
            res("get", "pods", sub="log"),
            False,
            id="pods-does-not-grant-log",
        ),
        pytest.param(
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]},
            res("get", "pods", sub="log"),
            True,
            id="pods-log",
        ),
        pytest.param(
            {"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]},
            res("get", "pods"),
            False,
            id="log-does-not-grant-pods",
        ),
        pytest.param(
            {"verbs": ["update"], "apiGroups": ["apps"], "resources": ["*/scale"]},
            res("update", "deployments", group="apps", sub="scale"),
            True,
            id="star-slash-sub",
        ),
        pytest.param(
            {"verbs": ["get"], "apiGroups": [""], "resources": ["*"]},
            res("get", "pods", sub="exec"),
            True,
            id="star-covers-subresources",
        ),
        pytest.param(
            {
                "verbs": ["get"],
                "apiGroups": [""],
                "resources": ["configmaps"],
                "resourceNames": ["app"],
            },
            res("get", "configmaps", name="app"),
            True,
            id="resource-name",
        ),
        pytest.param(
            {
                "verbs": ["get"],
                "apiGroups": [""],
                "resources": ["configmaps"],
                "resourceNames": ["app"],
            },
            res("get", "configmaps", name="other"),
            False,
            id="other-name",
        ),
        pytest.param(
            {
                "verbs": ["list"],
                "apiGroups": [""],
                "resources": ["configmaps"],
                "resourceNames": ["app"],
            },
            res("list", "configmaps"),
            False,
            id="names-never-grant-list",
        ),
        pytest.param(
            {"verbs": ["get"], "nonResourceURLs": ["/healthz"]},
            Attributes(verb="get", resource_request=False, path="/healthz"),
            True,
            id="url",
        ),
        pytest.param(
            {"verbs": ["get"], "nonResourceURLs": ["/apis/*"]},
            Attributes(verb="get", resource_request=False, path="/apis/apps/v1"),
            True,
            id="url-prefix",
        ),
        pytest.param(
            {"verbs": ["get"], "nonResourceURLs": ["/apis/*"]},
            Attributes(verb="get", resource_request=False, path="/api"),
            False,
            id="url-other",
        ),
        pytest.param(
            {"verbs": ["get"], "nonResourceURLs": ["*"]},
            res("get", "pods"),
            False,
            id="url-rule-grants-no-resource",
        ),
        pytest.param(
            {"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]},
            Attributes(verb="get", resource_request=False, path="/version"),
            False,
            id="resource-rule-grants-no-url",
        ),
    ],
)
def test_rule_matching(rule: Obj, attrs: Attributes, allowed: bool) -> None:
    assert Rule.of(rule).allows(attrs) is allowed


# -- bindings ------------------------------------------------------------------------------------


def role(name: str, rules: list[Obj], *, namespace: str | None = None, **extra: Any) -> Obj:
    meta: Obj = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"metadata": {**meta, **extra}, "rules": rules}


def binding(
    name: str, ref_kind: str, ref: str, subjects: list[Obj], *, namespace: str | None = None
) -> Obj:
    meta: Obj = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"metadata": meta, "roleRef": {"kind": ref_kind, "name": ref}, "subjects": subjects}


READ_PODS = [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}]


def policy(**kw: list[Obj]) -> Policy:
    return Policy(
        roles=kw.get("roles", []),
        cluster_roles=[*cluster_roles(), *kw.get("cluster_roles", [])],
        role_bindings=kw.get("role_bindings", []),
        cluster_role_bindings=[*cluster_role_bindings(), *kw.get("cluster_role_bindings", [])],
    )


def test_bootstrap_policy_lets_kinds_admin_do_anything_and_a_service_account_nothing() -> None:
    p = policy()
    assert decide(p, ADMIN, res("delete", "nodes")) == Decision(
        True,
        'RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole '
        '"cluster-admin" to Group "kubeadm:cluster-admins"',
    )
    assert decide(p, SA, res("list", "pods")) == Decision(False)
    assert decide(p, SA, Attributes(verb="get", resource_request=False, path="/apis")).allowed
    assert decide(
        p, SA, res("create", "selfsubjectaccessreviews", group="authorization.k8s.io")
    ).allowed


def test_a_rolebinding_grants_its_role_in_its_namespace_only() -> None:
    p = policy(
        roles=[role("pod-reader", READ_PODS, namespace="ns")],
        role_bindings=[
            binding(
                "read",
                "Role",
                "pod-reader",
                [{"kind": "ServiceAccount", "name": "default"}],
                namespace="ns",
            )
        ],
    )
    sa = UserInfo("system:serviceaccount:ns:default", groups=SA.groups)
    assert decide(p, sa, res("list", "pods")) == Decision(
        True,
        'RBAC: allowed by RoleBinding "read/ns" of Role "pod-reader" to ServiceAccount "default/ns"',
    )
    other_namespace = Attributes(verb="list", namespace="other", resource="pods")
    assert not decide(p, sa, other_namespace).allowed
    # the subject's namespace defaults to the binding's: default's account is not ns's
    assert not decide(p, SA, res("list", "pods")).allowed


def test_a_rolebinding_to_a_clusterrole_grants_its_rules_in_the_namespace() -> None:
    p = policy(
        cluster_roles=[role("reader", READ_PODS)],
        role_bindings=[
            binding(
                "r", "ClusterRole", "reader", [{"kind": "User", "name": "jane"}], namespace="ns"
            )
        ],
    )
    assert decide(p, JANE, res("get", "pods", name="x")).allowed
    assert not decide(p, JANE, Attributes(verb="list", resource="pods")).allowed  # all namespaces


def test_a_group_subject_and_a_clusterrolebinding_grant_everywhere() -> None:
    p = policy(
        cluster_roles=[role("reader", READ_PODS)],
        cluster_role_bindings=[
            binding("r", "ClusterRole", "reader", [{"kind": "Group", "name": "devs"}])
        ],
    )
    assert decide(p, JANE, Attributes(verb="list", resource="pods")).allowed
    assert decide(p, JANE, res("list", "pods")).allowed


def test_a_binding_to_a_missing_role_is_the_reason_of_the_denial() -> None:
    p = policy(
        role_bindings=[
            binding("r", "Role", "nope", [{"kind": "User", "name": "jane"}], namespace="ns"),
            binding("s", "ClusterRole", "gone", [{"kind": "User", "name": "jane"}], namespace="ns"),
        ]
    )
    assert decide(p, JANE, res("list", "pods")) == Decision(
        False,
        'RBAC: [role.rbac.authorization.k8s.io "nope" not found, '
        'clusterrole.rbac.authorization.k8s.io "gone" not found]',
    )


def test_system_masters_is_always_allowed() -> None:
    p = Policy(roles=[], cluster_roles=[], role_bindings=[], cluster_role_bindings=[])
    assert decide(p, UserInfo("x", groups=("system:masters",)), res("delete", "pods")).allowed


def test_rules_review_lists_what_the_bindings_grant() -> None:
    p = policy(
        roles=[role("pod-reader", READ_PODS, namespace="ns")],
        role_bindings=[
            binding(
                "read", "Role", "pod-reader", [{"kind": "User", "name": "jane"}], namespace="ns"
            )
        ],
    )
    status = rules_review_status(p, JANE, "ns")
    assert {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]} in status[
        "resourceRules"
    ]
    assert {
        "verbs": ["get"],
        "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"],
    } in status["nonResourceRules"]
    assert status["incomplete"] is False
    assert rules_review_status(p, JANE, "other")["resourceRules"] == [
        {
            "verbs": ["create"],
            "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        },
        {
            "verbs": ["create"],
            "apiGroups": ["authentication.k8s.io"],
            "resources": ["selfsubjectreviews"],
        },
    ]


# -- the 403 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attrs, message, details",
    [
        pytest.param(
            Attributes(verb="list", namespace="default", resource="pods"),
            'pods is forbidden: User "system:serviceaccount:default:default" cannot list '
            'resource "pods" in API group "" in the namespace "default"',
            {"kind": "pods"},
            id="namespaced-list",
        ),
        pytest.param(
            Attributes(
                verb="get", namespace="default", resource="pods", subresource="log", name="web"
            ),
            'pods "web" is forbidden: User "system:serviceaccount:default:default" cannot get '
            'resource "pods/log" in API group "" in the namespace "default"',
            {"name": "web", "kind": "pods"},
            id="subresource",
        ),
        pytest.param(
            Attributes(verb="list", api_group="apps", resource="deployments"),
            'deployments.apps is forbidden: User "system:serviceaccount:default:default" cannot '
            'list resource "deployments" in API group "apps" at the cluster scope',
            {"group": "apps", "kind": "deployments"},
            id="cluster-scope",
        ),
        pytest.param(
            Attributes(verb="get", resource_request=False, path="/metrics"),
            'forbidden: User "system:serviceaccount:default:default" cannot get path "/metrics"',
            {},
            id="path",
        ),
    ],
)
def test_forbidden_wording_is_kube_apiservers(
    attrs: Attributes, message: str, details: Obj
) -> None:
    assert forbidden_status(SA.name, attrs) == (message, details)


# -- aggregation ---------------------------------------------------------------------------------


def test_view_edit_admin_aggregate_the_bootstrap_roles_and_a_learners_labelled_role() -> None:
    roles = cluster_roles()
    by_name = {r["metadata"]["name"]: r for r in roles}
    view = aggregated_rules(by_name["view"], roles)
    assert view == by_name["system:aggregate-to-view"]["rules"]
    mine = role(
        "crontabs-view",
        [{"verbs": ["get"], "apiGroups": ["stable.example.com"], "resources": ["crontabs"]}],
    )
    mine["metadata"]["labels"] = {"rbac.authorization.k8s.io/aggregate-to-view": "true"}
    decision = reconcile_clusterrole_aggregation(by_name["view"], [*roles, mine])
    [update] = decision.actions
    # roles in name order: crontabs-view's rule comes before system:aggregate-to-view's
    assert update.obj["rules"] == [*mine["rules"], *view]  # type: ignore[attr-defined]
    # edit selects view's label too, once view has rules: edit has everything view has
    by_name["view"]["rules"] = view
    edit = aggregated_rules(by_name["edit"], roles) or []
    assert all(rule in edit for rule in view)
    assert (
        reconcile_clusterrole_aggregation({**by_name["view"], "rules": view}, roles).actions == []
    )
    assert aggregated_rules(by_name["cluster-admin"], roles) is None


# -- impersonation -------------------------------------------------------------------------------


def test_impersonation_is_authorized_header_by_header() -> None:
    p = policy()

    def authorize(user: UserInfo, attrs: Attributes) -> Decision:
        return decide(p, user, attrs)

    as_sa = impersonate(
        ADMIN, {"impersonate-user": ["system:serviceaccount:default:default"]}, authorize=authorize
    )
    assert as_sa == SA
    as_jane = impersonate(
        ADMIN, {"impersonate-user": ["jane"], "impersonate-group": ["devs"]}, authorize=authorize
    )
    assert as_jane == JANE
    with pytest.raises(Forbidden) as raised:
        impersonate(SA, {"impersonate-user": ["jane"]}, authorize=authorize)
    assert raised.value.status["message"] == (
        'users "jane" is forbidden: User "system:serviceaccount:default:default" cannot '
        'impersonate resource "users" in API group "" at the cluster scope'
    )
    with pytest.raises(InternalError):
        impersonate(ADMIN, {"impersonate-group": ["devs"]}, authorize=authorize)


def test_a_binding_applies_once_through_its_first_matching_subject() -> None:
    p = policy(
        cluster_roles=[role("reader", READ_PODS)],
        role_bindings=[
            binding(
                "r",
                "ClusterRole",
                "reader",
                [{"kind": "Group", "name": "devs"}, {"kind": "User", "name": "jane"}],
                namespace="ns",
            )
        ],
    )
    assert decide(p, JANE, res("get", "pods")).reason == (
        'RBAC: allowed by RoleBinding "r/ns" of ClusterRole "reader" to Group "devs"'
    )


# -- escalation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "owner, wanted, missing",
    [
        pytest.param(READ_PODS, READ_PODS, [], id="same"),
        pytest.param(
            READ_PODS,
            [{"verbs": ["get", "delete"], "apiGroups": [""], "resources": ["pods"]}],
            ['{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}'],
            id="one-verb-more",
        ),
        pytest.param(
            [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            [{"verbs": ["get"], "apiGroups": ["apps"], "resources": ["deployments/scale"]}],
            [],
            id="star-covers",
        ),
        pytest.param(
            [{"verbs": ["get"], "apiGroups": ["apps"], "resources": ["*/scale"]}],
            [{"verbs": ["get"], "apiGroups": ["apps"], "resources": ["deployments/scale"]}],
            [],
            id="star-slash-subresource",
        ),
        pytest.param(
            [
                {
                    "verbs": ["get"],
                    "apiGroups": [""],
                    "resources": ["configmaps"],
                    "resourceNames": ["a"],
                }
            ],
            [{"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"]}],
            ['{APIGroups:[""], Resources:["configmaps"], Verbs:["get"]}'],
            id="names-do-not-cover-all",
        ),
        pytest.param(
            [{"verbs": ["get"], "nonResourceURLs": ["/healthz/*"]}],
            [{"verbs": ["get", "post"], "nonResourceURLs": ["/healthz/etcd"]}],
            ['{NonResourceURLs:["/healthz/etcd"], Verbs:["post"]}'],
            id="urls",
        ),
        pytest.param(
            [],
            [
                {
                    "verbs": ["get", "list"],
                    "apiGroups": ["", "apps"],
                    "resources": ["pods", "deployments"],
                }
            ],
            [
                '{APIGroups:[""], Resources:["deployments"], Verbs:["get" "list"]}',
                '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}',
                '{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}',
                '{APIGroups:["apps"], Resources:["pods"], Verbs:["get" "list"]}',
            ],
            id="compacted-by-verb",
        ),
    ],
)
def test_escalation_lists_what_the_owner_does_not_hold(
    owner: list[Obj], wanted: list[Obj], missing: list[str]
) -> None:
    assert sorted(compact_string(r) for r in compact(uncovered(owner, wanted))) == missing
