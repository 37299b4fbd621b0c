"""Pod spec validation as ValidatePodSpec (core/validation) words it: tolerations, and the
DNS names a pod is published under."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.apiserver import admission as _admission


def _pod(*tolerations: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], "tolerations": list(tolerations)},
    }


def _errors(pod: dict[str, Any]) -> list[str]:
    problems = _admission.validate(("", "v1", "Pod"), pod, old=None, field_validation="Strict")
    return [f"{e.field}: {e.message}" for e in problems.errors]


@pytest.mark.parametrize(
    ("toleration", "expected"),
    [
        pytest.param(
            {
                "key": "k",
                "operator": "Equal",
                "value": "v",
                "effect": "NoSchedule",
                "tolerationSeconds": 30,
            },
            'spec.tolerations[0].effect: Invalid value: "NoSchedule": effect must be '
            "'NoExecute' when `tolerationSeconds` is set",
            id="seconds-without-noexecute",
        ),
        pytest.param(
            {"operator": "Equal", "value": "v"},
            'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when '
            '`key` is empty, which means "match all values and all keys"',
            id="empty-key-needs-exists",
        ),
        pytest.param(
            {"key": "k", "operator": "Above"},
            'spec.tolerations[0].operator: Unsupported value: "Above": supported values: '
            '"Equal", "Exists"',
            id="unknown-operator",
        ),
        pytest.param(
            {"key": "k", "operator": "Exists", "effect": "NoRun"},
            'spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: '
            '"NoSchedule", "PreferNoSchedule", "NoExecute"',
            id="unknown-effect",
        ),
        pytest.param(
            {"key": "k", "operator": "Exists", "value": "v"},
            "value must be empty when `operator` is 'Exists'",
            id="exists-with-value",
        ),
        pytest.param(
            {"key": "bad key!", "operator": "Exists"},
            'spec.tolerations[0].key: Invalid value: "bad key!"',
            id="bad-key",
        ),
    ],
)
def test_invalid_tolerations_are_refused_with_the_upstream_text(
    toleration: dict[str, Any], expected: str
) -> None:
    errors = _errors(_pod(toleration))
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize(
    "toleration",
    [
        pytest.param({"operator": "Exists"}, id="match-everything"),
        pytest.param(
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            id="default-not-ready",
        ),
        pytest.param(
            {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
            id="control-plane-no-operator",
        ),
        pytest.param({"key": "gpu", "operator": "Equal", "value": "true"}, id="equal"),
    ],
)
def test_valid_tolerations_pass(toleration: dict[str, Any]) -> None:
    assert _errors(_pod(toleration)) == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        pytest.param(
            "hostname",
            "Web_0",
            'spec.hostname: Invalid value: "Web_0": a lowercase RFC 1123 label',
            id="hostname",
        ),
        pytest.param(
            "subdomain",
            "my.svc",
            'spec.subdomain: Invalid value: "my.svc": must not contain dots',
            id="subdomain-is-a-label",
        ),
        pytest.param(
            "nodeName",
            "Node_1",
            'spec.nodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain',
            id="node-name",
        ),
    ],
)
def test_pod_dns_names_are_validated_as_upstream(key: str, value: str, expected: str) -> None:
    pod = _pod()
    pod["spec"][key] = value
    errors = _errors(pod)
    assert any(e.startswith(expected) for e in errors), errors
