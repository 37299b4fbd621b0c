"""The review APIs: created, answered from the authenticator and the authorizer, never stored.

* authentication.k8s.io SelfSubjectReview (`kubectl auth whoami`): the request's user;
  TokenReview: what a bearer token authenticates as.
* authorization.k8s.io SelfSubjectAccessReview (`kubectl auth can-i`), SubjectAccessReview
  and LocalSubjectAccessReview: the authorizer's decision for the attributes in the spec,
  as pkg/registry/authorization/*/rest.go answer (`allowed`, and the RBAC reason);
  SelfSubjectRulesReview (`kubectl auth can-i --list`): the rules RBAC grants in a
  namespace.
"""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.authn import Authenticator, InvalidToken
from kubesim.apiserver.rbac import Authorizer
from kubesim.apiserver.requestinfo import Attributes, UserInfo
from kubesim.core.errors import BadRequest, Invalid

Obj = dict[str, Any]


def _answer(kind: str, api_version: str, body: Obj, status: Obj) -> Obj:
    meta = dict(body.get("metadata") or {})
    meta.setdefault("creationTimestamp", None)
    out: Obj = {"kind": kind, "apiVersion": api_version, "metadata": meta}
    out["spec"] = body.get("spec") or {}
    out["status"] = status
    return out


def self_subject_review(user: UserInfo) -> Obj:
    """`kubectl auth whoami`: the user the request ran as (after impersonation)."""
    return {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": user.to_json()},
    }


def token_review(body: Obj, *, authenticator: Authenticator) -> Obj:
    token = str((body.get("spec") or {}).get("token") or "")
    status: Obj
    try:
        user = authenticator.service_account_user(token)
        status = {
            "authenticated": True,
            "user": user.to_json(),
            "audiences": list(authenticator.audiences),
        }
    except InvalidToken as exc:
        status = {"user": {}, "error": f"[invalid bearer token, {exc}]"}
    return _answer("TokenReview", "authentication.k8s.io/v1", body, status)


def _attributes(kind: str, spec: Obj, *, namespace: str | None) -> Attributes:
    resource: Obj = spec.get("resourceAttributes") or {}
    non_resource: Obj = spec.get("nonResourceAttributes") or {}
    if not isinstance(resource, dict) or not isinstance(non_resource, dict):
        raise BadRequest(f"the object provided is unrecognized (must be of type {kind})")
    if bool(resource) == bool(non_resource):
        raise Invalid(
            f'{kind}.authorization.k8s.io "" is invalid: spec.resourceAttributes: '
            'Invalid value: "null": exactly one of nonResourceAttributes or '
            "resourceAttributes must be specified",
            details={
                "group": "authorization.k8s.io",
                "kind": kind,
                "causes": [
                    {
                        "reason": "FieldValueInvalid",
                        "message": 'Invalid value: "null": exactly one of '
                        "nonResourceAttributes or resourceAttributes must be specified",
                        "field": "spec.resourceAttributes",
                    }
                ],
            },
        )
    if non_resource:
        return Attributes(
            verb=str(non_resource.get("verb", "")),
            resource_request=False,
            path=str(non_resource.get("path", "")),
        )
    ns = str(resource.get("namespace", ""))
    if namespace is not None:
        if ns and ns != namespace:
            raise BadRequest(f"spec.resourceAttributes.namespace must match namespace: {namespace}")
        ns = namespace
    return Attributes(
        verb=str(resource.get("verb", "")),
        namespace=ns,
        api_group=str(resource.get("group", "")),
        api_version=str(resource.get("version", "")),
        resource=str(resource.get("resource", "")),
        subresource=str(resource.get("subresource", "")),
        name=str(resource.get("name", "")),
    )


def access_review(
    kind: str,
    body: Obj,
    *,
    user: UserInfo,
    authorizer: Authorizer,
    namespace: str | None = None,
) -> Obj:
    """SelfSubjectAccessReview (for `user`), SubjectAccessReview and
    LocalSubjectAccessReview (for the spec's user), or SelfSubjectRulesReview."""
    spec = body.get("spec") or {}
    if kind == "SelfSubjectRulesReview":
        ns = str(spec.get("namespace", ""))
        if not ns:
            raise BadRequest("no namespace on request")
        return _answer(kind, "authorization.k8s.io/v1", body, authorizer.rules_review(user, ns))
    subject = user
    if kind in ("SubjectAccessReview", "LocalSubjectAccessReview"):
        groups = [str(g) for g in spec.get("groups") or []]
        extra = spec.get("extra") or {}
        subject = UserInfo(
            str(spec.get("user", "")),
            uid=str(spec.get("uid", "")),
            groups=tuple(groups),
            extra=tuple((str(k), tuple(str(v) for v in vs)) for k, vs in sorted(extra.items())),
        )
        if not subject.name and not subject.groups:
            raise Invalid(
                f'{kind}.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": '
                "at least one of user or group must be specified",
                details={"group": "authorization.k8s.io", "kind": kind},
            )
    attrs = _attributes(kind, spec, namespace=namespace)
    decision = authorizer.authorize(subject, attrs)
    status: Obj = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    return _answer(kind, "authorization.k8s.io/v1", body, status)


__all__ = ["access_review", "self_subject_review", "token_review"]
