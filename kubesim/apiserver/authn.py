"""Authentication and impersonation: who a request runs as.

kube-apiserver's chain, for the credentials kubesim's clients carry:

  * the bearer token of kubesim's kubeconfig stands for kind's admin client certificate:
    user `kubernetes-admin` in `kubeadm:cluster-admins` (kubeadm >= 1.29) and
    `system:authenticated`;
  * a service-account JWT (pkg/serviceaccount/jwt.go, claims.go), signed with the cluster's
    `sa.key`, issuer `https://kubernetes.default.svc.cluster.local`: the signature, `exp`
    and `nbf` (with go-jose's one-minute leeway) and the audience (one of the API server's,
    which is the issuer) are checked, then for a bound token that the service account, and
    the pod, secret or node it is bound to, still exist with the uid in the token (and are
    not being deleted for more than a minute). The user is `system:serviceaccount:NS:NAME`
    with the account's uid, groups `system:serviceaccounts`, `system:serviceaccounts:NS`,
    `system:authenticated`, and the credential id and bound objects as extra;
  * any other bearer token is 401 `Unauthorized` (the token authenticators failed);
  * no token at all is `system:anonymous` in `system:unauthenticated` (`--anonymous-auth`
    is on in kind), left to the authorizer;
  * a token the tokens controller wrote into a `kubernetes.io/service-account-token` Secret
    (issuer `kubernetes/serviceaccount`, no expiry) while that Secret still holds it and its
    account is the same one.

Impersonation (staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go): each
`Impersonate-User` / `-Group` / `-Uid` / `-Extra-*` header is authorized as verb
`impersonate` on users, groups, serviceaccounts (for `system:serviceaccount:NS:NAME`),
authentication.k8s.io uids and userextras, before the request runs as the impersonated
user, who is added to `system:authenticated`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from kubesim.apiserver.api import Api
from kubesim.apiserver.rbac import Decision
from kubesim.apiserver.requestinfo import (
    ALL_AUTHENTICATED,
    ALL_UNAUTHENTICATED,
    ANONYMOUS,
    Attributes,
    UserInfo,
    forbidden_status,
    service_account_groups,
    service_account_username,
    split_service_account,
)
from kubesim.apiserver.serviceaccount import ISSUER, LEGACY_ISSUER
from kubesim.core.clock import parse_time
from kubesim.core.errors import Forbidden, InternalError, Unauthorized

Obj = dict[str, Any]

ADMIN = UserInfo("kubernetes-admin", groups=("kubeadm:cluster-admins", ALL_AUTHENTICATED))
ANONYMOUS_USER = UserInfo(ANONYMOUS, groups=(ALL_UNAUTHENTICATED,))
LEEWAY = 60.0  # go-jose's DefaultLeeway for exp and nbf
DELETION_GRACE = 60.0  # a bound object deleted less than this ago still validates
EXTRA_PREFIX = "authentication.kubernetes.io/"
_IMPERSONATE_EXTRA = "impersonate-extra-"


def client_certificate_user(transport: Any) -> UserInfo | None:
    """The user a verified client certificate names (the x509 authenticator's
    CommonNameUserConversion): its subject's common name, its organizations as groups, and
    the certificate's SHA-256 as the credential id. None when the client sent none.

    The TLS layer has already checked it against the cluster CA (`--client-ca-file`), so a
    certificate the CA did not sign, or one expired on the host's clock, fails the handshake
    rather than answering 401 as kube-apiserver does."""
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    if not cert:
        return None
    names: list[str] = []
    groups: list[str] = []
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                names.append(value)
            elif key == "organizationName":
                groups.append(value)
    if not names or not names[0]:
        return None  # no common name: the x509 authenticator passes, as upstream's does
    der = ssl_object.getpeercert(binary_form=True) or b""
    fingerprint = hashlib.sha256(der).hexdigest()
    return UserInfo(
        names[0],
        groups=(*groups, ALL_AUTHENTICATED),
        extra=((EXTRA_PREFIX + "credential-id", (f"X509SHA256={fingerprint}",)),),
    )


class InvalidToken(Exception):
    """Why a token was refused (kube-apiserver logs it; the client only sees 401)."""


class Authenticator:
    """Bearer tokens to users, for one Api (the store holds the bound objects)."""

    def __init__(self, api: Api, *, admin_token: str, audiences: Sequence[str] = (ISSUER,)) -> None:
        self.api = api
        self.admin_token = admin_token.encode()
        self.audiences = tuple(audiences)

    def authenticate(self, authorization: str) -> UserInfo:
        """The user of an `Authorization` header value; 401 for a token nobody accepts."""
        parts = authorization.strip().split(" ", 2)  # bearertoken.go's SplitN(auth, " ", 3)
        if len(parts) < 2 or parts[0].lower() != "bearer":
            return ANONYMOUS_USER
        token = parts[1]
        if not token:  # "Bearer  x": an empty token is invalid, not anonymous
            raise Unauthorized("Unauthorized")
        if hmac.compare_digest(token.encode(), self.admin_token):
            return ADMIN
        try:
            return self.service_account_user(token)
        except InvalidToken:
            raise Unauthorized("Unauthorized") from None

    def service_account_user(self, token: str) -> UserInfo:
        """Validate a service-account JWT and name its user; InvalidToken otherwise."""
        if token.count(".") != 2:
            raise InvalidToken("not a JWT")
        try:
            claims = self.api.tokens.verify(token)
        except ValueError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims.get("iss") == LEGACY_ISSUER:
            return self._legacy_user(token, claims)
        if claims.get("iss") != ISSUER:
            raise InvalidToken("token issuer is not this cluster's")
        now = self.api.clock.timestamp()
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int) or now > exp + LEEWAY:
            raise InvalidToken("service account token has expired")
        if isinstance(nbf, int) and now + LEEWAY < nbf:
            raise InvalidToken("service account token is not valid yet")
        audiences = claims.get("aud")
        if isinstance(audiences, str):
            audiences = [audiences]
        if not isinstance(audiences, list) or not set(audiences) & set(self.audiences):
            raise InvalidToken("token audiences is invalid")
        private = claims.get("kubernetes.io")
        if not isinstance(private, dict):
            raise InvalidToken("token has no kubernetes.io claim")
        namespace = private.get("namespace", "")
        account = private.get("serviceaccount") or {}
        name = account.get("name", "")
        if claims.get("sub") != service_account_username(namespace, name):
            raise InvalidToken("token subject does not match its service account")
        self._bound("serviceaccounts", namespace, account, now)
        extra: list[tuple[str, tuple[str, ...]]] = []
        if claims.get("jti"):
            extra.append((EXTRA_PREFIX + "credential-id", (f"JTI={claims['jti']}",)))
        for kind, plural in (("pod", "pods"), ("secret", "secrets"), ("node", "nodes")):
            ref = private.get(kind)
            if isinstance(ref, dict):
                self._bound(plural, None if kind == "node" else namespace, ref, now)
                if kind != "secret":
                    extra.append((f"{EXTRA_PREFIX}{kind}-name", (str(ref.get("name", "")),)))
                    extra.append((f"{EXTRA_PREFIX}{kind}-uid", (str(ref.get("uid", "")),)))
        return UserInfo(
            service_account_username(namespace, name),
            uid=str(account.get("uid", "")),
            groups=(*service_account_groups(namespace), ALL_AUTHENTICATED),
            extra=tuple(sorted(extra)),
        )

    def _legacy_user(self, token: str, claims: Obj) -> UserInfo:
        """A Secret-held token (legacy.go's validator): the Secret must still hold exactly
        this token and the account must be the same one."""
        namespace = str(claims.get("kubernetes.io/serviceaccount/namespace", ""))
        name = str(claims.get("kubernetes.io/serviceaccount/service-account.name", ""))
        uid = str(claims.get("kubernetes.io/serviceaccount/service-account.uid", ""))
        secret_name = str(claims.get("kubernetes.io/serviceaccount/secret.name", ""))
        if claims.get("sub") != service_account_username(namespace, name):
            raise InvalidToken("token subject does not match its service account")
        secret = self.api.store.get(f"/core/secrets/{namespace}/{secret_name}")
        if secret is None or (secret.obj.get("metadata") or {}).get("deletionTimestamp"):
            raise InvalidToken(f"secret {namespace}/{secret_name} no longer exists")
        try:
            held = base64.b64decode((secret.obj.get("data") or {}).get("token", ""))
        except (binascii.Error, ValueError):
            held = b""
        if not hmac.compare_digest(held, token.encode()):
            raise InvalidToken("Token does not match server's copy")
        self._bound("serviceaccounts", namespace, {"name": name, "uid": uid}, 0.0)
        return UserInfo(
            service_account_username(namespace, name),
            uid=uid,
            groups=(*service_account_groups(namespace), ALL_AUTHENTICATED),
        )

    def _bound(self, plural: str, namespace: str | None, ref: Obj, now: float) -> None:
        """The object a token names must still exist with the same uid."""
        res = self.api.resource("", "v1", plural)
        key = f"/{res.storage}/{namespace}/{ref.get('name')}" if namespace else None
        row = self.api.store.get(key or f"/{res.storage}/{ref.get('name')}")
        if row is None:
            raise InvalidToken(f"{plural} {ref.get('name')} no longer exists")
        meta = row.obj.get("metadata") or {}
        if ref.get("uid") and meta.get("uid") != ref.get("uid"):
            raise InvalidToken(f"{plural} {ref.get('name')} was recreated (uid differs)")
        deleted = meta.get("deletionTimestamp")
        if deleted and parse_time(deleted).timestamp() + DELETION_GRACE < now:
            raise InvalidToken("service account token has been invalidated")


# -- impersonation -------------------------------------------------------------------------


def _impersonation_requests(headers: Mapping[str, Sequence[str]]) -> list[Attributes]:
    """buildImpersonationRequests: one `impersonate` check per header value."""
    requests: list[Attributes] = []
    user = (headers.get("impersonate-user") or [""])[0]
    if user:
        account = split_service_account(user)
        if account is not None:
            requests.append(
                Attributes(
                    verb="impersonate",
                    api_version="v1",
                    resource="serviceaccounts",
                    namespace=account[0],
                    name=account[1],
                )
            )
        else:
            requests.append(
                Attributes(verb="impersonate", api_version="v1", resource="users", name=user)
            )
    for group in headers.get("impersonate-group") or []:
        requests.append(
            Attributes(verb="impersonate", api_version="v1", resource="groups", name=group)
        )
    for header, values in headers.items():
        if header.startswith(_IMPERSONATE_EXTRA):
            key = unquote(header[len(_IMPERSONATE_EXTRA) :])
            for value in values:
                requests.append(
                    Attributes(
                        verb="impersonate",
                        api_group="authentication.k8s.io",
                        api_version="v1",
                        resource="userextras",
                        subresource=key,
                        name=value,
                    )
                )
    uid = (headers.get("impersonate-uid") or [""])[0]
    if uid:
        requests.append(
            Attributes(
                verb="impersonate",
                api_group="authentication.k8s.io",
                api_version="v1",
                resource="uids",
                name=uid,
            )
        )
    if len(requests) and not user:
        raise InternalError(
            f"Internal error occurred: requested {_describe(requests)} without impersonating "
            "a user",
            details={},
        )
    return requests


def _describe(requests: list[Attributes]) -> str:
    kinds = {"users": "User", "groups": "Group", "uids": "UID", "userextras": "UserExtra"}
    return (
        "[" + " ".join(f"{{{kinds.get(r.resource, r.resource)} {r.name}}}" for r in requests) + "]"
    )


def impersonate(
    user: UserInfo,
    headers: Mapping[str, Sequence[str]],
    *,
    authorize: Callable[[UserInfo, Attributes], Decision],
) -> UserInfo:
    """The user a request acts as: `user`, or the one its Impersonate-* headers name once
    `user` may impersonate each of them (403 otherwise)."""
    requests = _impersonation_requests(headers)
    if not requests:
        return user
    name, uid = "", ""
    groups: list[str] = []
    extra: dict[str, list[str]] = {}
    groups_given = any(r.resource == "groups" for r in requests)
    for attrs in requests:
        decision = authorize(user, attrs)
        if not decision.allowed:
            message, details = forbidden_status(user.name, attrs, decision.reason)
            raise Forbidden(message, details=details)
        if attrs.resource == "serviceaccounts":
            name = service_account_username(attrs.namespace, attrs.name)
            if not groups_given:
                groups.extend(service_account_groups(attrs.namespace))
        elif attrs.resource == "users":
            name = attrs.name
        elif attrs.resource == "groups":
            groups.append(attrs.name)
        elif attrs.resource == "userextras":
            extra.setdefault(attrs.subresource, []).append(attrs.name)
        elif attrs.resource == "uids":
            uid = attrs.name
    if name != ANONYMOUS:
        if ALL_AUTHENTICATED not in groups:
            groups.append(ALL_AUTHENTICATED)
    elif ALL_UNAUTHENTICATED not in groups:
        groups.append(ALL_UNAUTHENTICATED)
    return UserInfo(
        name,
        uid=uid,
        groups=tuple(groups),
        extra=tuple((k, tuple(v)) for k, v in sorted(extra.items())),
    )


def lower_headers(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Request headers as impersonation reads them: lower-case names, every value."""
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key.lower(), []).append(value)
    return out
