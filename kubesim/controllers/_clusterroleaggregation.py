"""The clusterrole-aggregation controller's decision: an aggregated ClusterRole's rules.

Upstream: pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go. A
ClusterRole with an `aggregationRule` gets, as its `rules`, the rules of every other
ClusterRole whose labels match one of its `clusterRoleSelectors`: selector by selector,
roles in name order, each rule once. Nothing is written when the rules are already those.
This is how `admin`, `edit` and `view` get their rules from the `aggregate-to-*` roles, and
how a learner's ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-view: "true"`
extends `view`.
"""

from __future__ import annotations

from typing import Any

from kubesim.controllers._actions import Decision, Update
from kubesim.core.objects import deepcopy, labels, selector_matches

Obj = dict[str, Any]


def aggregated_rules(role: Obj, cluster_roles: list[Obj]) -> list[Obj] | None:
    """The rules `role` aggregates, or None when it has no aggregationRule."""
    rule = role.get("aggregationRule")
    if not isinstance(rule, dict):
        return None
    name = role["metadata"]["name"]
    others = sorted(
        (r for r in cluster_roles if r["metadata"]["name"] != name),
        key=lambda r: r["metadata"]["name"],
    )
    rules: list[Obj] = []
    for selector in rule.get("clusterRoleSelectors") or []:
        for other in others:
            if not selector_matches(selector, labels(other)):
                continue
            for policy_rule in other.get("rules") or []:
                if policy_rule not in rules:
                    rules.append(deepcopy(policy_rule))
    return rules


def reconcile_clusterrole_aggregation(role: Obj, cluster_roles: list[Obj]) -> Decision:
    rules = aggregated_rules(role, cluster_roles)
    if rules is None or (role.get("rules") or []) == rules:
        return Decision()
    updated = deepcopy(role)
    updated["rules"] = rules
    return Decision([Update(updated)])
