"""Service accounts in the API server: the ServiceAccount admission plugin's projected volume,
and the bound tokens the kubelet asks for to fill it.

Admission (plugin/pkg/admission/serviceaccount/admission.go), on a Pod create:
  * `spec.serviceAccountName` defaults to `default`;
  * the ServiceAccount must exist, else 403 `error looking up service account ns/name:
    serviceaccount "name" not found` (the default one is created with its namespace);
  * unless `automountServiceAccountToken` is false (the pod's setting wins over the
    ServiceAccount's), a projected volume `kube-api-access-<5 random>` (token 3607 s,
    `kube-root-ca.crt`'s `ca.crt`, the namespace) is added, with a readOnly mount at
    `/var/run/secrets/kubernetes.io/serviceaccount` in every init container and container
    that has no mount at that path yet;
  * mirror pods (static pods' copies) are left alone;
  * an empty `imagePullSecrets` takes the ServiceAccount's.

Tokens (pkg/serviceaccount/jwt.go, claims.go; pkg/registry/core/serviceaccount/storage/
token.go): RS256 JWTs signed with the cluster's service-account key (kind's `sa.key`), issuer
`https://kubernetes.default.svc.cluster.local`, subject `system:serviceaccount:<ns>:<sa>`,
bound to the pod and its node in the `kubernetes.io` claim. A request for exactly 3607 s
from a pod (the admission volume's) is extended to a year, with `warnafter` at the hour,
as kube-apiserver's `--service-account-extend-token-expiration` (default true) does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

Obj = dict[str, Any]

DEFAULT_SERVICE_ACCOUNT = "default"
TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
VOLUME_PREFIX = "kube-api-access-"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
WARN_ONLY_EXPIRATION = 60 * 60 + 7  # serviceaccount.WarnOnlyBoundTokenExpirationSeconds
EXTENDED_EXPIRATION = 24 * 365 * 60 * 60  # ExpirationExtensionSeconds
DEFAULT_EXPIRATION = 60 * 60  # ServiceAccountTokenProjection.expirationSeconds default
ISSUER = "https://kubernetes.default.svc.cluster.local"
LEGACY_ISSUER = "kubernetes/serviceaccount"

__all__ = [
    "DEFAULT_SERVICE_ACCOUNT",
    "ISSUER",
    "LEGACY_ISSUER",
    "TOKEN_MOUNT_PATH",
    "TokenIssuer",
    "admit_pod",
    "service_account_key",
    "token_volume_source",
]


def token_volume_source() -> Obj:
    """TokenVolumeSource(): what the admission plugin projects (defaultMode set explicitly,
    as upstream does since kubernetes#104464)."""
    return {
        "defaultMode": 420,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": WARN_ONLY_EXPIRATION, "path": "token"}},
            {
                "configMap": {
                    "name": "kube-root-ca.crt",
                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                }
            },
            {
                "downwardAPI": {
                    "items": [
                        {
                            "path": "namespace",
                            "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                        }
                    ]
                }
            },
        ],
    }


def _should_automount(service_account: Obj, spec: Obj) -> bool:
    if spec.get("automountServiceAccountToken") is not None:
        return bool(spec["automountServiceAccountToken"])
    if service_account.get("automountServiceAccountToken") is not None:
        return bool(service_account["automountServiceAccountToken"])
    return True


def admit_pod(
    pod: Obj,
    *,
    namespace: str,
    lookup: Callable[[str], Obj | None],
    generate_name: Callable[[str], str],
) -> str | None:
    """Mutate `pod` as the ServiceAccount plugin's Admit does; returns the reason for a 403
    (without the `pods "x" is forbidden: ` prefix), or None when admitted."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return None
    if MIRROR_ANNOTATION in (meta.get("annotations") or {}):
        return None
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = DEFAULT_SERVICE_ACCOUNT
        spec["serviceAccount"] = DEFAULT_SERVICE_ACCOUNT
    name = spec["serviceAccountName"]
    service_account = lookup(name)
    if service_account is None:
        return (
            f"error looking up service account {namespace}/{name}: "
            f'serviceaccount "{name}" not found'
        )
    if _should_automount(service_account, spec):
        _mount_token(spec, generate_name)
    if not spec.get("imagePullSecrets") and service_account.get("imagePullSecrets"):
        spec["imagePullSecrets"] = [
            {"name": ref.get("name", "")} for ref in service_account["imagePullSecrets"]
        ]
    return None


def _mount_token(spec: Obj, generate_name: Callable[[str], str]) -> None:
    volumes = spec.get("volumes") or []
    existing = next(
        (v.get("name") for v in volumes if str(v.get("name", "")).startswith(VOLUME_PREFIX)),
        None,
    )
    volume_name = existing or generate_name(VOLUME_PREFIX)
    needs_volume = False
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind) or []:
            mounts = container.get("volumeMounts") or []
            if any(m.get("mountPath") == TOKEN_MOUNT_PATH for m in mounts):
                continue
            mounts.append({"name": volume_name, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH})
            container["volumeMounts"] = mounts
            needs_volume = True
    if needs_volume and existing is None:
        volumes.append({"name": volume_name, "projected": token_volume_source()})
        spec["volumes"] = volumes


# -- tokens ---------------------------------------------------------------------------------


def service_account_key(folder: Path) -> bytes:
    """The cluster's token-signing key (`sa.key`), made on first start and kept, so tokens
    stay valid across restarts of kubesim as they do across restarts of kube-apiserver."""
    path = folder / "sa.key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(_new_key())
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_bytes()


def _new_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(value: Obj) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


class TokenIssuer:
    """Signs bound service-account tokens with one RSA key; made lazily when none is given
    (an API without a state folder, as in unit tests)."""

    def __init__(self, key_pem: bytes | None = None) -> None:
        self._key_pem = key_pem
        self._key: rsa.RSAPrivateKey | None = None

    @property
    def key(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            loaded = serialization.load_pem_private_key(self._key_pem or _new_key(), None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError("the service-account signing key must be an RSA key")
            self._key = loaded
        return self._key

    @property
    def key_id(self) -> str:
        """keyIDFromPublicKey: the SHA-256 of the DER public key, base64url."""
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _b64(hashlib.sha256(der).digest())

    def issue(
        self,
        *,
        service_account: Obj,
        pod: Obj | None,
        node: Obj | None,
        secret: Obj | None = None,
        now: float,
        audiences: list[str] | None = None,
        expiration_seconds: int = DEFAULT_EXPIRATION,
    ) -> str:
        """A TokenRequest's answer: a signed JWT for `service_account`, bound to `pod` (and
        its `node`), a `secret` or a `node` when given."""
        meta = service_account["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        iat = int(now)
        private: Obj = {
            "namespace": namespace,
            "serviceaccount": {"name": name, "uid": meta.get("uid", "")},
        }
        exp = iat + expiration_seconds
        if pod is not None:
            private["pod"] = {"name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}
            if expiration_seconds == WARN_ONLY_EXPIRATION:
                exp = iat + EXTENDED_EXPIRATION
                private["warnafter"] = iat + WARN_ONLY_EXPIRATION
        if secret is not None:
            private["secret"] = {
                "name": secret["metadata"]["name"],
                "uid": secret["metadata"]["uid"],
            }
        if node is not None:
            private["node"] = {"name": node["metadata"]["name"], "uid": node["metadata"]["uid"]}
        claims = {
            "aud": list(audiences or [ISSUER]),
            "exp": exp,
            "iat": iat,
            "iss": ISSUER,
            "jti": str(uuid.uuid4()),
            "kubernetes.io": private,
            "nbf": iat,
            "sub": f"system:serviceaccount:{namespace}:{name}",
        }
        return self._sign(claims)

    def issue_legacy(self, *, service_account: Obj, secret_name: str) -> str:
        """The token the tokens controller writes into a `kubernetes.io/service-account-token`
        Secret (pkg/serviceaccount/legacy.go): issuer `kubernetes/serviceaccount`, no expiry,
        no audience, valid while the Secret holds it."""
        meta = service_account["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        return self._sign(
            {
                "iss": LEGACY_ISSUER,
                "kubernetes.io/serviceaccount/namespace": namespace,
                "kubernetes.io/serviceaccount/secret.name": secret_name,
                "kubernetes.io/serviceaccount/service-account.name": name,
                "kubernetes.io/serviceaccount/service-account.uid": meta.get("uid", ""),
                "sub": f"system:serviceaccount:{namespace}:{name}",
            }
        )

    def _sign(self, claims: Obj) -> str:
        header = {"alg": "RS256", "kid": self.key_id}
        signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}".encode()
        signature = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode()}.{_b64(signature)}"

    def verify(self, token: str) -> Obj:
        """The claims of a token this issuer signed; ValueError when it did not."""
        try:
            head, body, signature = token.split(".")
            self.key.public_key().verify(
                base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
                f"{head}.{body}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception as exc:  # malformed or not ours: one answer
            raise ValueError("not a token signed by this cluster") from exc
        claims: Obj = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return claims
