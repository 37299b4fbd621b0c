"""`kubectl create job|cronjob|role|rolebinding|clusterrole|clusterrolebinding|
poddisruptionbudget` with the real kubectl (v1.37) against a kubesim process.

kubectl's typed clients POST these objects as `application/vnd.kubernetes.protobuf`; each
test checks that the body really went as protobuf (the `-v=8` request log) and that the
stored object has the fields the command set, decoded with the batch/v1, rbac/v1 and
policy/v1 tables of `kubesim.apiserver.protobuf.tables`.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import pytest

from kubesim.apiserver.protobuf.decode import CONTENT_TYPE, message_for
from kubesim.apiserver.protobuf.tables import TABLES

pytestmark = pytest.mark.kubesim
_counter = itertools.count()
IMAGE = "kubelab/inference:2.4.0"


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}-{int(time.time() * 1000) % 100000}"


@pytest.fixture
def ns(kubesim_cluster) -> str:
    name = _unique("pbc")
    kubesim_cluster.kubectl("create", "namespace", name)
    return name


def _create(kubectl, *args: str) -> str:
    """Run `kubectl create ...` with the request log on; assert the POST body was sent as
    protobuf; return kubectl's stdout."""
    proc = kubectl("-v=8", "create", *args)  # before the args: `--` may end them
    post = proc.stderr.split('verb="POST"', 1)
    assert len(post) == 2, proc.stderr
    content_type = next(
        line.split(":", 1)[1].strip()
        for line in post[1].splitlines()
        if line.strip().startswith("Content-Type:")
    )
    assert content_type == CONTENT_TYPE
    return proc.stdout.strip()


def _get(kubectl, *args: str) -> dict[str, Any]:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def test_routing_covers_the_new_kinds_and_every_referenced_message_exists() -> None:
    for api_version, kind in [
        ("batch/v1", "Job"),
        ("batch/v1", "CronJob"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("policy/v1", "PodDisruptionBudget"),
    ]:
        assert message_for(api_version, kind) is not None, kind
    assert message_for("policy/v1beta1", "PodDisruptionBudget") is None
    missing = {
        spec[3]
        for table in TABLES.values()
        for spec in table["f"].values()
        if spec[3] and spec[3] not in TABLES
    }
    assert not missing


def test_create_job_with_a_command(kubectl, ns) -> None:
    out = _create(
        kubectl, "job", "dns-check", "-n", ns, f"--image={IMAGE}", "--", "python3", "-c", "print(1)"
    )
    assert out == "job.batch/dns-check created"
    job = _get(kubectl, "job", "dns-check", "-n", ns)
    pod_spec = job["spec"]["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Never"
    [container] = pod_spec["containers"]
    assert container["name"] == "dns-check"
    assert container["image"] == IMAGE
    assert container["command"] == ["python3", "-c", "print(1)"]
    assert "args" not in container and "stdin" not in container


def test_create_job_with_args_only(kubectl, ns) -> None:
    # without `--`, nothing goes to the container's command or args
    _create(kubectl, "job", "plain", "-n", ns, f"--image={IMAGE}")
    [container] = _get(kubectl, "job", "plain", "-n", ns)["spec"]["template"]["spec"]["containers"]
    assert container["image"] == IMAGE and "command" not in container and "args" not in container


def test_create_cronjob_and_a_job_from_it(kubectl, ns) -> None:
    out = _create(
        kubectl, "cronjob", "nightly", "-n", ns, f"--image={IMAGE}", "--schedule=*/5 * * * *"
    )
    assert out == "cronjob.batch/nightly created"
    cronjob = _get(kubectl, "cronjob", "nightly", "-n", ns)
    assert cronjob["spec"]["schedule"] == "*/5 * * * *"
    template = cronjob["spec"]["jobTemplate"]
    assert template["metadata"]["name"] == "nightly"
    pod_spec = template["spec"]["template"]["spec"]
    assert pod_spec["restartPolicy"] == "OnFailure"
    assert [(c["name"], c["image"]) for c in pod_spec["containers"]] == [("nightly", IMAGE)]

    out = _create(kubectl, "job", "nightly-manual", "-n", ns, "--from=cronjob/nightly")
    assert out == "job.batch/nightly-manual created"
    job = _get(kubectl, "job", "nightly-manual", "-n", ns)
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    [owner] = job["metadata"]["ownerReferences"]
    assert owner["kind"] == "CronJob" and owner["name"] == "nightly"
    assert owner["uid"] == cronjob["metadata"]["uid"] and owner["controller"] is True
    pod_spec = job["spec"]["template"]["spec"]
    assert pod_spec["restartPolicy"] == "OnFailure"
    assert [c["image"] for c in pod_spec["containers"]] == [IMAGE]


def test_create_role_and_rolebinding(kubectl, ns) -> None:
    out = _create(kubectl, "role", "pod-reader", "-n", ns, "--verb=get,list", "--resource=pods")
    assert out == "role.rbac.authorization.k8s.io/pod-reader created"
    role = _get(kubectl, "role", "pod-reader", "-n", ns)
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]

    out = _create(
        kubectl,
        "rolebinding",
        "read-pods",
        "-n",
        ns,
        "--role=pod-reader",
        f"--serviceaccount={ns}:default",
    )
    assert out == "rolebinding.rbac.authorization.k8s.io/read-pods created"
    binding = _get(kubectl, "rolebinding", "read-pods", "-n", ns)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "pod-reader",
    }
    [subject] = binding["subjects"]
    assert (subject["kind"], subject["name"], subject["namespace"]) == (
        "ServiceAccount",
        "default",
        ns,
    )
    assert not subject.get("apiGroup")


def test_create_clusterrole_and_clusterrolebinding(kubectl) -> None:
    role, binding = _unique("node-reader-"), _unique("alice-reads-nodes-")
    out = _create(kubectl, "clusterrole", role, "--verb=get", "--resource=nodes")
    assert out == f"clusterrole.rbac.authorization.k8s.io/{role} created"
    stored = _get(kubectl, "clusterrole", role)
    assert stored["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]
    assert "namespace" not in stored["metadata"]

    out = _create(kubectl, "clusterrolebinding", binding, f"--clusterrole={role}", "--user=alice")
    assert out == f"clusterrolebinding.rbac.authorization.k8s.io/{binding} created"
    stored = _get(kubectl, "clusterrolebinding", binding)
    assert stored["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role,
    }
    assert stored["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}
    ]


def test_create_poddisruptionbudget(kubectl, ns) -> None:
    out = _create(
        kubectl, "poddisruptionbudget", "web", "-n", ns, "--selector=app=x", "--min-available=1"
    )
    assert out == "poddisruptionbudget.policy/web created"
    spec = _get(kubectl, "pdb", "web", "-n", ns)["spec"]
    assert spec["minAvailable"] == 1 and "maxUnavailable" not in spec
    assert spec["selector"] == {"matchLabels": {"app": "x"}}

    # a percentage is a string IntOrString; an explicit 0 (a pointer field) is kept
    _create(kubectl, "pdb", "half", "-n", ns, "--selector=app=x", "--min-available=50%")
    assert _get(kubectl, "pdb", "half", "-n", ns)["spec"]["minAvailable"] == "50%"
    _create(kubectl, "pdb", "none", "-n", ns, "--selector=app=x", "--max-unavailable=0")
    spec = _get(kubectl, "pdb", "none", "-n", ns)["spec"]
    assert spec["maxUnavailable"] == 0 and "minAvailable" not in spec


_VOLATILE = {"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"}


def _comparable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {
            k: _comparable(v)
            for k, v in obj.items()
            if k not in _VOLATILE and k != "namespace" and "controller-uid" not in k
        }
    if isinstance(obj, list):
        return [_comparable(v) for v in obj]
    return obj


@pytest.mark.parametrize(
    "command",
    [
        ("job", "j", f"--image={IMAGE}", "--", "python3", "-c", "print(1)"),
        ("cronjob", "cj", f"--image={IMAGE}", "--schedule=*/5 * * * *"),
        ("role", "r", "--verb=get,list", "--resource=pods,deployments.apps"),
        ("rolebinding", "rb", "--role=r", "--serviceaccount=x:default", "--group=devs"),
        ("poddisruptionbudget", "pdb", "--selector=app=x", "--max-unavailable=1"),
    ],
    ids=lambda command: command[0],
)
def test_protobuf_and_json_bodies_store_the_same_object(kubectl, command) -> None:
    """The same `kubectl create` sent as protobuf and, via --dry-run=client -o json, as
    JSON: kubesim stores the same object (ids, timestamps and namespaces aside)."""
    via_pb, via_json = _unique("pb"), _unique("js")
    kubectl("create", "namespace", via_pb)
    kubectl("create", "namespace", via_json)
    kind, name = command[:2]
    cut = command.index("--") if "--" in command else len(command)
    head, tail = command[:cut], command[cut:]
    _create(kubectl, *head, "-n", via_pb, *tail)
    body = kubectl("create", *head, "-n", via_json, "--dry-run=client", "-o", "json", *tail)
    kubectl("create", "-n", via_json, "-f", "-", input=body.stdout)
    stored_pb = _get(kubectl, kind, name, "-n", via_pb)
    stored_json = _get(kubectl, kind, name, "-n", via_json)
    assert _comparable(stored_pb) == _comparable(stored_json)
