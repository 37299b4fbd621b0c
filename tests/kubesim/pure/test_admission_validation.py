"""Validation outcomes with the exact texts and statuses kube-apiserver 1.37 gives."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from kubesim.apiserver.admission import apply_patch_error, default, status_message, validate
from kubesim.apiserver.validation.errors import status_body

DEPLOY = ("apps", "v1", "Deployment")
POD = ("", "v1", "Pod")
SVC = ("", "v1", "Service")
JOB = ("batch", "v1", "Job")
HPA = ("autoscaling", "v2", "HorizontalPodAutoscaler")
PDB = ("policy", "v1", "PodDisruptionBudget")
NS = ("", "v1", "Namespace")
CM = ("", "v1", "ConfigMap")
SECRET = ("", "v1", "Secret")
STATEFULSET = ("apps", "v1", "StatefulSet")


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
    }


def service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }


def job() -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "uid": "u-1"},
        "spec": {
            "template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}
            }
        },
    }


def hpa() -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 3,
        },
    }


def pdb() -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "zk-pdb", "namespace": "default"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "zookeeper"}}},
    }


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(obj: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = obj
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        if value is _DELETE:
            node.pop(last)
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return apply


_DELETE = object()
C0 = "spec.template.spec.containers.0"

NAME_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"
    "[A-Za-z0-9])?')"
)

# id, gvk, base, mutation, expected status message
INVALID_CASES = [
    (
        "negative-replicas",
        DEPLOY,
        deployment,
        _set("spec.replicas", -1),
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater '
        "than or equal to 0",
    ),
    (
        "bad-name",
        DEPLOY,
        deployment,
        _set("metadata.name", "Web_1"),
        f'Deployment.apps "Web_1" is invalid: metadata.name: Invalid value: "Web_1": {NAME_MSG}',
    ),
    (
        "selector-does-not-match",
        DEPLOY,
        deployment,
        _set("spec.template.metadata.labels", {"app": "api"}),
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"api"}: `selector` does not match template `labels`',
    ),
    (
        "selector-missing",
        DEPLOY,
        deployment,
        _set("spec.selector", _DELETE),
        'Deployment.apps "web" is invalid: spec.selector: Required value',
    ),
    (
        "no-containers",
        DEPLOY,
        deployment,
        _set("spec.template.spec.containers", []),
        'Deployment.apps "web" is invalid: spec.template.spec.containers: Required value',
    ),
    (
        "container-name-missing",
        DEPLOY,
        deployment,
        _set(f"{C0}.name", ""),
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].name: Required value',
    ),
    (
        "container-name-uppercase",
        DEPLOY,
        deployment,
        _set(f"{C0}.name", "Web"),
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].name: Invalid '
        f'value: "Web": {LABEL_MSG}',
    ),
    (
        "port-out-of-range",
        DEPLOY,
        deployment,
        _set(f"{C0}.ports", [{"containerPort": 70000}]),
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].ports[0].'
        "containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
    ),
    (
        "requests-above-limits",
        DEPLOY,
        deployment,
        _set(f"{C0}.resources", {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}),
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].resources.requests: '
        'Invalid value: "2": must be less than or equal to cpu limit of 1',
    ),
    (
        "memory-request-above-limit",
        POD,
        pod,
        _set(
            "spec.containers.0.resources",
            {"requests": {"memory": "1Gi"}, "limits": {"memory": "512Mi"}},
        ),
        'Pod "p" is invalid: spec.containers[0].resources.requests: Invalid value: "1Gi": must '
        "be less than or equal to memory limit of 512Mi",
    ),
    (
        "probe-without-handler",
        DEPLOY,
        deployment,
        _set(f"{C0}.livenessProbe", {"periodSeconds": 5}),
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].livenessProbe: '
        "Required value: must specify a handler type",
    ),
    (
        "probe-with-two-handlers",
        DEPLOY,
        deployment,
        _set(f"{C0}.readinessProbe", {"httpGet": {"port": 80}, "tcpSocket": {"port": 80}}),
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].readinessProbe.'
        "tcpSocket: Forbidden: may not specify more than 1 handler type",
    ),
    (
        "liveness-success-threshold",
        DEPLOY,
        deployment,
        _set(f"{C0}.livenessProbe", {"exec": {"command": ["true"]}, "successThreshold": 2}),
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].livenessProbe.'
        "successThreshold: Invalid value: 2: must be 1",
    ),
    (
        "bad-pull-policy",
        DEPLOY,
        deployment,
        _set(f"{C0}.imagePullPolicy", "Sometimes"),
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].imagePullPolicy: '
        'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
    ),
    (
        "deployment-restart-never",
        DEPLOY,
        deployment,
        _set("spec.template.spec.restartPolicy", "Never"),
        'Deployment.apps "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: '
        '"Never": supported values: "Always"',
    ),
    (
        "surge-and-unavailable-zero",
        DEPLOY,
        deployment,
        _set(
            "spec.strategy",
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
        ),
        'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid '
        "value: 0: may not be 0 when `maxSurge` is 0",
    ),
    (
        "bad-label-value",
        DEPLOY,
        deployment,
        _set("metadata.labels", {"tier": "front end"}),
        'Deployment.apps "web" is invalid: metadata.labels: Invalid value: "front end": '
        + LABEL_VALUE_MSG,
    ),
    (
        "two-errors-are-bracketed",
        DEPLOY,
        deployment,
        lambda o: (_set("spec.replicas", -1)(o), _set(f"{C0}.name", "")(o)),
        'Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater '
        "than or equal to 0, spec.template.spec.containers[0].name: Required value]",
    ),
    (
        "pod-image-required",
        POD,
        pod,
        _set("spec.containers.0.image", ""),
        'Pod "p" is invalid: spec.containers[0].image: Required value',
    ),
    (
        "pod-mount-of-unknown-volume",
        POD,
        pod,
        _set("spec.containers.0.volumeMounts", [{"name": "data", "mountPath": "/data"}]),
        'Pod "p" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ),
    (
        "service-without-ports",
        SVC,
        service,
        _set("spec.ports", []),
        'Service "web" is invalid: spec.ports: Required value',
    ),
    (
        "service-port-zero",
        SVC,
        service,
        _set("spec.ports", [{"port": 0, "targetPort": 80}]),
        'Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and '
        "65535, inclusive",
    ),
    (
        "service-port-missing-fails-port-and-defaulted-target",
        SVC,
        service,
        _set("spec.ports", [{"protocol": "TCP"}]),
        'Service "web" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and '
        "65535, inclusive, spec.ports[0].targetPort: Invalid value: 0: must be between 1 and "
        "65535, inclusive]",
    ),
    (
        "template-image-required",
        DEPLOY,
        deployment,
        _set(f"{C0}.image", _DELETE),
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
    ),
    (
        "service-bad-type",
        SVC,
        service,
        _set("spec.type", "Public"),
        'Service "web" is invalid: spec.type: Unsupported value: "Public": supported values: '
        '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ),
    (
        "service-node-port-out-of-range",
        SVC,
        service,
        lambda o: (_set("spec.type", "NodePort")(o), _set("spec.ports.0.nodePort", 40000)(o)),
        'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port '
        "is not in the valid range. The range of valid ports is 30000-32767",
    ),
    (
        "service-name-must-be-dns1035",
        SVC,
        service,
        _set("metadata.name", "1web"),
        'Service "1web" is invalid: metadata.name: Invalid value: "1web": a DNS-1035 label must '
        "consist of lower case alphanumeric characters or '-', start with an alphabetic "
        "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
        "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ),
    (
        "job-restart-always",
        JOB,
        job,
        _set("spec.template.spec.restartPolicy", _DELETE),
        'Job.batch "pi" is invalid: spec.template.spec.restartPolicy: Required value: valid '
        'values: "OnFailure", "Never"',
    ),
    (
        "job-max-failed-indexes-without-a-per-index-limit",
        JOB,
        job,
        lambda j: j["spec"].update(completionMode="Indexed", completions=4, maxFailedIndexes=2),
        'Job.batch "pi" is invalid: spec.backoffLimitPerIndex: Required value: when '
        "maxFailedIndexes is specified",
    ),
    (
        "job-fail-index-without-a-per-index-limit",
        JOB,
        job,
        lambda j: j["spec"].update(
            completionMode="Indexed",
            completions=4,
            podFailurePolicy={
                "rules": [
                    {"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [42]}}
                ]
            },
        ),
        'Job.batch "pi" is invalid: spec.podFailurePolicy.rules[0].action: Invalid value: '
        '"FailIndex": requires the backoffLimitPerIndex to be set',
    ),
    (
        "job-success-policy-index-past-completions",
        JOB,
        job,
        lambda j: j["spec"].update(
            completionMode="Indexed",
            completions=3,
            parallelism=3,
            successPolicy={"rules": [{"succeededIndexes": "0-2000000000"}]},
        ),
        'Job.batch "pi" is invalid: spec.successPolicy.rules[0].succeededIndexes: Invalid '
        'value: "0-2000000000": error parsing succeededIndexes: too large index: "2000000000"',
    ),
    (
        "job-success-policy-rule-naming-nothing",
        JOB,
        job,
        lambda j: j["spec"].update(
            completionMode="Indexed", completions=3, successPolicy={"rules": [{}]}
        ),
        'Job.batch "pi" is invalid: spec.successPolicy.rules[0]: Required value: at least one '
        "of succeededCount or succeededIndexes must be specified",
    ),
    (
        "job-success-policy-count-above-its-indexes",
        JOB,
        job,
        lambda j: j["spec"].update(
            completionMode="Indexed",
            completions=4,
            successPolicy={"rules": [{"succeededIndexes": "0,2", "succeededCount": 3}]},
        ),
        'Job.batch "pi" is invalid: spec.successPolicy.rules[0].succeededCount: Invalid value: '
        "3: must be less than or equal to 2 (the number of indexes in the specified "
        "succeededIndexes field)",
    ),
    (
        "job-managed-by-not-a-domain-prefixed-path",
        JOB,
        job,
        _set("spec.managedBy", "invalid custom controller name"),
        'Job.batch "pi" is invalid: spec.managedBy: Invalid value: "invalid custom controller '
        'name": must be a domain-prefixed path (such as "acme.io/foo")',
    ),
    (
        "pod-dns-nameserver-not-an-ip",
        POD,
        pod,
        _set("spec.dnsConfig", {"nameservers": ["1.2.3.c"]}),
        'Pod "p" is invalid: spec.dnsConfig.nameservers[0]: Invalid value: "1.2.3.c": must be '
        "a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
    ),
    (
        "pod-host-alias-ip-with-leading-zeros",
        POD,
        pod,
        _set("spec.hostAliases", [{"ip": "10.01.2.3", "hostnames": ["foo.local"]}]),
        'Pod "p" is invalid: spec.hostAliases[0].ip: Invalid value: "10.01.2.3": must not '
        "have leading 0s",
    ),
    (
        "job-managed-by-empty",
        JOB,
        job,
        _set("spec.managedBy", ""),
        'Job.batch "pi" is invalid: spec.managedBy: Required value',
    ),
    (
        "cronjob-job-template-with-a-selector",
        ("batch", "v1", "CronJob"),
        lambda: {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "default"},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": job()["spec"]}},
        },
        _set("spec.jobTemplate.spec.selector", {"matchLabels": {"a": "b"}}),
        'CronJob.batch "nightly" is invalid: spec.jobTemplate.spec.selector: Invalid value: '
        'v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:'
        "[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated",
    ),
    (
        "hpa-max-below-min",
        HPA,
        hpa,
        lambda o: (_set("spec.minReplicas", 5)(o), _set("spec.maxReplicas", 2)(o)),
        'HorizontalPodAutoscaler.autoscaling "web" is invalid: spec.maxReplicas: Invalid value: '
        "2: must be greater than or equal to `minReplicas`",
    ),
    (
        "hpa-min-zero",
        HPA,
        hpa,
        _set("spec.minReplicas", 0),
        'HorizontalPodAutoscaler.autoscaling "web" is invalid: spec.minReplicas: Invalid value: '
        "0: must be greater than or equal to 1",
    ),
    (
        "configmap-key-with-space",
        CM,
        lambda: {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg"},
            "data": {"my key": "1"},
        },
        lambda o: None,
        'ConfigMap "cfg" is invalid: data[my key]: Invalid value: "my key": a valid config key '
        "must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
        "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ),
    (
        "tls-secret-without-its-keys",
        SECRET,
        lambda: {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "tls"},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Y2VydA=="},
        },
        lambda o: None,
        'Secret "tls" is invalid: data[tls.key]: Required value',
    ),
    (
        "basic-auth-secret-needs-username-or-password",
        SECRET,
        lambda: {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "login"},
            "type": "kubernetes.io/basic-auth",
            "stringData": {"user": "admin"},
        },
        lambda o: None,
        'Secret "login" is invalid: [data[username]: Required value, data[password]: Required '
        "value]",
    ),
    (
        "service-account-token-secret-names-its-account",
        SECRET,
        lambda: {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "tok"},
            "type": "kubernetes.io/service-account-token",
        },
        lambda o: None,
        'Secret "tok" is invalid: metadata.annotations[kubernetes.io/service-account.name]: '
        "Required value",
    ),
    (
        "namespace-with-dots",
        NS,
        lambda: {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team.a"}},
        lambda o: None,
        'Namespace "team.a" is invalid: metadata.name: Invalid value: "team.a": must not '
        "contain dots",
    ),
]


@pytest.mark.parametrize(
    "gvk, base, mutate, message",
    [pytest.param(*c[1:], id=c[0]) for c in INVALID_CASES],
)
def test_invalid_values_give_the_real_message(gvk, base, mutate, message) -> None:
    obj = base()
    mutate(obj)
    obj = default(gvk, obj)
    problems = validate(gvk, obj, old=None, field_validation="Strict")
    assert (problems.status_code, problems.reason) == (422, "Invalid")
    assert status_message(gvk, obj["metadata"]["name"], problems) == message


def test_secret_type_is_immutable_and_string_data_satisfies_a_type() -> None:
    old = default(
        SECRET,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "login"},
            "type": "kubernetes.io/basic-auth",
            "stringData": {"username": "admin"},
        },
    )
    assert validate(SECRET, old, old=None, field_validation="Strict").ok
    new = dict(old, type="Opaque")
    problems = validate(SECRET, new, old=old, field_validation="Strict")
    assert status_message(SECRET, "login", problems) == (
        'Secret "login" is invalid: type: Invalid value: "Opaque": field is immutable'
    )


def test_pdb_with_both_budgets_is_refused() -> None:
    obj = pdb()
    obj["spec"]["maxUnavailable"] = 1
    problems = validate(PDB, default(PDB, obj), old=None, field_validation="Strict")
    text = status_message(PDB, "zk-pdb", problems)
    assert text.startswith(
        'PodDisruptionBudget.policy "zk-pdb" is invalid: spec: Invalid value: '
        "policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)("
    )
    assert text.endswith("}: minAvailable and maxUnavailable cannot be both set")


@pytest.mark.parametrize(
    "gvk, base",
    [
        pytest.param(DEPLOY, deployment, id="deployment"),
        pytest.param(POD, pod, id="pod"),
        pytest.param(SVC, service, id="service"),
        pytest.param(JOB, job, id="job"),
        pytest.param(HPA, hpa, id="hpa"),
        pytest.param(PDB, pdb, id="pdb"),
    ],
)
def test_valid_bases_pass(gvk, base) -> None:
    problems = validate(gvk, default(gvk, base()), old=None, field_validation="Strict")
    assert problems.ok and problems.status_code == 200 and not problems.warnings


# --- strict decoding: 400 BadRequest ---------------------------------------------------


def test_unknown_field_under_strict_is_a_bad_request() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    problems = validate(DEPLOY, obj, old=None, field_validation="Strict")
    assert (problems.status_code, problems.reason) == (400, "BadRequest")
    assert status_message(DEPLOY, "web", problems) == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.template.spec.containers[0].imagePullPolicyy"'
    )
    body = status_body(DEPLOY, "web", problems)
    assert body["code"] == 400 and body["reason"] == "BadRequest" and "details" not in body


def test_unknown_fields_are_listed_together_in_body_order() -> None:
    obj = deployment()
    obj["spec"]["replica"] = 3
    obj["metadata"]["lables"] = {"a": "b"}
    problems = validate(DEPLOY, obj, old=None, field_validation="Strict")
    assert problems.decode_error is not None
    assert problems.decode_error.endswith(
        'strict decoding error: unknown field "metadata.lables", unknown field "spec.replica"'
    )


def test_unknown_field_under_warn_is_a_warning_and_the_write_succeeds() -> None:
    obj = default(DEPLOY, deployment())
    obj["spec"]["foo"] = 1
    problems = validate(DEPLOY, obj, old=None, field_validation="Warn")
    assert problems.ok
    assert problems.warnings == ['unknown field "spec.foo"']


def test_unknown_field_under_ignore_says_nothing() -> None:
    obj = default(DEPLOY, deployment())
    obj["spec"]["foo"] = 1
    problems = validate(DEPLOY, obj, old=None, field_validation="Ignore")
    assert problems.ok and not problems.warnings


def test_duplicate_fields_in_the_raw_body_are_reported_first() -> None:
    raw = '{"metadata":{"name":"web","name":"web"},"spec":{"foo":1}}'
    obj = deployment()
    obj["spec"]["foo"] = 1
    problems = validate(DEPLOY, obj, old=None, field_validation="Strict", raw=raw)
    assert problems.decode_error == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'duplicate field "metadata.name", unknown field "spec.foo"'
    )


@pytest.mark.parametrize(
    "path, value, message",
    [
        pytest.param(
            ("spec", "replicas"),
            "3",
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
            id="string-for-int",
        ),
        pytest.param(
            ("spec", "template"),
            "x",
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.template of type "
            "v1.PodTemplateSpec",
            id="string-for-object",
        ),
        pytest.param(
            ("metadata", "labels"),
            {"app": 1},
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
            id="number-in-string-map",
        ),
        pytest.param(
            ("spec", "paused"),
            "yes",
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool",
            id="string-for-bool",
        ),
    ],
)
def test_wrong_json_types_are_bad_requests(path, value, message) -> None:
    obj = deployment()
    obj[path[0]][path[1]] = value
    problems = validate(DEPLOY, obj, old=None, field_validation="Ignore")
    assert problems.status_code == 400
    assert problems.decode_error == (
        'Deployment in version "v1" cannot be handled as a Deployment: ' + message
    )


def test_unparsable_quantity_is_a_bad_request_with_the_regex() -> None:
    obj = pod()
    obj["spec"]["containers"][0]["resources"] = {"limits": {"memory": "1 GB"}}
    problems = validate(POD, obj, old=None, field_validation="Strict")
    assert problems.decode_error == (
        'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular '
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


# --- updates ------------------------------------------------------------------------------


def test_deployment_selector_is_immutable() -> None:
    old = default(DEPLOY, deployment())
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "api"}}
    new["spec"]["template"]["metadata"]["labels"] = {"app": "api"}
    problems = validate(DEPLOY, new, old=old, field_validation="Strict")
    assert status_message(DEPLOY, "web", problems) == (
        'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector'
        '{MatchLabels:map[string]string{"app":"api"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    )


def test_an_immutable_configmap_stays_immutable() -> None:
    """The docs: "you cannot make an immutable ConfigMap mutable"."""
    old = default(
        CM,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "company-name"},
            "data": {"company_name": "Fiktivesunternehmen"},
            "immutable": True,
        },
    )
    mutable = {**old, "immutable": False}
    problems = validate(CM, mutable, old=old, field_validation="Strict")
    assert status_message(CM, "company-name", problems) == (
        'ConfigMap "company-name" is invalid: immutable: Forbidden: field is immutable when '
        "`immutable` is set"
    )
    dropped = {k: v for k, v in old.items() if k != "immutable"}
    assert not validate(CM, dropped, old=old, field_validation="Strict").ok
    assert validate(CM, copy.deepcopy(old), old=old, field_validation="Strict").ok


def _statefulset() -> dict[str, Any]:
    return default(
        STATEFULSET,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "web"},
            "spec": {
                "serviceName": "nginx",
                "replicas": 2,
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
                },
            },
        },
    )


def test_a_statefulset_update_may_change_only_what_upstream_allows() -> None:
    old = _statefulset()
    allowed = copy.deepcopy(old)
    allowed["spec"].update(replicas=5, minReadySeconds=3, revisionHistoryLimit=2)
    allowed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.29"
    assert validate(STATEFULSET, allowed, old=old, field_validation="Strict").ok
    for key, value in (("podManagementPolicy", "Parallel"), ("serviceName", "other")):
        changed = copy.deepcopy(old)
        changed["spec"][key] = value
        problems = validate(STATEFULSET, changed, old=old, field_validation="Strict")
        assert status_message(STATEFULSET, "web", problems) == (
            'StatefulSet.apps "web" is invalid: spec: Forbidden: updates to statefulset spec '
            "for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
            "'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
            "'minReadySeconds' are forbidden"
        ), key


def test_on_delete_with_a_rolling_update_left_is_invalid() -> None:
    """kubernetes/website#47038: the tutorial's patch to OnDelete keeps the defaulted
    rollingUpdate, which the API server refuses."""
    old = _statefulset()
    assert old["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": 0},
    }
    patched = copy.deepcopy(old)
    patched["spec"]["updateStrategy"]["type"] = "OnDelete"
    problems = validate(STATEFULSET, patched, old=old, field_validation="Strict")
    assert status_message(STATEFULSET, "web", problems) == (
        'StatefulSet.apps "web" is invalid: spec.updateStrategy.rollingUpdate: Invalid value: '
        "apps.RollingUpdateStatefulSetStrategy{Partition:0, "
        "MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy "
        "'RollingUpdate'"
    )
    patched["spec"]["updateStrategy"] = {"type": "OnDelete"}
    assert validate(STATEFULSET, patched, old=old, field_validation="Strict").ok


def test_pod_update_of_anything_but_image_is_forbidden() -> None:
    old = default(POD, pod())
    new = copy.deepcopy(old)
    new["metadata"]["resourceVersion"] = "5"
    new["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    problems = validate(POD, new, old=old, field_validation="Strict")
    [error] = problems.errors
    assert (error.field, error.type) == ("spec", "FieldValueForbidden")
    assert error.message.startswith(
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "
        "be set to 1 if it was previously negative)\n"
    )


def test_pod_update_of_the_image_is_allowed() -> None:
    old = default(POD, pod())
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.28"
    assert validate(POD, new, old=old, field_validation="Strict").ok


def test_status_body_lists_causes_for_invalid() -> None:
    obj = default(DEPLOY, deployment())
    obj["spec"]["replicas"] = -1
    problems = validate(DEPLOY, obj, old=None, field_validation="Strict")
    body = status_body(DEPLOY, "web", problems)
    assert body["code"] == 422 and body["reason"] == "Invalid" and body["status"] == "Failure"
    assert body["details"] == {
        "name": "web",
        "group": "apps",
        "kind": "Deployment",
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": "Invalid value: -1: must be greater than or equal to 0",
                "field": "spec.replicas",
            }
        ],
    }
    json.dumps(body)  # serialisable as is


# --- server-side apply ----------------------------------------------------------------


def test_apply_patch_with_unknown_field_names_the_keyed_path() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    assert apply_patch_error(DEPLOY, obj, namespace="default", name="web") == (
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): "
        '.spec.template.spec.containers[name="web"].imagePullPolicyy: field not declared in schema'
    )


def test_apply_patch_names_the_core_group_as_go_prints_it() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "bogus": 1}
    assert apply_patch_error(CM, obj, namespace="default", name="c") == (
        "failed to create typed patch object (default/c; /v1, Kind=ConfigMap): "
        ".bogus: field not declared in schema"
    )


def test_apply_patch_with_repeated_env_names_is_refused() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "A", "value": "1"},
        {"name": "A", "value": "2"},
    ]
    message = apply_patch_error(DEPLOY, obj, namespace="default", name="web")
    assert message is not None
    assert message.endswith(
        '.spec.template.spec.containers[name="web"].env: duplicate entries for key [name="A"]'
    )


def test_apply_patch_that_fits_the_schema_passes() -> None:
    assert apply_patch_error(DEPLOY, deployment(), namespace="default", name="web") is None


def test_statefulset_template_may_mount_a_volume_claim_template() -> None:
    """ValidatePodTemplateSpecForStatefulSet leaves the pod spec to pod creation."""
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx"}],
                        }
                    ]
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "www"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
        },
    }
    gvk = ("apps", "v1", "StatefulSet")
    problems = validate(gvk, default(gvk, sts), old=None, field_validation="Strict")
    assert problems.ok, status_message(gvk, "web", problems)
