"""Pod Security Admission's policy (`kubesim/apiserver/podsecurity.py`): each check's reason
and detail, their order and the namespace labels, worded as k8s.io/pod-security-admission's
policy/check_*.go and its admission warnings word them."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.apiserver.podsecurity import (
    Level,
    evaluate,
    forbidden_detail,
    forbidden_reason,
    label_errors,
    namespace_policy,
    pod_template,
    violating_pods_warnings,
)

Obj = dict[str, Any]
RESTRICTED_SC = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _spec(*containers: Obj, **pod: Any) -> Obj:
    return {"containers": list(containers) or [{"name": "c", "image": "x"}], **pod}


def _c(name: str = "c", **sc: Any) -> Obj:
    return {"name": name, "image": "x", **({"securityContext": sc} if sc else {})}


def test_a_plain_pod_under_restricted_reads_as_kubectl_prints_it() -> None:
    detail = forbidden_detail(evaluate("restricted", {}, _spec()))
    assert detail == (
        'allowPrivilegeEscalation != false (container "c" must set '
        "securityContext.allowPrivilegeEscalation=false), unrestricted capabilities "
        '(container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != '
        'true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile '
        '(pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" '
        'or "Localhost")'
    )


@pytest.mark.parametrize(
    "level, spec, want",
    [
        pytest.param(
            "privileged",
            _spec(_c(privileged=True), hostNetwork=True),
            [],
            id="privileged-allows-all",
        ),
        pytest.param("baseline", _spec(), [], id="baseline-allows-a-plain-pod"),
        pytest.param(
            "restricted", _spec(_c(**RESTRICTED_SC)), [], id="restricted-allows-the-four-fields"
        ),
        pytest.param(
            "restricted",
            _spec(
                _c(allowPrivilegeEscalation=False, capabilities={"drop": ["ALL"]}),
                securityContext={
                    "runAsNonRoot": True,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
            ),
            [],
            id="restricted-pod-level-fields-cover-containers",
        ),
        pytest.param(
            "baseline",
            _spec(hostNetwork=True, hostPID=True, hostIPC=True),
            [("host namespaces", "hostNetwork=true, hostPID=true, hostIPC=true")],
            id="host-namespaces",
        ),
        pytest.param(
            "baseline",
            _spec(
                {
                    "name": "controller",
                    "image": "x",
                    "ports": [
                        {"containerPort": 80, "hostPort": 80},
                        {"containerPort": 443, "hostPort": 443},
                    ],
                }
            ),
            [("hostPort", 'container "controller" uses hostPorts 443, 80')],
            id="host-ports-sorted-as-strings",
        ),
        pytest.param(
            "baseline",
            _spec(_c("a", privileged=True), _c("b", privileged=True)),
            [("privileged", 'containers "a", "b" must not set securityContext.privileged=true')],
            id="privileged-plural",
        ),
        pytest.param(
            "baseline",
            _spec(_c(capabilities={"add": ["NET_ADMIN", "CHOWN", "SYS_TIME"]})),
            [
                (
                    "non-default capabilities",
                    'container "c" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add',
                )
            ],
            id="baseline-capabilities",
        ),
        pytest.param(
            "baseline",
            _spec(
                volumes=[
                    {"name": "host", "hostPath": {"path": "/"}},
                    {"name": "tmp", "emptyDir": {}},
                ]
            ),
            [("hostPath volumes", 'volume "host"')],
            id="hostpath-volumes",
        ),
        pytest.param(
            "baseline",
            _spec(securityContext={"seccompProfile": {"type": "Unconfined"}}),
            [
                (
                    "seccompProfile",
                    'pod must not set securityContext.seccompProfile.type to "Unconfined"',
                )
            ],
            id="baseline-seccomp-unconfined",
        ),
        pytest.param(
            "restricted",
            _spec(
                _c(
                    **{
                        **RESTRICTED_SC,
                        "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "SYS_ADMIN"]},
                    }
                )
            ),
            [
                (
                    "unrestricted capabilities",
                    'container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add',
                )
            ],
            id="restricted-adds-only-net-bind-service",
        ),
        pytest.param(
            "restricted",
            _spec(_c(**{**RESTRICTED_SC, "runAsNonRoot": False, "runAsUser": 0})),
            [
                (
                    "runAsNonRoot != true",
                    'container "c" must not set securityContext.runAsNonRoot=false',
                ),
                ("runAsUser=0", 'container "c" must not set runAsUser=0'),
            ],
            id="explicit-root",
        ),
        pytest.param(
            "restricted",
            _spec(_c(**RESTRICTED_SC), volumes=[{"name": "host", "hostPath": {"path": "/"}}]),
            [("restricted volume types", 'volume "host" uses restricted volume type "hostPath"')],
            id="restricted-volumes-replace-hostpath-check",
        ),
        pytest.param(
            "restricted",
            _spec(_c(**RESTRICTED_SC), hostNetwork=True),
            [("host namespaces", "hostNetwork=true")],
            id="baseline-checks-still-apply",
        ),
    ],
)
def test_each_check_as_upstream_words_it(
    level: str, spec: Obj, want: list[tuple[str, str]]
) -> None:
    assert evaluate(level, {}, spec) == want


def test_baseline_checks_come_before_restricted_ones() -> None:
    spec = _spec(_c(privileged=True), hostNetwork=True)
    assert forbidden_reason(evaluate("restricted", {}, spec)) == (
        "host namespaces, privileged, allowPrivilegeEscalation != false, unrestricted "
        "capabilities, runAsNonRoot != true, seccompProfile"
    )


def test_baseline_reasons_are_in_check_id_order() -> None:
    """As the docs' "Apply Pod Security Standards at the Namespace Level" prints kind's
    kube-system pods: capabilities_baseline, hostNamespaces, hostPathVolumes, hostPorts,
    privileged (the registry sorts the check IDs)."""
    hostpath = [{"name": "modules", "hostPath": {"path": "/lib/modules"}}]
    kube_proxy = _spec(_c(privileged=True), hostNetwork=True, volumes=hostpath)
    kindnet = _spec(
        _c(capabilities={"add": ["NET_RAW", "NET_ADMIN"]}), hostNetwork=True, volumes=hostpath
    )
    assert forbidden_reason(evaluate("baseline", {}, kube_proxy)) == (
        "host namespaces, hostPath volumes, privileged"
    )
    assert forbidden_reason(evaluate("baseline", {}, kindnet)) == (
        "non-default capabilities, host namespaces, hostPath volumes"
    )
    ports = _spec({"name": "c", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80}]})
    assert forbidden_reason(evaluate("baseline", {}, {**ports, "volumes": hostpath})) == (
        "hostPath volumes, hostPort"
    )


@pytest.mark.parametrize(
    "labels, want",
    [
        pytest.param(
            {},
            {
                "enforce": "privileged:latest",
                "audit": "privileged:latest",
                "warn": "privileged:latest",
            },
            id="none",
        ),
        pytest.param(
            {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "baseline",
                "pod-security.kubernetes.io/warn-version": "v1.30",
            },
            {
                "enforce": "restricted:latest",
                "audit": "privileged:latest",
                "warn": "baseline:v1.30",
            },
            id="modes-and-versions",
        ),
    ],
)
def test_namespace_labels_select_a_level_per_mode(
    labels: dict[str, str], want: dict[str, str]
) -> None:
    assert {mode: str(level) for mode, level in namespace_policy(labels).items()} == want


def test_bad_labels_are_refused_with_upstreams_wording() -> None:
    assert label_errors(
        {
            "pod-security.kubernetes.io/enforce": "strict",
            "pod-security.kubernetes.io/warn-version": "1.30",
            "other": "x",
        }
    ) == [
        (
            "metadata.labels[pod-security.kubernetes.io/enforce]",
            'Invalid value: "strict": must be one of privileged, baseline, restricted',
        ),
        (
            "metadata.labels[pod-security.kubernetes.io/warn-version]",
            'Invalid value: "1.30": must be "latest" or "v1.x"',
        ),
    ]


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"])
def test_workloads_are_judged_by_their_pod_template(kind: str) -> None:
    obj = {"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": _spec()}}}
    assert pod_template(kind, obj) == ({"labels": {"a": "b"}}, _spec())


def test_a_cronjob_is_judged_by_its_job_templates_pod_and_a_service_not_at_all() -> None:
    obj = {"spec": {"jobTemplate": {"spec": {"template": {"spec": _spec()}}}}}
    assert pod_template("CronJob", obj) == ({}, _spec())
    assert pod_template("Service", {"spec": {}}) is None


def test_labelling_a_namespace_warns_per_set_of_reasons_naming_one_pod() -> None:
    pods = [
        {"metadata": {"name": n}, "spec": s}
        for n, s in [
            ("web-2", _spec()),
            ("web-1", _spec()),
            ("ok", _spec(_c(**RESTRICTED_SC))),
            ("net", _spec(_c(**RESTRICTED_SC), hostNetwork=True)),
        ]
    ]
    assert violating_pods_warnings("lab-12", Level("restricted"), pods) == [
        'existing pods in namespace "lab-12" violate the new PodSecurity enforce level "restricted:latest"',
        "net: host namespaces",
        "web-1 (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
    ]
    assert violating_pods_warnings("lab-12", Level("restricted"), pods[2:3]) == []
