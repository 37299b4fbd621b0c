"""RBAC authorization, as kube-apiserver's RBAC authorizer decides it.

Upstream: plugin/pkg/auth/authorizer/rbac/rbac.go (Authorize, RulesFor, the describers of
the rule that allowed), pkg/registry/rbac/validation/rule.go (VisitRulesFor, appliesTo,
GetRoleReferenceRules) and pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches,
APIGroupMatches, ResourceMatches with `*/subresource`, ResourceNameMatches,
NonResourceURLMatches with a trailing `*`).

  * Cluster-wide: every ClusterRoleBinding whose subjects include the user (User by name,
    Group by membership, ServiceAccount by `system:serviceaccount:NS:NAME`, its namespace
    defaulting to the binding's) grants its ClusterRole's rules everywhere.
  * In a namespace (resource requests only): RoleBindings there grant their Role's or
    ClusterRole's rules in that namespace. Non-resource URLs only come from cluster-wide
    bindings.
  * The first rule that allows wins; its binding is the reason ("RBAC: allowed by
    ClusterRoleBinding ..."). A binding to a role that does not exist adds "RBAC:
    clusterrole.rbac.authorization.k8s.io "x" not found" to a denial.
  * `system:masters` is always allowed (the privileged-group authorizer in front of RBAC).

Speed: a request is authorized on every call, so the bindings are indexed by subject, each
(user, namespace)'s rule list and each decision are cached, and everything is rebuilt only
when a Role, ClusterRole, RoleBinding or ClusterRoleBinding changes (a store watch on their
four prefixes says so, without waiting on the event loop). Escalation prevention (writing
a Role or binding that grants more than the writer holds) is in `escalation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubesim.apiserver.requestinfo import Attributes, UserInfo, split_service_account
from kubesim.store import Store

Obj = dict[str, Any]

RBAC_GROUP = "rbac.authorization.k8s.io"
SYSTEM_MASTERS = "system:masters"
_PREFIXES = {
    kind: f"/{RBAC_GROUP}/{plural}/"
    for kind, plural in (
        ("Role", "roles"),
        ("ClusterRole", "clusterroles"),
        ("RoleBinding", "rolebindings"),
        ("ClusterRoleBinding", "clusterrolebindings"),
    )
}
_CACHE_LIMIT = 20000

SubjectKey = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """A PolicyRule, compiled to sets for matching."""

    verbs: frozenset[str]
    groups: frozenset[str]
    resources: frozenset[str]
    names: frozenset[str]
    urls: frozenset[str]
    url_prefixes: tuple[str, ...]
    policy: Obj

    @classmethod
    def of(cls, rule: Obj) -> Rule:
        urls = [str(u) for u in rule.get("nonResourceURLs") or []]
        return cls(
            verbs=frozenset(str(v) for v in rule.get("verbs") or []),
            groups=frozenset(str(g) for g in rule.get("apiGroups") or []),
            resources=frozenset(str(r) for r in rule.get("resources") or []),
            names=frozenset(str(n) for n in rule.get("resourceNames") or []),
            urls=frozenset(urls),
            url_prefixes=tuple(u[:-1] for u in urls if u.endswith("*")),
            policy=rule,
        )

    def allows(self, attrs: Attributes) -> bool:
        """RuleAllows."""
        if "*" not in self.verbs and attrs.verb not in self.verbs:
            return False
        if not attrs.resource_request:
            if "*" in self.urls or attrs.path in self.urls:
                return True
            return any(attrs.path.startswith(prefix) for prefix in self.url_prefixes)
        if "*" not in self.groups and attrs.api_group not in self.groups:
            return False
        if not self._resource_matches(attrs):
            return False
        return not self.names or attrs.name in self.names

    def _resource_matches(self, attrs: Attributes) -> bool:
        if "*" in self.resources:
            return True
        if not attrs.subresource:
            return attrs.resource in self.resources
        return (
            f"{attrs.resource}/{attrs.subresource}" in self.resources
            or f"*/{attrs.subresource}" in self.resources
        )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


@dataclass(frozen=True)
class _Grant:
    """One binding's subject, and the role it grants."""

    source: str  # the describer: `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`
    role_kind: str
    role_name: str
    namespace: str  # the RoleBinding's namespace, "" for a ClusterRoleBinding


@dataclass(frozen=True)
class RuleSet:
    """Everything one user may do in one namespace (or cluster-wide): (source, rules) in
    the order the authorizer visits them, and the errors met on the way."""

    entries: tuple[tuple[str, tuple[Rule, ...]], ...]
    errors: tuple[str, ...]


def _describe_subject(subject: Obj, binding_namespace: str) -> str:
    kind, name = subject.get("kind", ""), subject.get("name", "")
    if kind == "ServiceAccount":
        return f'{kind} "{name}/{subject.get("namespace") or binding_namespace}"'
    return f'{kind} "{name}"'


def _subject_key(subject: Obj, binding_namespace: str) -> SubjectKey | None:
    kind, name = subject.get("kind"), subject.get("name") or ""
    if kind == "User":
        return ("User", name)
    if kind == "Group":
        return ("Group", name)
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return ("ServiceAccount", namespace, name) if namespace else None
    return None


def user_keys(user: UserInfo) -> list[SubjectKey]:
    keys: list[SubjectKey] = [("User", user.name)]
    keys += [("Group", group) for group in user.groups]
    account = split_service_account(user.name)
    if account is not None:
        keys.append(("ServiceAccount", *account))
    return keys


class Policy:
    """An immutable index of the RBAC objects at one moment."""

    def __init__(
        self,
        *,
        roles: list[Obj],
        cluster_roles: list[Obj],
        role_bindings: list[Obj],
        cluster_role_bindings: list[Obj],
    ) -> None:
        self.cluster_rules = {
            r["metadata"]["name"]: tuple(Rule.of(x) for x in r.get("rules") or [])
            for r in cluster_roles
        }
        self.role_rules = {
            (r["metadata"].get("namespace", ""), r["metadata"]["name"]): tuple(
                Rule.of(x) for x in r.get("rules") or []
            )
            for r in roles
        }
        self._rule_sets: dict[tuple[str, tuple[str, ...], str], RuleSet] = {}
        self.cluster_grants: dict[SubjectKey, list[tuple[str, int, _Grant]]] = {}
        self.namespace_grants: dict[str, dict[SubjectKey, list[tuple[str, int, _Grant]]]] = {}
        for binding in sorted(cluster_role_bindings, key=lambda b: b["metadata"]["name"]):
            self._index(binding, "", self.cluster_grants)
        for binding in sorted(
            role_bindings, key=lambda b: (b["metadata"].get("namespace"), b["metadata"]["name"])
        ):
            namespace = binding["metadata"].get("namespace", "")
            self._index(binding, namespace, self.namespace_grants.setdefault(namespace, {}))

    @staticmethod
    def _index(
        binding: Obj, namespace: str, into: dict[SubjectKey, list[tuple[str, int, _Grant]]]
    ) -> None:
        name = binding["metadata"]["name"]
        ref = binding.get("roleRef") or {}
        kind, role = ref.get("kind", ""), ref.get("name", "")
        for index, subject in enumerate(binding.get("subjects") or []):
            key = _subject_key(subject, namespace)
            if key is None:
                continue
            who = _describe_subject(subject, namespace)
            if namespace:
                source = f'RoleBinding "{name}/{namespace}" of {kind} "{role}" to {who}'
            else:
                source = f'ClusterRoleBinding "{name}" of {kind} "{role}" to {who}'
            into.setdefault(key, []).append((name, index, _Grant(source, kind, role, namespace)))

    def _rules(self, grant: _Grant) -> tuple[Rule, ...] | str:
        if grant.role_kind == "ClusterRole":
            rules = self.cluster_rules.get(grant.role_name)
            if rules is None:
                return f'clusterrole.{RBAC_GROUP} "{grant.role_name}" not found'
            return rules
        if grant.role_kind == "Role" and grant.namespace:
            found = self.role_rules.get((grant.namespace, grant.role_name))
            if found is None:
                return f'role.{RBAC_GROUP} "{grant.role_name}" not found'
            return found
        return f'unsupported role reference kind: "{grant.role_kind}"'

    def rules_for(self, user: UserInfo, namespace: str) -> RuleSet:
        """VisitRulesFor: cluster-wide bindings, then the namespace's (cached)."""
        cache_key = (user.name, user.groups, namespace)
        found = self._rule_sets.get(cache_key)
        if found is None:
            if len(self._rule_sets) >= _CACHE_LIMIT:
                self._rule_sets.clear()
            found = self._rule_sets[cache_key] = self._visit(user, namespace)
        return found

    def _visit(self, user: UserInfo, namespace: str) -> RuleSet:
        keys = user_keys(user)
        entries: list[tuple[str, tuple[Rule, ...]]] = []
        errors: list[str] = []
        scopes = [self.cluster_grants]
        if namespace:
            scopes.append(self.namespace_grants.get(namespace, {}))
        for scope in scopes:
            # appliesTo: a binding applies once, through the first of its subjects that
            # names the user; bindings are visited in name order
            first: dict[str, tuple[int, _Grant]] = {}
            for key in keys:
                for name, index, grant in scope.get(key, []):
                    if name not in first or index < first[name][0]:
                        first[name] = (index, grant)
            for _name, (_index, grant) in sorted(first.items()):
                rules = self._rules(grant)
                if isinstance(rules, str):
                    if rules not in errors:
                        errors.append(rules)
                    continue
                entries.append((grant.source, rules))
        return RuleSet(tuple(entries), tuple(errors))


def decide(policy: Policy, user: UserInfo, attrs: Attributes) -> Decision:
    """The authorizer chain for one request: system:masters, then RBAC."""
    if SYSTEM_MASTERS in user.groups:
        return Decision(True)
    rules = policy.rules_for(user, attrs.namespace if attrs.resource_request else "")
    for source, entry in rules.entries:
        for rule in entry:
            if rule.allows(attrs):
                return Decision(True, f"RBAC: allowed by {source}")
    if not rules.errors:
        return Decision(False)
    if len(rules.errors) == 1:
        return Decision(False, f"RBAC: {rules.errors[0]}")
    return Decision(False, f"RBAC: [{', '.join(rules.errors)}]")


def _resource_rule(rule: Obj) -> Obj:
    out: Obj = {"verbs": list(rule.get("verbs") or [])}
    for key in ("apiGroups", "resources", "resourceNames"):
        if rule.get(key):
            out[key] = list(rule[key])
    return out


def rules_review_status(policy: Policy, user: UserInfo, namespace: str) -> Obj:
    """SubjectRulesReviewStatus: what RulesFor returns, split as ConvertToResourceRules
    does (a rule with resources is a resource rule, one with URLs a non-resource rule)."""
    resource_rules: list[Obj] = []
    non_resource_rules: list[Obj] = []
    if SYSTEM_MASTERS in user.groups:
        resource_rules.append({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})
        non_resource_rules.append({"verbs": ["*"], "nonResourceURLs": ["*"]})
    found = policy.rules_for(user, namespace)
    for _source, rules in found.entries:
        for rule in rules:
            if rule.policy.get("resources"):
                resource_rules.append(_resource_rule(rule.policy))
            if rule.policy.get("nonResourceURLs"):
                non_resource_rules.append(
                    {
                        "verbs": list(rule.policy.get("verbs") or []),
                        "nonResourceURLs": list(rule.policy["nonResourceURLs"]),
                    }
                )
    status: Obj = {
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": bool(found.errors),
    }
    if found.errors:
        status["evaluationError"] = (
            found.errors[0] if len(found.errors) == 1 else f"[{', '.join(found.errors)}]"
        )
    return status


class Authorizer:
    """The RBAC authorizer over the store: a Policy rebuilt when an RBAC object changes,
    and decisions cached per (user, attributes) until then."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._watches = [store.watch(prefix, after=None) for prefix in _PREFIXES.values()]
        self._policy: Policy | None = None
        self._decisions: dict[tuple[Any, ...], Decision] = {}
        self.rebuilds = 0

    def close(self) -> None:
        for watch in self._watches:
            watch.close()

    @property
    def policy(self) -> Policy:
        changed = False
        for i, watch in enumerate(self._watches):
            if watch.closed:  # the store was restored from a snapshot: watch it afresh
                self._watches[i] = self.store.watch(watch.prefix, after=None)
                changed = True
                continue
            while not watch.queue.empty():
                watch.queue.get_nowait()
                changed = True
        if changed or self._policy is None:
            self._policy = self._build()
            self._decisions.clear()
        return self._policy

    def _build(self) -> Policy:
        self.rebuilds += 1
        objs = {kind: [row.obj for row in self.store.list(p)[1]] for kind, p in _PREFIXES.items()}
        return Policy(
            roles=objs["Role"],
            cluster_roles=objs["ClusterRole"],
            role_bindings=objs["RoleBinding"],
            cluster_role_bindings=objs["ClusterRoleBinding"],
        )

    def authorize(self, user: UserInfo, attrs: Attributes) -> Decision:
        policy = self.policy
        key = (user.name, user.groups, attrs.key)
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= _CACHE_LIMIT:
                self._decisions.clear()
            decision = self._decisions[key] = decide(policy, user, attrs)
        return decision

    def rules_review(self, user: UserInfo, namespace: str) -> Obj:
        return rules_review_status(self.policy, user, namespace)
