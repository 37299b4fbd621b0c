"""The tokens controller's decision: a `kubernetes.io/service-account-token` Secret.

Upstream: pkg/controller/serviceaccount/tokens_controller.go (syncSecret,
generateTokenIfNeeded). A Secret of that type names its ServiceAccount in the
`kubernetes.io/service-account.name` annotation (and, once filled, its uid in
`kubernetes.io/service-account.uid`):

  * the account is gone, or is another one by the same name (the uid differs): the Secret
    is deleted;
  * otherwise missing `token`, `namespace` or a stale `ca.crt` are filled (the token is a
    legacy JWT, `kubesim.apiserver.serviceaccount.TokenIssuer.issue_legacy`) and both
    annotations set. This is what the docs' "manually create a long-lived API token for a
    ServiceAccount" relies on.

The token is signed by the caller, and only when `needs_token` says so, so the decision
stays a function of its inputs.
"""

from __future__ import annotations

import base64
from typing import Any

from kubesim.controllers._actions import Decision, Update, delete_of
from kubesim.core.objects import deepcopy

Obj = dict[str, Any]

TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"
NAME_ANNOTATION = "kubernetes.io/service-account.name"
UID_ANNOTATION = "kubernetes.io/service-account.uid"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def token_secret_account(secret: Obj) -> tuple[str, str] | None:
    """(name, uid) of the account a token Secret is for; None for any other Secret."""
    if secret.get("type") != TOKEN_SECRET_TYPE:
        return None
    annotations = (secret.get("metadata") or {}).get("annotations") or {}
    name = annotations.get(NAME_ANNOTATION)
    return (name, annotations.get(UID_ANNOTATION, "")) if name else None


def needs_token(secret: Obj) -> bool:
    return not (secret.get("data") or {}).get("token")


def reconcile_token_secret(
    secret: Obj, service_account: Obj | None, *, token: str | None, ca_crt: str
) -> Decision:
    """Delete a Secret whose account is gone, else fill what is missing (`token` is the
    signed legacy token when `needs_token(secret)`)."""
    account = token_secret_account(secret)
    if account is None or (secret.get("metadata") or {}).get("deletionTimestamp"):
        return Decision()
    _name, uid = account
    if service_account is None or (uid and service_account["metadata"].get("uid") != uid):
        return Decision([delete_of(secret)])
    data = dict(secret.get("data") or {})
    if ca_crt and data.get("ca.crt") != _b64(ca_crt):
        data["ca.crt"] = _b64(ca_crt)
    if not data.get("namespace"):
        data["namespace"] = _b64(secret["metadata"]["namespace"])
    if not data.get("token") and token:
        data["token"] = _b64(token)
    annotations = dict(secret["metadata"].get("annotations") or {})
    annotations[NAME_ANNOTATION] = service_account["metadata"]["name"]
    annotations[UID_ANNOTATION] = service_account["metadata"].get("uid", "")
    if data == (secret.get("data") or {}) and annotations == secret["metadata"].get("annotations"):
        return Decision()
    updated = deepcopy(secret)
    updated["data"] = data
    updated["metadata"]["annotations"] = annotations
    return Decision([Update(updated)])
