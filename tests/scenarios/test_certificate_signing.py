"""The docs' task "Issue a certificate for a Kubernetes API client using a
CertificateSigningRequest", step by step with openssl and kubectl: a key and a request for
CN=myuser, the CSR (`kubernetes.io/kube-apiserver-client`, one day, `client auth`), `kubectl
certificate approve`, the certificate the csrsigning controller issues, a kubeconfig user
with it, and then RBAC deciding what myuser may do. Also the refusals on the way: a
request for system:masters, one asking for server usages, a denial.

The new user goes into a copy of the scenario cluster's kubeconfig, never into the shared
one.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from scenario_kubectl import Lab

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _request(folder: Path, name: str, subject: str) -> str:
    """`openssl genrsa` and `openssl req -new` as the page runs them; the base64 line."""
    _openssl("genrsa", "-out", f"{name}.key", "3072", cwd=folder)
    _openssl(
        "req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=folder
    )
    return base64.b64encode((folder / f"{name}.csr").read_bytes()).decode()


def _csr(name: str, request: str, *usages: str) -> str:
    listed = "".join(f"\n  - {u}" for u in usages or ("client auth",))
    return f"""
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: {name}
spec:
  request: {request}
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400  # one day
  usages:{listed}
"""


def _row(lab: Lab, name: str) -> dict[str, str]:
    return lab.table("csr", name)[0]


def test_the_docs_task_issues_a_certificate_that_kubectl_can_log_in_with(
    lab: Lab, tmp_path: Path
) -> None:
    request = _request(tmp_path, "myuser", "/CN=myuser")
    lab.kubectl("apply", "-f", "-", input=_csr("myuser", request))
    row = _row(lab, "myuser")
    assert (row["SIGNERNAME"], row["REQUESTOR"], row["REQUESTEDDURATION"], row["CONDITION"]) == (
        "kubernetes.io/kube-apiserver-client",
        "kubernetes-admin",
        "24h",
        "Pending",
    )

    approved = lab.kubectl("certificate", "approve", "myuser").stdout
    assert approved.strip() == "certificatesigningrequest.certificates.k8s.io/myuser approved"
    lab.wait_for(
        lambda: _row(lab, "myuser")["CONDITION"] == "Approved,Issued",
        timeout=lab.wall(30),
        what="the certificate issued",
    )
    csr = lab.get_json("csr", "myuser")
    condition = csr["status"]["conditions"][0]
    assert (condition["type"], condition["reason"], condition["message"]) == (
        "Approved",
        "KubectlApprove",
        "This CSR was approved by kubectl certificate approve.",
    )
    (tmp_path / "myuser.crt").write_bytes(base64.b64decode(csr["status"]["certificate"]))
    subject = subprocess.run(
        ["openssl", "x509", "-in", "myuser.crt", "-noout", "-subject", "-ext", "extendedKeyUsage"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CN = myuser" in subject and "TLS Web Client Authentication" in subject

    config = tmp_path / "kubeconfig"
    shutil.copy(lab.cluster.kubeconfig, config)

    def as_myuser(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [lab.cluster.kubectl_binary, "--kubeconfig", str(config), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=lab.cluster.env,
            check=check,
            timeout=60,
        )

    cluster = as_myuser("config", "view", "-o", "jsonpath={.clusters[0].name}").stdout
    as_myuser(
        "config", "set-credentials", "myuser", "--client-key=myuser.key",
        "--client-certificate=myuser.crt", "--embed-certs=true",
    )  # fmt: skip
    as_myuser("config", "set-context", "myuser", f"--cluster={cluster}", "--user=myuser")
    whoami = as_myuser("--context", "myuser", "auth", "whoami").stdout.splitlines()
    assert whoami[1].split() == ["Username", "myuser"]
    assert whoami[2].split() == ["Groups", "[system:authenticated]"]

    denied = as_myuser("--context", "myuser", "-n", lab.namespace, "get", "pods", check=False)
    assert denied.returncode == 1
    assert denied.stderr.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "myuser" cannot list resource '
        f'"pods" in API group "" in the namespace "{lab.namespace}"'
    )
    lab.kubectl(
        "create", "role", "developer", "--verb=create", "--verb=get", "--verb=list",
        "--verb=update", "--verb=delete", "--resource=pods",
    )  # fmt: skip
    lab.kubectl(
        "create", "rolebinding", "developer-binding-myuser", "--role=developer", "--user=myuser"
    )
    allowed = as_myuser("--context", "myuser", "-n", lab.namespace, "get", "pods", check=False)
    assert allowed.returncode == 0, allowed.stderr
    lab.kubectl("delete", "csr", "myuser")
    lab.kubectl("delete", "rolebinding", "developer-binding-myuser")
    lab.kubectl("delete", "role", "developer")


def test_a_request_for_system_masters_is_refused(lab: Lab, tmp_path: Path) -> None:
    request = _request(tmp_path, "root", "/CN=root/O=system:masters")
    refused = lab.kubectl("apply", "-f", "-", input=_csr("root", request), check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        'certificatesigningrequests.certificates.k8s.io "root" is forbidden: use of '
        "kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed"
    )


def test_server_usages_fail_and_a_denied_request_is_never_signed(lab: Lab, tmp_path: Path) -> None:
    request = _request(tmp_path, "web", "/CN=web")
    lab.kubectl("apply", "-f", "-", input=_csr("web", request, "server auth"))
    lab.kubectl("certificate", "approve", "web")
    lab.wait_for(
        lambda: _row(lab, "web")["CONDITION"] == "Approved,Failed",
        timeout=lab.wall(30),
        what="the signer's Failed condition",
    )
    failed = lab.get_json("csr", "web")["status"]["conditions"][-1]
    assert (failed["type"], failed["reason"], failed["message"]) == (
        "Failed",
        "SignerValidationFailure",
        "invalid usage for client certificate: server auth",
    )
    assert "certificate" not in lab.get_json("csr", "web")["status"]

    lab.kubectl("apply", "-f", "-", input=_csr("nope", request))
    assert "denied" in lab.kubectl("certificate", "deny", "nope").stdout
    assert _row(lab, "nope")["CONDITION"] == "Denied"
    again = lab.kubectl("certificate", "approve", "nope", check=False)
    assert again.returncode == 1
    assert 'certificate signing request "nope" is already Denied' in again.stderr
    bad = lab.kubectl(
        "apply", "-f", "-", input=_csr("short", request).replace("86400", "300"), check=False
    )
    assert "spec.expirationSeconds: Invalid value: 300: may not specify a duration less than " in (
        bad.stderr
    )
    lab.kubectl("delete", "csr", "web", "nope")
