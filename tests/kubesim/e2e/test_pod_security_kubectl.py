"""What a learner's kubectl prints for Pod Security Admission on kubesim: the Warning lines
of `kubectl label` and `kubectl apply`, and the 403 of a pod the enforce level refuses."""

from __future__ import annotations

import itertools
import time

import pytest

pytestmark = pytest.mark.kubesim
_counter = itertools.count()

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
"""
RESTRICTED = (
    "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, "
    "seccompProfile"
)


@pytest.fixture
def ns(kubesim_cluster) -> str:
    name = f"psa{next(_counter)}-{int(time.time() * 1000) % 100000}"
    kubesim_cluster.kubectl("create", "namespace", name)
    return name


def test_labelling_warns_then_pods_are_refused_and_deployments_warned(kubectl, ns) -> None:
    kubectl("run", "old", "--image=nginx:1.27", "-n", ns)
    out = kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted")
    assert out.stderr.splitlines() == [
        f'Warning: existing pods in namespace "{ns}" violate the new PodSecurity enforce level '
        '"restricted:latest"',
        f"Warning: old: {RESTRICTED}",
    ]
    assert out.stdout.strip() == f"namespace/{ns} labeled"

    out = kubectl("run", "new", "--image=nginx:1.27", "-n", ns, check=False)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        'Error from server (Forbidden): pods "new" is forbidden: violates PodSecurity '
        '"restricted:latest": allowPrivilegeEscalation != false (container "new" must set '
        "securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "
        '"new" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod '
        'or container "new" must set securityContext.runAsNonRoot=true), seccompProfile (pod or '
        'container "new" must set securityContext.seccompProfile.type to "RuntimeDefault" or '
        '"Localhost")'
    )

    out = kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    assert out.stderr.startswith(
        'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != '
        'false (container "app" must set securityContext.allowPrivilegeEscalation=false)'
    )
    assert out.stdout.strip() == "deployment.apps/web created"


def test_a_bad_level_is_refused_by_kubectl_label(kubectl, ns) -> None:
    out = kubectl(
        "label", "namespace", ns, "pod-security.kubernetes.io/enforce=strict", check=False
    )
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f'The Namespace "{ns}" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: '
        'Invalid value: "strict": must be one of privileged, baseline, restricted'
    )
