"""The csrsigning and csrcleaner controllers' decisions for CertificateSigningRequests.

Upstream: pkg/controller/certificates/signer (signer.go, the kube-apiserver-client signer's
usage checks; authority/policies.go, the validity window) and pkg/controller/certificates/
cleaner (cleaner.go).

* Signing: a request for `kubernetes.io/kube-apiserver-client` that is Approved, not
  Denied, not Failed and has no certificate yet is signed by the cluster CA with the usages
  it asked for, if they are client usages (else it gets a Failed condition, reason
  `SignerValidationFailure`). The lifetime is `expirationSeconds` within [10 minutes,
  --cluster-signing-duration = 1 year]; NotBefore is backdated 5 minutes, and a lifetime of
  8 hours or more loses those 5 minutes at its end.
* Cleaning: an issued, denied or failed request goes an hour after its Approved, Denied or
  Failed condition's lastUpdateTime, a pending one after 24 hours, one whose certificate has
  expired at once (an approved one that no signer issues stays).

kubesim's one departure: the host's TLS checks the certificate against the host's clock,
which the cluster's (scaled, or jumped by virtual time) may lead, so the window covers both
clocks' `now`. The certificate is signed by the caller (`kubesim.apiserver.signer`) from
the plan this module returns, so the decisions stay functions of their inputs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubesim.controllers._actions import Decision, UpdateStatus, delete_of
from kubesim.core.objects import deepcopy, fmt_time, parse_time

Obj = dict[str, Any]

CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"
SIGNING_DURATION = timedelta(days=365)  # --cluster-signing-duration
SHORTEST = timedelta(minutes=10)
BACKDATE = timedelta(minutes=5)
SHORT = timedelta(hours=8)
DECIDED_KEPT = timedelta(hours=1)
PENDING_KEPT = timedelta(hours=24)
_CLIENT_USAGES = ("digital signature", "key encipherment")


@dataclass(frozen=True)
class SigningPlan:
    usages: tuple[str, ...]
    not_before: datetime
    not_after: datetime


def _conditions(csr: Obj) -> dict[str, Obj]:
    found = (csr.get("status") or {}).get("conditions") or []
    return {c.get("type", ""): c for c in found if isinstance(c, dict)}


def _client_usages_error(usages: list[str]) -> str | None:
    """The kube-apiserver-client signer's check of the requested usages."""
    for usage in usages:
        if usage not in (*_CLIENT_USAGES, "client auth"):
            return f"invalid usage for client certificate: {usage}"
    if "client auth" not in usages:
        return "missing required usage for client certificate: client auth"
    return None


def _lifetime(spec: Obj) -> timedelta:
    seconds = spec.get("expirationSeconds")
    if not isinstance(seconds, int):
        return SIGNING_DURATION
    return min(max(timedelta(seconds=seconds), SHORTEST), SIGNING_DURATION)


def signing_plan(csr: Obj, *, now: datetime, host_now: datetime) -> SigningPlan | str | None:
    """What the signer does with `csr`: None (not its to sign, not approved, or done), a
    refusal (the Failed condition's message), or the certificate to issue."""
    spec = csr.get("spec") or {}
    conditions = _conditions(csr)
    if spec.get("signerName") != CLIENT_SIGNER or (csr.get("status") or {}).get("certificate"):
        return None
    if "Approved" not in conditions or "Denied" in conditions or "Failed" in conditions:
        return None
    usages = [str(u) for u in spec.get("usages") or []]
    refusal = _client_usages_error(usages)
    if refusal:
        return refusal
    lifetime = _lifetime(spec)
    start, end = min(now, host_now), max(now, host_now)
    not_after = end + lifetime - (BACKDATE if lifetime >= SHORT else timedelta(0))
    return SigningPlan(tuple(usages), start - BACKDATE, not_after)


def issue_csr(csr: Obj, certificate_pem: str) -> Decision:
    """Write the signed certificate into status.certificate (base64, as JSON carries bytes)."""
    updated = deepcopy(csr)
    status = updated.setdefault("status", {})
    status["certificate"] = base64.b64encode(certificate_pem.encode()).decode()
    return Decision([UpdateStatus(updated)])


def fail_csr(csr: Obj, message: str, now: datetime) -> Decision:
    """A Failed condition: the request will not be signed."""
    updated = deepcopy(csr)
    status = updated.setdefault("status", {})
    status["conditions"] = [
        *(status.get("conditions") or []),
        {
            "type": "Failed",
            "status": "True",
            "reason": "SignerValidationFailure",
            "message": message,
            "lastUpdateTime": fmt_time(now),
        },
    ]
    return Decision([UpdateStatus(updated)])


def cleanup_csr(csr: Obj, *, now: datetime, certificate_expires: datetime | None) -> Decision:
    """The csrcleaner: delete `csr` once it is past its keeping, else look again then."""
    if (csr.get("metadata") or {}).get("deletionTimestamp"):
        return Decision()
    if certificate_expires is not None and certificate_expires <= now:
        return Decision([delete_of(csr)])
    conditions = _conditions(csr)
    due: datetime | None = None
    issued = bool((csr.get("status") or {}).get("certificate"))
    for kind in ("Approved", "Denied", "Failed"):
        if kind == "Approved" and not issued:
            continue  # isIssuedPastDeadline: an approved request is kept until it is issued
        when = parse_time((conditions.get(kind) or {}).get("lastUpdateTime"))
        if when is not None:
            due = min(due, when + DECIDED_KEPT) if due else when + DECIDED_KEPT
    if not conditions:
        created = parse_time((csr.get("metadata") or {}).get("creationTimestamp"))
        due = created + PENDING_KEPT if created else None
    if certificate_expires is not None:
        due = min(due, certificate_expires) if due else certificate_expires
    if due is None:
        return Decision()
    if due <= now:
        return Decision([delete_of(csr)])
    return Decision(requeue_after=(due - now).total_seconds())
