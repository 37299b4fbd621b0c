"""CertificateSigningRequests (certificates.k8s.io/v1) as kube-apiserver keeps them: the
registry strategy of pkg/registry/certificates/certificates, ValidateCertificateSigningRequest
and the CertificateSubjectRestriction admission plugin, so that the docs' task "Issue a
certificate for a Kubernetes API client using a CertificateSigningRequest" runs as written.

* Create records who asked (`spec.username`, `uid`, `groups`, `extra`, whatever the body
  said) and clears the status: nobody creates a pre-approved request.
* An update of the object itself changes only metadata; `/approval` takes only the
  conditions (how `kubectl certificate approve` adds Approved); `/status` takes the rest of
  the status (how the signer writes `certificate` or Failed) but keeps Approved and Denied as
  they were. Condition timestamps are filled in by the server.
* Validation: a PEM `CERTIFICATE REQUEST` whose signature holds, a qualified signerName,
  known and unique usages, at least ten minutes asked for; conditions well formed and never
  removed, a certificate never replaced.
* A request for `kubernetes.io/kube-apiserver-client` may not put `system:masters` in its
  subject: that group bypasses authorization.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.x509.oid import NameOID

from kubesim.apiserver.requestinfo import UserInfo
from kubesim.apiserver.signer import SigningError, parse_request
from kubesim.apiserver.validation.errors import (
    FieldError,
    GoLiteral,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
)
from kubesim.apiserver.validation.names import is_dns1123_label
from kubesim.core.errors import BadRequest
from kubesim.core.objects import deepcopy

Obj = dict[str, Any]

CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"
LEGACY_SIGNER = "kubernetes.io/legacy-unknown"
APPROVED, DENIED, FAILED = "Approved", "Denied", "Failed"
USAGES = (
    "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
    "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
    "server auth", "client auth", "code signing", "email protection", "s/mime",
    "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
    "microsoft sgc", "netscape sgc",
)  # fmt: skip


def request_bytes(csr: Obj) -> bytes:
    """spec.request decoded from base64 (JSON's form of a []byte); 400 when it is not,
    in the decoder's words."""
    raw = (csr.get("spec") or {}).get("request") or ""
    try:
        return base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(
            'CertificateSigningRequest in version "v1" cannot be handled as a '
            "CertificateSigningRequest: illegal base64 data at input byte 0"
        ) from None


# --- the strategy ---------------------------------------------------------------------------


def prepare_create(csr: Obj, user: UserInfo | None) -> Obj:
    """PrepareForCreate: the requestor from the request's user; an empty status."""
    out = deepcopy(csr)
    spec = out.setdefault("spec", {})
    for key in ("username", "uid", "groups", "extra"):
        spec.pop(key, None)
    if user is not None:
        spec.update(user.to_json())  # UserInfo's fields, username to extra, as the spec names them
    out["status"] = {}
    return out


def _stamp(conditions: list[Obj], old: list[Obj], now: str) -> list[Obj]:
    """populateConditionTimestamps: lastUpdateTime now if unset; lastTransitionTime kept
    from an old condition of the same type and status, else now."""
    out = []
    for condition in conditions:
        c = dict(condition)
        c.setdefault("lastUpdateTime", now)
        if not c.get("lastTransitionTime"):
            before = next(
                (
                    o
                    for o in old
                    if o.get("type") == c.get("type") and o.get("status") == c.get("status")
                ),
                None,
            )
            c["lastTransitionTime"] = (before or {}).get("lastTransitionTime") or now
        out.append(c)
    return out


def _conditions(csr: Obj) -> list[Obj]:
    found = (csr.get("status") or {}).get("conditions") or []
    return [c for c in found if isinstance(c, dict)]


def prepare_update(old: Obj, prepared: Obj, new: Obj, subresource: str, now: str) -> Obj:
    """The strategies' PrepareForUpdate: which parts of the request `new` an update of the
    object, of /status or of /approval may change (`prepared` is the generic update, its
    system metadata already kept)."""
    out = deepcopy(prepared)
    out["spec"] = deepcopy(old.get("spec") or {})
    old_conditions = _conditions(old)
    if subresource == "approval":
        status = deepcopy(old.get("status") or {})
        status["conditions"] = _stamp(_conditions(new), old_conditions, now)
        if not status["conditions"]:
            status.pop("conditions")
        out["status"] = status
    elif subresource == "status":
        kept = {c.get("type"): c for c in old_conditions if c.get("type") in (APPROVED, DENIED)}
        conditions = []
        for c in _conditions(new):
            if c.get("type") in (APPROVED, DENIED):
                if c.get("type") in kept:
                    conditions.append(kept.pop(c.get("type")))
                continue
            conditions.append(c)
        conditions.extend(kept.values())
        status = deepcopy(new.get("status") or {})
        status["conditions"] = _stamp(conditions, old_conditions, now)
        if not status["conditions"]:
            status.pop("conditions")
        out["status"] = status
    else:
        out["status"] = deepcopy(old.get("status") or {})
    return out


# --- validation -----------------------------------------------------------------------------


def _go_bytes(data: bytes) -> GoLiteral:
    """`%#v` of a []byte, as field.Invalid prints spec.request."""
    return GoLiteral("[]byte{" + ", ".join(f"0x{b:02x}" for b in data) + "}")


def _request_error(data: bytes) -> str | None:
    """ParseCSR and CheckSignature's error, if any."""
    if b"-----BEGIN CERTIFICATE REQUEST-----" not in data:
        return "PEM block type must be CERTIFICATE REQUEST"
    try:
        parse_request(data)
    except SigningError as exc:
        return str(exc)
    return None


def _signer_name(name: Any) -> list[FieldError]:
    """ValidateSignerName: `<domain>/<path>`, the domain with at least two labels."""
    path = "spec.signerName"
    if not name:
        return [required(path, "")]
    if name == LEGACY_SIGNER:
        return [invalid(path, name, "the legacy signerName is not allowed via this API version")]
    segments = str(name).split("/")
    if len(segments) != 2:
        return [
            invalid(
                path,
                name,
                "must be a fully qualified domain and path of the form 'example.com/signer-name'",
            )
        ]
    domain = segments[0]
    labels = domain.split(".")
    if len(labels) < 2 or any(is_dns1123_label(label) for label in labels):
        return [  # the domain is the bad value, as ValidateSignerName reports it
            invalid(path, domain, "should be a domain with at least two segments separated by dots")
        ]
    return []


def _condition_errors(csr: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    decided: dict[str, int] = {}
    for i, c in enumerate(_conditions(csr)):
        path = f"status.conditions[{i}]"
        kind, status = c.get("type") or "", c.get("status") or ""
        if not kind:
            errs.append(required(f"{path}.type", ""))
        if not status:
            errs.append(required(f"{path}.status", ""))
        elif kind in (APPROVED, DENIED, FAILED) and status != "True":
            errs.append(not_supported(f"{path}.status", status, ["True"]))
        elif status not in ("True", "False", "Unknown"):
            errs.append(not_supported(f"{path}.status", status, ["False", "True", "Unknown"]))
        if kind in seen:
            errs.append(duplicate(f"{path}.type", kind))
        seen.add(kind)
        if kind in (APPROVED, DENIED):
            decided.setdefault(kind, i)
    if len(decided) == 2:
        last = max(decided, key=lambda k: decided[k])
        errs.append(
            invalid(
                f"status.conditions[{decided[last]}].type",
                last,
                "Approved and Denied conditions are mutually exclusive",
            )
        )
    return errs


def _certificate_errors(csr: Obj, old: Obj | None) -> list[FieldError]:
    raw = (csr.get("status") or {}).get("certificate")
    was = ((old or {}).get("status") or {}).get("certificate")
    if old is not None and was and raw != was:
        return [
            forbidden("status.certificate", "updates may not modify existing certificate content")
        ]
    if not raw or raw == was:
        return []
    try:
        pem = base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        pem = b""
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        return [
            invalid(
                "status.certificate",
                "<certificate data>",
                "must contain at least one CERTIFICATE PEM block",
            )
        ]
    return []


def validate_csr(csr: Obj, old: Obj | None) -> list[FieldError]:
    """ValidateCertificateSigningRequestCreate / Update (the spec checks run on create; an
    update cannot change the spec, the strategy keeps the stored one)."""
    spec = csr.get("spec") or {}
    errs: list[FieldError] = []
    if old is None:
        data = request_bytes(csr)
        why = _request_error(data)
        if why:
            errs.append(invalid("spec.request", _go_bytes(data), why))
        usages = spec.get("usages") or []
        if not usages:
            errs.append(required("spec.usages", ""))
        seen: set[str] = set()
        for i, usage in enumerate(usages):
            if usage not in USAGES:
                errs.append(not_supported(f"spec.usages[{i}]", usage, sorted(USAGES)))
            if usage in seen:
                errs.append(duplicate(f"spec.usages[{i}]", usage))
            seen.add(usage)
        errs.extend(_signer_name(spec.get("signerName")))
        seconds = spec.get("expirationSeconds")
        if isinstance(seconds, int) and seconds < 600:
            errs.append(
                invalid(
                    "spec.expirationSeconds",
                    seconds,
                    "may not specify a duration less than 600 seconds (10 minutes)",
                )
            )
    errs.extend(_condition_errors(csr))
    if old is not None:
        kept = {c.get("type") for c in _conditions(csr)}
        for c in _conditions(old):
            if c.get("type") in (APPROVED, DENIED, FAILED) and c.get("type") not in kept:
                errs.append(
                    forbidden(
                        "status.conditions",
                        f'updates may not remove a condition of type "{c.get("type")}"',
                    )
                )
    errs.extend(_certificate_errors(csr, old))
    return errs


# --- admission ------------------------------------------------------------------------------


def subject_restriction(csr: Obj) -> str | None:
    """CertificateSubjectRestriction: why a kube-apiserver-client request is refused (it
    asks for system:masters), or None."""
    spec = csr.get("spec") or {}
    if spec.get("signerName") != CLIENT_SIGNER:
        return None
    try:
        request = parse_request(request_bytes(csr))
    except SigningError as exc:
        return f"failed to parse CSR: {exc}"
    groups = [a.value for a in request.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if "system:masters" in groups:
        return f"use of {CLIENT_SIGNER} signer with system:masters group is not allowed"
    return None
