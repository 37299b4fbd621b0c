"""RBAC escalation prevention: nobody grants what they do not hold.

Upstream: pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased/
storage.go, pkg/registry/rbac/escalation_check.go and validation/{rule.go,
policy_comparator.go}, pkg/apis/rbac/v1/helpers.go (CompactString).

  * Writing a Role or ClusterRole: allowed for system:masters, for a user allowed `escalate`
    on it, or when every rule it grants is covered by the writer's own rules in that
    namespace (cluster-wide for a ClusterRole). An aggregationRule needs the first two.
  * Writing a RoleBinding or ClusterRoleBinding: allowed for system:masters, for a user
    allowed `bind` on the role it references, or when the writer holds every rule of that
    role.
  * Otherwise 403: `roles.rbac.authorization.k8s.io "x" is forbidden: user "u"
    (groups=["a" "b"]) is attempting to grant RBAC permissions not currently held:` and one
    compacted `{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}` line per missing
    permission.
"""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.rbac import RBAC_GROUP, SYSTEM_MASTERS, Authorizer
from kubesim.apiserver.requestinfo import Attributes, UserInfo
from kubesim.core.errors import Forbidden

Obj = dict[str, Any]

ROLE_KINDS = {"roles": "Role", "clusterroles": "ClusterRole"}
BINDING_KINDS = {"rolebindings": "RoleBinding", "clusterrolebindings": "ClusterRoleBinding"}


def _strings(rule: Obj, key: str) -> list[str]:
    return [str(v) for v in rule.get(key) or []]


def breakdown(rule: Obj) -> list[Obj]:
    """BreakdownRule: one verb, one resource, one name (or one URL and one verb) each."""
    out: list[Obj] = []
    for group in _strings(rule, "apiGroups"):
        for resource in _strings(rule, "resources"):
            for verb in _strings(rule, "verbs"):
                sub: Obj = {"apiGroups": [group], "resources": [resource], "verbs": [verb]}
                names = _strings(rule, "resourceNames")
                if names:
                    out.extend({**sub, "resourceNames": [n]} for n in names)
                else:
                    out.append(sub)
    for url in _strings(rule, "nonResourceURLs"):
        for verb in _strings(rule, "verbs"):
            out.append({"nonResourceURLs": [url], "verbs": [verb]})
    return out


def _has_all(owned: list[str], wanted: list[str]) -> bool:
    return all(w in owned for w in wanted)


def _resources_cover(owned: list[str], wanted: list[str]) -> bool:
    if "*" in owned or _has_all(owned, wanted):
        return True
    for path in wanted:
        if path in owned:
            continue
        if "/" not in path or "*/" + path.split("/", 1)[1] not in owned:
            return False
    return True


def _url_covers(owner: str, path: str) -> bool:
    return owner == path or (owner.endswith("*") and path.startswith(owner.rstrip("*")))


def rule_covers(owner: Obj, sub: Obj) -> bool:
    """ruleCovers: does the owner's rule grant everything in the atomic sub-rule?"""
    verbs, groups = _strings(owner, "verbs"), _strings(owner, "apiGroups")
    owner_names, sub_names = _strings(owner, "resourceNames"), _strings(sub, "resourceNames")
    # a rule without names covers any; one with names covers only those names
    names_ok = not owner_names or (bool(sub_names) and _has_all(owner_names, sub_names))
    urls = _strings(owner, "nonResourceURLs")
    return (
        ("*" in verbs or _has_all(verbs, _strings(sub, "verbs")))
        and ("*" in groups or _has_all(groups, _strings(sub, "apiGroups")))
        and _resources_cover(_strings(owner, "resources"), _strings(sub, "resources"))
        and names_ok
        and all(any(_url_covers(o, p) for o in urls) for p in _strings(sub, "nonResourceURLs"))
    )


def uncovered(owner_rules: list[Obj], rules: list[Obj]) -> list[Obj]:
    """Covers: the atomic rules of `rules` that no owner rule covers."""
    return [
        sub
        for rule in rules
        for sub in breakdown(rule)
        if not any(rule_covers(owner, sub) for owner in owner_rules)
    ]


def compact(rules: list[Obj]) -> list[Obj]:
    """CompactRules: simple rules (one group, one resource, at most one name) that differ
    only by verb become one rule."""
    out: list[Obj] = []
    simple: dict[tuple[str, str, str | None], Obj] = {}
    for rule in rules:
        names = rule.get("resourceNames") or []
        groups, resources = rule.get("apiGroups") or [], rule.get("resources") or []
        if rule.get("nonResourceURLs") or len(names) > 1 or len(groups) != 1 or len(resources) != 1:
            out.append(rule)
            continue
        key = (groups[0], resources[0], names[0] if names else None)
        if key in simple:
            verbs = simple[key]["verbs"]
            verbs.extend(v for v in rule.get("verbs") or [] if v not in verbs)
        else:
            simple[key] = {**rule, "verbs": list(rule.get("verbs") or [])}
    return out + list(simple.values())


def _go_strings(values: list[str]) -> str:
    """Go's %q of a []string: `["a" "b"]`."""
    return "[" + " ".join(f'"{v}"' for v in values) + "]"


def compact_string(rule: Obj) -> str:
    parts = [
        f"{label}:{_go_strings(rule[key])}"
        for label, key in (
            ("APIGroups", "apiGroups"),
            ("Resources", "resources"),
            ("NonResourceURLs", "nonResourceURLs"),
            ("ResourceNames", "resourceNames"),
            ("Verbs", "verbs"),
        )
        if rule.get(key)
    ]
    return "{" + ", ".join(parts) + "}"


def _forbidden(plural: str, name: str, why: str) -> Forbidden:
    return Forbidden(
        f'{plural}.{RBAC_GROUP} "{name}" is forbidden: {why}',
        details={"name": name, "group": RBAC_GROUP, "kind": plural},
    )


def _confirm_no_escalation(
    authz: Authorizer, user: UserInfo, namespace: str, rules: list[Obj], *, plural: str, name: str
) -> None:
    """ConfirmNoEscalation."""
    found = authz.policy.rules_for(user, namespace)
    owned = [rule.policy for _source, entry in found.entries for rule in entry]
    missing = uncovered(owned, rules)
    if not missing:
        return
    lines = sorted({compact_string(rule) for rule in compact(missing)})
    why = (
        f'user "{user.name}" (groups={_go_strings(list(user.groups))}) is attempting to grant '
        "RBAC permissions not currently held:\n" + "\n".join(lines)
    )
    if found.errors:
        why += f"; resolution errors: [{', '.join(found.errors)}]"
    raise _forbidden(plural, name, why)


def _allowed(authz: Authorizer, user: UserInfo, verb: str, plural: str, ns: str, name: str) -> bool:
    attrs = Attributes(verb=verb, namespace=ns, api_group=RBAC_GROUP, resource=plural, name=name)
    return authz.authorize(user, attrs).allowed


def check_write(
    authz: Authorizer, user: UserInfo, *, plural: str, namespace: str | None, obj: Any
) -> None:
    """Refuse (403) a create or update of an RBAC object that would grant `user` more than
    it holds; other kinds and system:masters pass."""
    if plural not in ROLE_KINDS and plural not in BINDING_KINDS:
        return
    if SYSTEM_MASTERS in user.groups or not isinstance(obj, dict):
        return
    ns = namespace or ""
    name = str((obj.get("metadata") or {}).get("name", ""))
    if plural in ROLE_KINDS:
        if _allowed(authz, user, "escalate", plural, ns, name):
            return
        if plural == "clusterroles" and obj.get("aggregationRule"):
            raise _forbidden(
                plural, name, "must have cluster-admin privileges to use the aggregationRule"
            )
        rules = [r for r in obj.get("rules") or [] if isinstance(r, dict)]
        _confirm_no_escalation(authz, user, ns, rules, plural=plural, name=name)
        return
    ref = obj.get("roleRef") or {}
    ref_kind, ref_name = str(ref.get("kind", "")), str(ref.get("name", ""))
    ref_plural = "roles" if ref_kind == "Role" else "clusterroles"
    if _allowed(authz, user, "bind", ref_plural, ns, ref_name):
        return
    policy = authz.policy
    if ref_kind == "ClusterRole":
        role_rules = policy.cluster_rules.get(ref_name)
        missing_role = f'clusterrole.{RBAC_GROUP} "{ref_name}" not found'
    elif ref_kind == "Role":
        role_rules = policy.role_rules.get((ns, ref_name))
        missing_role = f'role.{RBAC_GROUP} "{ref_name}" not found'
    else:
        role_rules, missing_role = None, f'unsupported role reference kind: "{ref_kind}"'
    if role_rules is None:
        raise _forbidden(plural, name, missing_role)
    rules = [rule.policy for rule in role_rules]
    _confirm_no_escalation(authz, user, ns, rules, plural=plural, name=name)
