"""The cluster CA as kube-controller-manager's csrsigning controller holds it
(`--cluster-signing-cert-file`/`--cluster-signing-key-file`, which kind points at the
cluster CA): it turns an approved CertificateSigningRequest into a certificate that the API
server then accepts as a client certificate.

What goes into the certificate follows pkg/controller/certificates/authority
(PermissiveSigningPolicy): the CSR's subject and subject alternative names, its public key,
the key usages and extended key usages it asked for, not a CA, signed by the cluster CA.
The validity window is the caller's (the decision in `controllers/_csrsigning.py`).
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

_KEY_USAGES = {
    "digital signature": "digital_signature",
    "content commitment": "content_commitment",
    "key encipherment": "key_encipherment",
    "key agreement": "key_agreement",
    "data encipherment": "data_encipherment",
    "cert sign": "key_cert_sign",
    "crl sign": "crl_sign",
    "encipher only": "encipher_only",
    "decipher only": "decipher_only",
}
_EXTENDED = {
    "any": x509.ObjectIdentifier("2.5.29.37.0"),
    "server auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp signing": ExtendedKeyUsageOID.OCSP_SIGNING,
}


class SigningError(ValueError):
    """The request cannot be signed; str() is why (it goes into a Failed condition)."""


def parse_request(pem: bytes) -> x509.CertificateSigningRequest:
    """The PEM `CERTIFICATE REQUEST` of a CSR's spec.request, its signature checked."""
    try:
        request = x509.load_pem_x509_csr(pem)
    except ValueError as exc:
        raise SigningError(f"unable to parse csr: {exc}") from exc
    try:
        valid = request.is_signature_valid
    except (UnsupportedAlgorithm, InvalidSignature):
        valid = False
    if not valid:
        raise SigningError("x509: ECDSA verification failure")
    return request


class ClusterSigner:
    """Signs with the CA in the kubesim state folder (created by `certs.ensure_tls`)."""

    def __init__(self, ca_cert: Path, ca_key: Path) -> None:
        self.ca = x509.load_pem_x509_certificate(ca_cert.read_bytes())
        key = serialization.load_pem_private_key(ca_key.read_bytes(), password=None)
        self.key = key

    def sign(
        self,
        request_pem: bytes,
        *,
        usages: list[str],
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> str:
        request = parse_request(request_pem)
        builder = (
            x509.CertificateBuilder()
            .subject_name(request.subject)
            .issuer_name(self.ca.subject)
            .public_key(request.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(min(not_after, self.ca.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        )
        flags = {attr: False for attr in _KEY_USAGES.values()}
        for usage in usages:
            if usage in _KEY_USAGES:
                flags[_KEY_USAGES[usage]] = True
        if any(flags.values()):
            builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
        extended = [_EXTENDED[u] for u in usages if u in _EXTENDED]
        if extended:
            builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
        try:
            names = request.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            names = None
        if names is not None:
            builder = builder.add_extension(names.value, critical=False)
        cert = builder.sign(self.key, hashes.SHA256())  # type: ignore[arg-type]
        return cert.public_bytes(serialization.Encoding.PEM).decode()


def certificate_not_after(certificate_b64: str) -> dt.datetime | None:
    """When a CSR's issued certificate (status.certificate, base64 PEM) expires; None when
    it cannot be read."""
    try:
        pem = base64.b64decode(certificate_b64)
        return x509.load_pem_x509_certificate(pem).not_valid_after_utc
    except (ValueError, TypeError):
        return None
