"""TokenRequest: `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token` (`kubectl create
token NAME [--duration] [--audience] [--bound-object-kind ...]`).

As pkg/registry/core/serviceaccount/storage/token.go answers it: the spec defaults to one
hour (SetDefaults_TokenRequestSpec) and to the API server's audiences, must ask for 10
minutes to 2^32 seconds, the service account must exist (404), and a bound object (a Pod
running as that account, a Secret or a Node) must exist, with the reference's uid when one
is given (409). The answer is 201 with the request echoed, its name and namespace set,
the bound object's uid filled in, and `status.token` / `status.expirationTimestamp`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from kubesim.apiserver.api import Api
from kubesim.apiserver.serviceaccount import ISSUER
from kubesim.core.errors import ApiError, BadRequest, Invalid, conflict

Obj = dict[str, Any]

MIN_EXPIRATION = 10 * 60
MAX_EXPIRATION = 1 << 32
_BOUND_KINDS = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}


def _invalid(name: str, field: str, value: Any, message: str) -> Invalid:
    shown = json.dumps(value) if isinstance(value, str) else value
    return Invalid(
        f'TokenRequest.authentication.k8s.io "{name}" is invalid: {field}: Invalid value: '
        f"{shown}: {message}",
        details={
            "name": name,
            "group": "authentication.k8s.io",
            "kind": "TokenRequest",
            "causes": [
                {
                    "reason": "FieldValueInvalid",
                    "message": f"Invalid value: {shown}: {message}",
                    "field": field,
                }
            ],
        },
    )


def _get(api: Api, plural: str, namespace: str | None, name: str) -> Obj:
    res = api.resource("", "v1", plural)
    return api.get(res, namespace if res.namespaced else None, name)


def create_token(api: Api, namespace: str, name: str, body: Any) -> Obj:
    """The TokenRequest answer for service account NAME in NAMESPACE."""
    if not isinstance(body, dict):
        raise BadRequest("the object provided is unrecognized (must be of type TokenRequest)")
    meta = dict(body.get("metadata") or {})
    if meta.get("name") and meta["name"] != name:
        raise _invalid(
            name, "metadata.name", meta["name"], "must match the service account name if specified"
        )
    if meta.get("namespace") and meta["namespace"] != namespace:
        raise _invalid(
            name,
            "metadata.namespace",
            meta["namespace"],
            "must match the service account namespace if specified",
        )
    spec = dict(body.get("spec") or {})
    expiration = spec.get("expirationSeconds") or 3600
    if not isinstance(expiration, int) or isinstance(expiration, bool):
        raise BadRequest("spec.expirationSeconds must be an integer")
    if expiration < MIN_EXPIRATION:
        raise _invalid(
            name,
            "spec.expirationSeconds",
            expiration,
            "may not specify a duration less than 10 minutes",
        )
    if expiration > MAX_EXPIRATION:
        raise _invalid(
            name,
            "spec.expirationSeconds",
            expiration,
            "may not specify a duration larger than 2^32 seconds",
        )
    audiences = [str(a) for a in spec.get("audiences") or []] or [ISSUER]
    account = _get(api, "serviceaccounts", namespace, name)
    pod = node = secret = None
    ref = spec.get("boundObjectRef")
    if ref:
        kind, ref_name = ref.get("kind", ""), ref.get("name", "")
        group = ref.get("apiVersion", "v1").rpartition("/")[0]
        if group or kind not in _BOUND_KINDS:
            gvk = f"{group}/{ref.get('apiVersion', '')}, Kind={kind}"
            raise BadRequest(f"cannot bind token to object of type {gvk}")
        bound = _get(api, _BOUND_KINDS[kind], namespace, ref_name)
        if kind == "Pod":
            if (bound.get("spec") or {}).get("serviceAccountName") != name:
                raise BadRequest(
                    f'cannot bind token for serviceaccount "{name}" to pod running with '
                    "different serviceaccount name."
                )
            pod = bound
            node_name = (bound.get("spec") or {}).get("nodeName")
            if node_name:
                try:
                    node = _get(api, "nodes", None, node_name)
                except ApiError:
                    node = None
        elif kind == "Node":
            node = bound
        else:
            secret = bound
        uid = bound["metadata"]["uid"]
        if ref.get("uid") and ref["uid"] != uid:
            raise conflict(
                kind,
                ref_name,
                f"the UID in the bound object reference ({ref['uid']}) does not match the UID "
                "in record. The object might have been deleted and then recreated",
            )
        ref = {**ref, "uid": uid}
    now = api.clock.timestamp()
    token = api.tokens.issue(
        service_account=account,
        pod=pod,
        node=node,
        secret=secret,
        now=now,
        audiences=audiences,
        expiration_seconds=expiration,
    )
    exp = api.tokens.verify(token)["exp"]
    meta.update({"name": name, "namespace": namespace})
    meta.setdefault("creationTimestamp", None)
    return {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": meta,
        "spec": {
            "audiences": audiences,
            "expirationSeconds": expiration,
            "boundObjectRef": ref or None,
        },
        "status": {
            "token": token,
            "expirationTimestamp": datetime.fromtimestamp(exp, tz=UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        },
    }


__all__ = ["create_token"]
