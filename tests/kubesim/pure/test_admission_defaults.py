"""Defaults per kind as golden pairs: admissiondata/<case>.input.yaml -> <case>.output.yaml.

Each output was checked field by field against pkg/apis/*/v1/defaults.go, the registry
strategies and what `kubectl get -o yaml` shows on a real 1.37 cluster.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from kubesim.apiserver.admission import default

DATA = Path(__file__).parent / "admissiondata"
CASES = sorted(p.name.removesuffix(".input.yaml") for p in DATA.glob("*.input.yaml"))


def _gvk(obj: dict) -> tuple[str, str, str]:
    group, _, version = obj["apiVersion"].rpartition("/")
    return group, version, obj["kind"]


@pytest.mark.parametrize("case", CASES)
def test_defaults_match_golden_output(case: str) -> None:
    given = yaml.safe_load((DATA / f"{case}.input.yaml").read_text())
    want = yaml.safe_load((DATA / f"{case}.output.yaml").read_text())
    assert default(_gvk(given), given) == want


@pytest.mark.parametrize("case", CASES)
def test_defaulting_is_idempotent(case: str) -> None:
    given = yaml.safe_load((DATA / f"{case}.input.yaml").read_text())
    once = default(_gvk(given), given)
    assert default(_gvk(once), once) == once


@pytest.mark.parametrize("case", CASES)
def test_default_returns_a_new_dict_and_leaves_input_alone(case: str) -> None:
    given = yaml.safe_load((DATA / f"{case}.input.yaml").read_text())
    before = copy.deepcopy(given)
    out = default(_gvk(given), given)
    assert given == before
    assert out is not given


@pytest.mark.parametrize(
    "image, policy",
    [
        pytest.param("nginx", "Always", id="no-tag"),
        pytest.param("nginx:latest", "Always", id="latest"),
        pytest.param("nginx:1.27", "IfNotPresent", id="tag"),
        pytest.param("localhost:5000/app", "Always", id="registry-port-no-tag"),
        pytest.param("localhost:5000/app:v1", "IfNotPresent", id="registry-port-tag"),
        pytest.param("nginx@sha256:" + "a" * 64, "IfNotPresent", id="digest"),
        pytest.param("kubelab/inference:dev-1", "IfNotPresent", id="course-image"),
    ],
)
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    pod["spec"] = {"containers": [{"name": "c", "image": image}]}
    out = default(("", "v1", "Pod"), pod)
    assert out["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_pod_template_gets_no_pod_only_or_admission_fields() -> None:
    deploy = yaml.safe_load((DATA / "deployment-minimal.input.yaml").read_text())
    deploy["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}}
    spec = default(("apps", "v1", "Deployment"), deploy)["spec"]["template"]["spec"]
    for field in ("enableServiceLinks", "serviceAccountName", "tolerations", "priority"):
        assert field not in spec
    assert "requests" not in spec["containers"][0]["resources"]


def test_pod_update_is_not_admitted_again() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "resourceVersion": "12"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
    }
    spec = default(("", "v1", "Pod"), pod)["spec"]
    assert "tolerations" not in spec and "priority" not in spec


@pytest.mark.parametrize(
    "given, stored",
    [
        pytest.param("0.5", "500m", id="fraction"),
        pytest.param("1024Mi", "1Gi", id="binary-up"),
        pytest.param("1.5Gi", "1536Mi", id="binary-fraction"),
        pytest.param("0.0001", "1m", id="rounded-up-to-milli"),
        pytest.param(2, "2", id="number"),
        pytest.param("129e6", "129e6", id="exponent"),
    ],
)
def test_resource_quantities_are_stored_canonically(given: object, stored: str) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "resourceVersion": "1"}}
    pod["spec"] = {
        "containers": [{"name": "c", "image": "x:1", "resources": {"limits": {"cpu": given}}}]
    }
    out = default(("", "v1", "Pod"), pod)
    assert out["spec"]["containers"][0]["resources"]["limits"]["cpu"] == stored


def test_job_selector_waits_for_the_uid_then_selects_it() -> None:
    job = yaml.safe_load((DATA / "job-pi.input.yaml").read_text())
    del job["metadata"]["uid"]
    before_uid = default(("batch", "v1", "Job"), job)
    assert "selector" not in before_uid["spec"]
    before_uid["metadata"]["uid"] = "u-9"
    after = default(("batch", "v1", "Job"), before_uid)
    assert after["spec"]["selector"] == {
        "matchLabels": {"batch.kubernetes.io/controller-uid": "u-9"}
    }
    assert after["metadata"]["labels"]["job-name"] == "pi"


def test_new_pod_status_is_reset_to_pending_with_its_qos_class() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "x:1",
                    "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                }
            ]
        },
        "status": {"phase": "Running"},
    }
    assert default(("", "v1", "Pod"), pod)["status"] == {
        "phase": "Pending",
        "qosClass": "Guaranteed",
    }


def test_secret_string_data_is_folded_into_data_and_not_kept() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "data": {"user": "YWRtaW4=", "password": "b2xk"},
        "stringData": {"password": "s3cret"},
    }
    out = default(("", "v1", "Secret"), secret)
    assert out == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "data": {"user": "YWRtaW4=", "password": "czNjcmV0"},
        "type": "Opaque",
    }


def test_default_storage_class_is_the_newest_annotated_class() -> None:
    from kubesim.apiserver.admission import default_storage_class

    def sc(name: str, created: str, default: str | None) -> dict:
        annotations = {"storageclass.kubernetes.io/is-default-class": default} if default else {}
        return {
            "metadata": {"name": name, "creationTimestamp": created, "annotations": annotations}
        }

    assert default_storage_class([sc("standard", "2026-01-01T00:00:00Z", "true")]) == "standard"
    assert (
        default_storage_class(
            [
                sc("standard", "2026-01-01T00:00:00Z", "true"),
                sc("fast", "2026-02-01T00:00:00Z", "true"),
                sc("slow", "2026-03-01T00:00:00Z", "false"),
            ]
        )
        == "fast"
    )
    assert default_storage_class([sc("slow", "2026-03-01T00:00:00Z", None)]) is None
