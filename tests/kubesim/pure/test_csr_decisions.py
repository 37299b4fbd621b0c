"""CertificateSigningRequests as pure functions: the registry strategy and validation
(`apiserver/csr.py`), the csrsigning and csrcleaner decisions (`controllers/_csrsigning.py`)
and the `kubectl get csr` row."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from kubesim.apiserver.csr import (
    prepare_create,
    prepare_update,
    subject_restriction,
    validate_csr,
)
from kubesim.apiserver.printers.resources import certificate_signing_request
from kubesim.apiserver.requestinfo import UserInfo
from kubesim.controllers import UpdateStatus, cleanup_csr, fail_csr, signing_plan
from kubesim.controllers._actions import Delete

Obj = dict[str, Any]
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _request_pem(cn: str = "myuser", org: str | None = None) -> bytes:
    names = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    key = ec.generate_private_key(ec.SECP256R1())
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(names))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(Encoding.PEM)


def _csr(
    *conditions: Obj,
    usages: tuple[str, ...] = ("client auth",),
    seconds: int | None = 86400,
    pem: bytes | None = None,
) -> Obj:
    spec: Obj = {
        "request": base64.b64encode(pem or _request_pem()).decode(),
        "signerName": "kubernetes.io/kube-apiserver-client",
        "usages": list(usages),
    }
    if seconds is not None:
        spec["expirationSeconds"] = seconds
    return {
        "metadata": {"name": "myuser", "creationTimestamp": "2026-12-06T11:00:00Z"},
        "spec": spec,
        "status": {"conditions": list(conditions)} if conditions else {},
    }


def _approved(at: str = "2026-12-06T11:30:00Z") -> Obj:
    return {"type": "Approved", "status": "True", "reason": "KubectlApprove", "lastUpdateTime": at}


def _messages(csr: Obj, old: Obj | None = None) -> list[str]:
    return [f"{e.field}: {e.message}" for e in validate_csr(csr, old)]


# --- strategy -------------------------------------------------------------------------------


def test_create_records_the_requestor_and_clears_the_status() -> None:
    asked = _csr(_approved())
    asked["spec"]["username"] = "someone-else"
    user = UserInfo("kubernetes-admin", groups=("kubeadm:cluster-admins", "system:authenticated"))
    made = prepare_create(asked, user)
    assert made["spec"]["username"] == "kubernetes-admin"
    assert made["spec"]["groups"] == ["kubeadm:cluster-admins", "system:authenticated"]
    assert made["status"] == {}


def test_approval_takes_only_conditions_and_status_keeps_the_decision() -> None:
    old = _csr()
    sent = _csr(_approved(), seconds=600)
    sent["status"]["certificate"] = "Zm9v"
    approved = prepare_update(old, old, sent, "approval", "2026-12-06T12:00:00Z")
    assert approved["spec"] == old["spec"]  # the spec is the stored one
    assert "certificate" not in approved["status"]
    condition = approved["status"]["conditions"][0]
    assert condition["lastTransitionTime"] == "2026-12-06T12:00:00Z"
    # a status write cannot take the approval away or forge one
    forged = _csr({"type": "Denied", "status": "True"})
    kept = prepare_update(approved, approved, forged, "status", "2026-12-06T12:01:00Z")
    assert [c["type"] for c in kept["status"]["conditions"]] == ["Approved"]
    # an update of the object itself changes neither spec nor status
    same = prepare_update(approved, approved, _csr(), "", "2026-12-06T12:01:00Z")
    assert same["status"] == approved["status"]


# --- validation -----------------------------------------------------------------------------


def test_a_request_that_is_not_a_pem_certificate_request_is_invalid() -> None:
    messages = _messages(_csr(pem=b"hello"))
    assert messages == [
        "spec.request: Invalid value: []byte{0x68, 0x65, 0x6c, 0x6c, 0x6f}: PEM block type "
        "must be CERTIFICATE REQUEST"
    ]


def test_usages_signer_and_duration_are_checked() -> None:
    csr = _csr(usages=("client auth", "client auth", "flying"), seconds=300)
    csr["spec"]["signerName"] = "my-signer"
    messages = _messages(csr)
    assert 'spec.usages[1]: Duplicate value: "client auth"' in messages
    assert any(
        m.startswith('spec.usages[2]: Unsupported value: "flying": supported values: "any"')
        for m in messages
    )
    assert (
        'spec.signerName: Invalid value: "my-signer": must be a fully qualified domain and path '
        "of the form 'example.com/signer-name'"
    ) in messages
    assert (
        "spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 600 "
        "seconds (10 minutes)"
    ) in messages
    assert _messages(_csr(usages=())) == ["spec.usages: Required value"]


def test_conditions_are_well_formed_and_never_removed() -> None:
    both = _csr(_approved(), {"type": "Denied", "status": "True"})
    assert _messages(both, old=_csr()) == [
        'status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions '
        "are mutually exclusive"
    ]
    assert _messages(_csr(), old=_csr(_approved())) == [
        'status.conditions: Forbidden: updates may not remove a condition of type "Approved"'
    ]
    issued = _csr(_approved())
    issued["status"]["certificate"] = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n").decode()
    replaced = _csr(_approved())
    replaced["status"]["certificate"] = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nx").decode()
    assert _messages(replaced, old=issued) == [
        "status.certificate: Forbidden: updates may not modify existing certificate content"
    ]


def test_system_masters_may_not_be_asked_of_the_client_signer() -> None:
    assert subject_restriction(_csr(pem=_request_pem("root", "system:masters"))) == (
        "use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed"
    )
    assert subject_restriction(_csr(pem=_request_pem("dev", "developers"))) is None


# --- csrsigning -----------------------------------------------------------------------------


def test_only_an_approved_undecided_unsigned_client_request_is_signed() -> None:
    assert signing_plan(_csr(), now=NOW, host_now=NOW) is None  # pending
    denied = _csr(_approved(), {"type": "Denied", "status": "True"})
    assert signing_plan(denied, now=NOW, host_now=NOW) is None
    issued = _csr(_approved())
    issued["status"]["certificate"] = "Zm9v"
    assert signing_plan(issued, now=NOW, host_now=NOW) is None
    other = _csr(_approved())
    other["spec"]["signerName"] = "example.com/my-signer"
    assert signing_plan(other, now=NOW, host_now=NOW) is None


@pytest.mark.parametrize(
    ("usages", "why"),
    [
        (("server auth",), "invalid usage for client certificate: server auth"),
        (("digital signature",), "missing required usage for client certificate: client auth"),
    ],
)
def test_a_client_signer_refuses_other_usages(usages: tuple[str, ...], why: str) -> None:
    assert signing_plan(_csr(_approved(), usages=usages), now=NOW, host_now=NOW) == why
    failed = fail_csr(_csr(_approved()), why, NOW).actions[0]
    assert isinstance(failed, UpdateStatus)
    assert failed.obj["status"]["conditions"][-1] == {
        "type": "Failed",
        "status": "True",
        "reason": "SignerValidationFailure",
        "message": why,
        "lastUpdateTime": "2026-12-06T12:00:00Z",
    }


@pytest.mark.parametrize(
    ("seconds", "lasts"),
    [
        (86400, timedelta(days=1) - timedelta(minutes=5)),  # 8 h or more: backdate off the end
        (1200, timedelta(minutes=20)),  # shorter: the whole lifetime after now
        (None, timedelta(days=365) - timedelta(minutes=5)),  # --cluster-signing-duration
        (10**9, timedelta(days=365) - timedelta(minutes=5)),
    ],
)
def test_the_lifetime_is_asked_within_the_signers_bounds(
    seconds: int | None, lasts: timedelta
) -> None:
    plan = signing_plan(_csr(_approved(), seconds=seconds), now=NOW, host_now=NOW)
    assert not isinstance(plan, str) and plan is not None
    assert plan.not_before == NOW - timedelta(minutes=5)
    assert plan.not_after - NOW == lasts


def test_the_window_covers_the_host_clock_when_the_cluster_runs_ahead() -> None:
    ahead = NOW + timedelta(hours=3)
    plan = signing_plan(_csr(_approved()), now=ahead, host_now=NOW)
    assert not isinstance(plan, str) and plan is not None
    assert plan.not_before <= NOW - timedelta(minutes=5) and plan.not_after > ahead


# --- csrcleaner -----------------------------------------------------------------------------


def test_the_cleaner_keeps_a_decided_request_an_hour_and_a_pending_one_a_day() -> None:
    unissued = _csr(_approved("2026-12-06T11:30:00Z"))
    assert cleanup_csr(unissued, now=NOW, certificate_expires=None).requeue_after is None
    approved = _csr(_approved("2026-12-06T11:30:00Z"))
    approved["status"]["certificate"] = "Zm9v"
    assert cleanup_csr(approved, now=NOW, certificate_expires=None).requeue_after == 1800
    later = NOW + timedelta(minutes=31)
    assert isinstance(cleanup_csr(approved, now=later, certificate_expires=None).actions[0], Delete)
    pending = cleanup_csr(_csr(), now=NOW, certificate_expires=None)
    assert pending.requeue_after == timedelta(hours=23).total_seconds()
    expired = cleanup_csr(_csr(), now=NOW, certificate_expires=NOW - timedelta(seconds=1))
    assert isinstance(expired.actions[0], Delete)


# --- kubectl get csr ------------------------------------------------------------------------


def test_the_condition_column() -> None:
    issued = _csr(_approved())
    issued["status"]["certificate"] = "Zm9v"
    failed = _csr(_approved(), {"type": "Failed", "status": "True"})
    rows = [certificate_signing_request(c, NOW) for c in (_csr(), issued, failed)]
    assert [r[5] for r in rows] == ["Pending", "Approved,Issued", "Approved,Failed"]
    assert rows[0][1:5] == ["60m", "kubernetes.io/kube-apiserver-client", "", "24h"]
