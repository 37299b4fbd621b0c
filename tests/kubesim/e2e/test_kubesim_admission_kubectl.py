"""What a learner's kubectl shows for admission on kubesim: a ResourceQuota denial, the
LimitRange defaults, a Job's generated selector. Each test works in its own namespace of
the session's API-only kubesim."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.kubesim
REPO = Path(__file__).resolve().parents[3]
_counter = itertools.count()

QUOTA = """\
apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute-quota
spec:
  hard:
    requests.memory: 2Gi
"""


def pod_yaml(name: str, memory: str) -> str:
    return f"""\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: app
    image: nginx:1.27
    resources:
      requests: {{memory: {memory}}}
      limits: {{memory: {memory}}}
"""


@pytest.fixture
def ns(kubesim_cluster) -> str:
    name = f"adm{next(_counter)}-{int(time.time() * 1000) % 100000}"
    kubesim_cluster.kubectl("create", "namespace", name)
    return name


def test_a_quota_denial_reads_as_on_a_real_cluster(kubectl, ns) -> None:
    kubectl("apply", "-n", ns, "-f", "-", input=QUOTA)
    kubectl("apply", "-n", ns, "-f", "-", input=pod_yaml("one", "1Gi"))
    out = kubectl("apply", "-n", ns, "-f", "-", input=pod_yaml("two", "2Gi"), check=False)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        'Error from server (Forbidden): error when creating "STDIN": pods "two" is forbidden: '
        "exceeded quota: compute-quota, requested: requests.memory=2Gi, used: "
        "requests.memory=1Gi, limited: requests.memory=2Gi"
    )
    described = kubectl("describe", "quota", "compute-quota", "-n", ns).stdout
    assert "requests.memory  1Gi   2Gi" in described


def test_limit_range_defaults_show_in_the_created_pod(kubectl, ns) -> None:
    kubectl(
        "apply",
        "-n",
        ns,
        "-f",
        "-",
        input="""\
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
spec:
  limits:
  - type: Container
    default: {memory: 256Mi}
    defaultRequest: {memory: 128Mi}
""",
    )
    kubectl("run", "bare", "--image=nginx:1.27", "-n", ns)
    made = json.loads(kubectl("get", "pod", "bare", "-n", ns, "-o", "json").stdout)
    assert made["spec"]["containers"][0]["resources"] == {
        "limits": {"memory": "256Mi"},
        "requests": {"memory": "128Mi"},
    }


@pytest.mark.parametrize("verb", ["create", "apply"])
def test_the_loadgen_job_gets_its_uid_selector_and_template_labels(kubectl, ns, verb) -> None:
    manifest = str(REPO / "manifests/inference/loadgen-job.yaml")
    kubectl(verb, "-n", ns, "-f", manifest)
    job = json.loads(kubectl("get", "job", "inference-loadgen", "-n", ns, "-o", "json").stdout)
    uid = job["metadata"]["uid"]
    assert job["spec"]["selector"]["matchLabels"] == {"batch.kubernetes.io/controller-uid": uid}
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert {k: labels[k] for k in sorted(labels)} == {
        "app": "inference-loadgen",
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "inference-loadgen",
        "controller-uid": uid,
        "job-name": "inference-loadgen",
    }
