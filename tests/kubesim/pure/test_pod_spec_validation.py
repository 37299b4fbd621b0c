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


# --- ValidatePodSpec audit: the fields the course and the docs' examples use -------------


def _served(spec_changes: dict[str, Any], *, kind: str = "Pod") -> list[str]:
    """What the API answers for a pod (or a Deployment's template) with these spec fields,
    defaulted first as the server does."""
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    spec.update(spec_changes)
    if kind == "Pod":
        gvk: tuple[str, str, str] = ("", "v1", "Pod")
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": spec,
        }
    else:
        gvk = ("apps", "v1", "Deployment")
        obj = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec},
            },
        }
    problems = _admission.validate(
        gvk, _admission.default(gvk, obj), old=None, field_validation="Strict"
    )
    assert problems.decode_error is None, problems.decode_error
    return [f"{e.field}: {e.message}" for e in problems.errors]


def _app(**fields: Any) -> dict[str, Any]:
    return {"name": "app", "image": "nginx:1.27", **fields}


_PROBE = {"httpGet": {"path": "/", "port": 80}}

AUDIT = [
    # env and envFrom (ValidateEnv, validateEnvVarValueFrom, ValidateEnvFrom)
    (
        "env-name-with-equals",
        {"containers": [_app(env=[{"name": "A=B", "value": "1"}])]},
        'spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable '
        "name must consist only of printable ASCII characters other than '='",
    ),
    (
        "env-value-and-value-from",
        {
            "containers": [
                _app(
                    env=[
                        {
                            "name": "MODE",
                            "value": "x",
                            "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}},
                        }
                    ]
                )
            ]
        },
        'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when '
        "`value` is not empty",
    ),
    (
        "env-two-sources",
        {
            "containers": [
                _app(
                    env=[
                        {
                            "name": "MODE",
                            "valueFrom": {
                                "configMapKeyRef": {"name": "cfg", "key": "mode"},
                                "secretKeyRef": {"name": "s", "key": "mode"},
                            },
                        }
                    ]
                )
            ]
        },
        'spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one '
        "field specified at a time",
    ),
    (
        "env-key-ref-without-key",
        {"containers": [_app(env=[{"name": "M", "valueFrom": {"secretKeyRef": {"name": "s"}}}])]},
        "spec.containers[0].env[0].valueFrom.secretKeyRef.key: Required value",
    ),
    (
        "env-field-ref-typo",
        {
            "containers": [
                _app(env=[{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodename"}}}])
            ]
        },
        "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "
        '"spec.nodename": error converting fieldPath: field label not supported: spec.nodename',
    ),
    (
        "env-from-without-source",
        {"containers": [_app(envFrom=[{"prefix": "APP_"}])]},
        'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` '
        "or `secretRef`",
    ),
    (
        "env-from-both-sources",
        {
            "containers": [
                _app(envFrom=[{"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}])
            ]
        },
        'spec.containers[0].envFrom: Invalid value: "": may not have more than one field '
        "specified at a time",
    ),
    # volumes and mounts (validateVolumeSource, ValidateVolumeMounts)
    (
        "volume-with-two-sources",
        {"volumes": [{"name": "data", "emptyDir": {}, "hostPath": {"path": "/data"}}]},
        "spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type",
    ),
    (
        "configmap-volume-without-name",
        {"volumes": [{"name": "cfg", "configMap": {}}]},
        "spec.volumes[0].configMap.name: Required value",
    ),
    (
        "secret-volume-without-name",
        {"volumes": [{"name": "s", "secret": {}}]},
        "spec.volumes[0].secret.secretName: Required value",
    ),
    (
        "claim-without-name",
        {"volumes": [{"name": "d", "persistentVolumeClaim": {}}]},
        "spec.volumes[0].persistentVolumeClaim.claimName: Required value",
    ),
    (
        "duplicate-volume-name",
        {"volumes": [{"name": "d", "emptyDir": {}}, {"name": "d", "emptyDir": {}}]},
        'spec.volumes[1].name: Duplicate value: "d"',
    ),
    (
        "mount-of-undeclared-volume",
        {"containers": [_app(volumeMounts=[{"name": "nope", "mountPath": "/x"}])]},
        'spec.containers[0].volumeMounts[0].name: Not found: "nope"',
    ),
    (
        "mount-path-twice",
        {
            "volumes": [{"name": "a", "emptyDir": {}}, {"name": "b", "emptyDir": {}}],
            "containers": [
                _app(
                    volumeMounts=[
                        {"name": "a", "mountPath": "/data"},
                        {"name": "b", "mountPath": "/data"},
                    ]
                )
            ],
        },
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
    ),
    (
        "sub-path-escapes",
        {
            "volumes": [{"name": "a", "emptyDir": {}}],
            "containers": [
                _app(volumeMounts=[{"name": "a", "mountPath": "/d", "subPath": "../etc"}])
            ],
        },
        "spec.containers[0].volumeMounts.subPath: Invalid value: \"../etc\": must not contain '..'",
    ),
    # container names (validateContainers, validateInitContainers)
    (
        "container-name-not-a-label",
        {"containers": [_app(name="Model_Server")]},
        'spec.containers[0].name: Invalid value: "Model_Server": a lowercase RFC 1123 label',
    ),
    (
        "duplicate-container-name",
        {"containers": [_app(), _app()]},
        'spec.containers[1].name: Duplicate value: "app"',
    ),
    (
        "init-container-named-like-a-container",
        {"initContainers": [_app(command=["true"])]},
        'spec.initContainers[0].name: Duplicate value: "app"',
    ),
    # init containers
    (
        "probe-on-init-container",
        {"initContainers": [{"name": "init", "image": "busybox", "readinessProbe": _PROBE}]},
        "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers "
        "without restartPolicy=Always",
    ),
    (
        "lifecycle-on-init-container",
        {
            "initContainers": [
                {
                    "name": "init",
                    "image": "busybox",
                    "lifecycle": {"postStart": {"exec": {"command": ["true"]}}},
                }
            ]
        },
        "spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers "
        "without restartPolicy=Always",
    ),
    # ports and probes
    (
        "container-port-zero",
        {"containers": [_app(ports=[{"containerPort": 0}])]},
        "spec.containers[0].ports[0].containerPort: Required value",
    ),
    (
        "port-name-too-long",
        {"containers": [_app(ports=[{"name": "metrics-endpoint", "containerPort": 9090}])]},
        'spec.containers[0].ports[0].name: Invalid value: "metrics-endpoint": must be no more '
        "than 15 characters",
    ),
    (
        "duplicate-host-port",
        {
            "containers": [
                _app(ports=[{"containerPort": 80, "hostPort": 8080}]),
                _app(name="side", ports=[{"containerPort": 81, "hostPort": 8080}]),
            ]
        },
        'spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"',
    ),
    (
        "host-network-port-mismatch",
        {
            "hostNetwork": True,
            "containers": [_app(ports=[{"containerPort": 80, "hostPort": 8080}])],
        },
        "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` "
        "when `hostNetwork` is true",
    ),
    (
        "probe-negative-period",
        {"containers": [_app(livenessProbe={**_PROBE, "periodSeconds": -1})]},
        "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater "
        "than or equal to 0",
    ),
    (
        "readiness-probe-port-name-invalid",
        {"containers": [_app(readinessProbe={"tcpSocket": {"port": "HTTP"}})]},
        'spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: "HTTP": must contain '
        "only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
    ),
    # resources
    (
        "cpu-request-above-limit",
        {"containers": [_app(resources={"requests": {"cpu": "2"}, "limits": {"cpu": "500m"}})]},
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or '
        "equal to cpu limit of 500m",
    ),
    (
        "unknown-resource-name",
        {"containers": [_app(resources={"limits": {"gpu": "1"}})]},
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard '
        "resource for containers",
    ),
    (
        "extended-resource-request-below-limit",
        {
            "containers": [
                _app(
                    resources={
                        "requests": {"example.com/dongle": "1"},
                        "limits": {"example.com/dongle": "2"},
                    }
                )
            ]
        },
        'spec.containers[0].resources.requests: Invalid value: "1": must be equal to '
        "example.com/dongle limit of 2",
    ),
    (
        "extended-resource-without-limit",
        {"containers": [_app(resources={"requests": {"example.com/dongle": "3"}})]},
        "spec.containers[0].resources.limits: Required value: Limit must be set for non "
        "overcommitable resources",
    ),
    # restartPolicy and securityContext
    (
        "restart-policy-typo",
        {"restartPolicy": "Sometimes"},
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"OnFailure", "Never"',
    ),
    (
        "negative-run-as-user",
        {"containers": [_app(securityContext={"runAsUser": -1})]},
        "spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 "
        "and 2147483647, inclusive",
    ),
    (
        "pod-fs-group-out-of-range",
        {"securityContext": {"fsGroup": 2**31}},
        "spec.securityContext.fsGroup: Invalid value: 2147483648: must be between 0 and "
        "2147483647, inclusive",
    ),
    (
        "privileged-without-escalation",
        {
            "containers": [
                _app(securityContext={"privileged": True, "allowPrivilegeEscalation": False})
            ]
        },
        "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"), [pytest.param(c[1], c[2], id=c[0]) for c in AUDIT]
)
def test_pod_spec_is_refused_with_upstream_path_and_message(
    changes: dict[str, Any], expected: str
) -> None:
    errors = _served(changes)
    assert any(e.startswith(expected) or expected in e for e in errors), errors


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"containers": [_app(env=[{"name": "A=B", "value": "1"}])]},
            'spec.template.spec.containers[0].env[0].name: Invalid value: "A=B"',
            id="env-name",
        ),
        pytest.param(
            {"initContainers": [{"name": "init", "image": "busybox", "livenessProbe": _PROBE}]},
            "spec.template.spec.initContainers[0].livenessProbe: Forbidden: may not be set for "
            "init containers without restartPolicy=Always",
            id="init-probe",
        ),
    ],
)
def test_a_template_reports_the_same_rules_under_its_own_path(
    changes: dict[str, Any], expected: str
) -> None:
    errors = _served(changes, kind="Deployment")
    assert any(e.startswith(expected) for e in errors), errors


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(
            {"hostNetwork": True, "containers": [_app(ports=[{"containerPort": 80}])]},
            id="host-network-port-defaulted",
        ),
        pytest.param(
            {
                "initContainers": [
                    {
                        "name": "proxy",
                        "image": "nginx",
                        "restartPolicy": "Always",
                        "readinessProbe": _PROBE,
                    }
                ]
            },
            id="sidecar-may-be-probed",
        ),
        pytest.param(
            {
                "containers": [
                    _app(
                        env=[
                            {"name": "my.env-name", "value": "x"},
                            {
                                "name": "POD",
                                "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}},
                            },
                        ]
                    )
                ]
            },
            id="relaxed-env-names-and-label-subscript",
        ),
        pytest.param(
            {"containers": [_app(envFrom=[{"prefix": "CFG_", "configMapRef": {"name": "cfg"}}])]},
            id="env-from-config-map",
        ),
        pytest.param({"volumes": [{"name": "scratch"}]}, id="volume-without-source-is-empty-dir"),
        pytest.param(
            {"containers": [_app(resources={"limits": {"example.com/dongle": "3"}})]},
            id="extended-resource-limit-alone-is-defaulted-as-the-request",
        ),
        pytest.param(
            {
                "initContainers": [
                    _app(name="one", ports=[{"containerPort": 80, "hostPort": 8080}]),
                    _app(name="two", ports=[{"containerPort": 80, "hostPort": 8080}]),
                ]
            },
            id="init-containers-may-reuse-a-host-port",
        ),
    ],
)
def test_valid_specs_from_the_docs_pass(changes: dict[str, Any]) -> None:
    assert _served(changes) == []


def test_errors_come_in_validate_pod_spec_order() -> None:
    """Containers before init containers; in each, the common checks, then the name's
    uniqueness, then probes: the order kubectl lists the causes in."""
    errors = _served(
        {
            "initContainers": [{"name": "app", "image": "busybox", "readinessProbe": _PROBE}],
            "containers": [_app(env=[{"name": "A=B", "value": "1"}])],
        }
    )
    assert [e.split(":")[0] for e in errors] == [
        "spec.containers[0].env[0].name",
        "spec.initContainers[0].name",
        "spec.initContainers[0].readinessProbe",
    ]
