"""In-place pod resize, decided purely: what `pods/resize` lets through (ValidatePodResize's
wording), what the kubelet allocates, defers or calls infeasible (canResizePod's), which
changes restart a container, and the requests the scheduler counts meanwhile."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubesim.apiserver.defaulting.pod import pod_qos_class
from kubesim.apiserver.meta import _prepare_resize_update
from kubesim.apiserver.validation.pod import validate_pod_resize
from kubesim.controllers._placement import pod_requests
from kubesim.kubelet import _resize

Obj = dict[str, Any]


def _pod(cpu: str = "700m", memory: str = "200Mi", **extra: Any) -> Obj:
    container = {
        "name": "pause",
        "image": "registry.k8s.io/pause:3.8",
        "resizePolicy": [
            {"resourceName": "cpu", "restartPolicy": "NotRequired"},
            {"resourceName": "memory", "restartPolicy": "RestartContainer"},
        ],
        "resources": {
            "limits": {"cpu": cpu, "memory": memory},
            "requests": {"cpu": cpu, "memory": memory},
        },
        **extra,
    }
    return {
        "metadata": {"name": "resize-demo", "generation": 1, "resourceVersion": "7"},
        "spec": {"containers": [container], "nodeName": "kubelab-worker"},
        "status": {"qosClass": "Guaranteed", "phase": "Running"},
    }


def _errors(new: Obj, old: Obj) -> list[str]:
    qos = pod_qos_class(new["spec"])
    found = validate_pod_resize(new, old, qos=qos, old_qos=old["status"]["qosClass"])
    return [f"{e.field}: {e.type}: {e.message}" for e in found]


def _resized(old: Obj, **resources: Any) -> Obj:
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["resources"] = resources
    return new


def test_a_cpu_and_memory_change_within_the_qos_class_is_valid() -> None:
    old = _pod()
    assert _errors(_pod(cpu="800m"), old) == []
    assert _errors(_pod(memory="300Mi"), old) == []
    assert _errors(_pod(memory="100Mi"), old) == []  # decreases too, since 1.34


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {
                "limits": {"cpu": "700m", "memory": "200Mi"},
                "requests": {"cpu": "100m", "memory": "200Mi"},
            },  # noqa: E501
            [
                'spec: FieldValueInvalid: Invalid value: "Guaranteed": Pod QOS Class may not change as a result of resizing'
            ],  # noqa: E501
            id="guaranteed-to-burstable",
        ),
        pytest.param(
            {"limits": {"cpu": "700m", "memory": "200Mi"}},
            [
                "spec.containers[0].resources.requests: FieldValueForbidden: Forbidden: resource requests cannot be removed"
            ],  # noqa: E501
            id="requests-removed",
        ),
        pytest.param(
            {
                "limits": {"cpu": "700m", "memory": "200Mi", "ephemeral-storage": "1Gi"},
                "requests": {"cpu": "700m", "memory": "200Mi", "ephemeral-storage": "1Gi"},
            },  # noqa: E501
            ["spec: FieldValueForbidden: Forbidden: only cpu and memory resources are mutable"],
            id="another-resource",
        ),
    ],
)
def test_what_a_resize_may_not_do(change: Obj, expected: list[str]) -> None:
    assert _errors(_resized(_pod(), **change), _pod()) == expected


def test_only_resources_and_resize_policy_pass_the_resize_strategy() -> None:
    old = _pod()
    sent = _pod(cpu="800m", image="busybox")
    sent["spec"]["nodeName"] = "elsewhere"
    sent["status"] = {"phase": "Failed"}
    merged = _prepare_resize_update(old, sent)
    assert merged["spec"]["containers"][0]["image"] == "registry.k8s.io/pause:3.8"
    assert merged["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "800m"
    assert merged["spec"]["nodeName"] == "kubelab-worker"
    assert merged["status"] == old["status"]
    assert merged["metadata"]["generation"] == 2
    assert _prepare_resize_update(old, copy.deepcopy(old))["metadata"]["generation"] == 1


def test_a_static_pod_and_a_non_sidecar_init_container_are_not_resized() -> None:
    old = _pod()
    old["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "abc"}
    assert _errors(_pod(cpu="800m"), old) == [
        ": FieldValueForbidden: Forbidden: static pods cannot be resized"
    ]
    init = {"name": "setup", "image": "busybox", "resources": {"requests": {"cpu": "100m"}}}
    old = _pod()
    old["spec"]["initContainers"] = [init]
    old["status"]["qosClass"] = pod_qos_class(old["spec"])  # Burstable: the init container
    new = copy.deepcopy(old)
    new["spec"]["initContainers"][0]["resources"] = {"requests": {"cpu": "200m"}}
    assert "resources for non-sidecar init containers are immutable" in " ".join(_errors(new, old))
    old["spec"]["initContainers"][0]["restartPolicy"] = "Always"
    new["spec"]["initContainers"][0]["restartPolicy"] = "Always"
    assert _errors(new, old) == []


ALLOCATABLE = {"cpu": "4", "memory": "8Gi"}


@pytest.mark.parametrize(
    ("want", "used", "reason", "message"),
    [
        ((800, 300 << 20), (1000, 1 << 30), "", ""),
        (
            (1_000_000, 300 << 20),
            (0, 0),
            "Infeasible",
            "Node didn't have enough capacity: cpu, requested: 1000000, capacity: 4000",
        ),  # noqa: E501
        (
            (800, 9 << 30),
            (0, 0),
            "Infeasible",
            f"Node didn't have enough capacity: memory, requested: {9 << 30}, capacity: {8 << 30}",
        ),  # noqa: E501
        (
            (3000, 1 << 20),
            (1500, 0),
            "Deferred",
            "Node didn't have enough resource: cpu, requested: 3000, used: 1500, capacity: 4000",
        ),  # noqa: E501
    ],
)
def test_the_kubelet_allocates_defers_or_refuses(
    want: tuple[int, int], used: tuple[int, int], reason: str, message: str
) -> None:
    assert _resize.decide(want, ALLOCATABLE, used) == _resize.Verdict(reason, message)


def test_which_changes_restart_the_container() -> None:
    container = _pod()["spec"]["containers"][0]
    before = _resize.resources_of(container)
    cpu = _resize.resources_of(_pod(cpu="0.8")["spec"]["containers"][0])
    memory = _resize.resources_of(_pod(memory="300Mi")["spec"]["containers"][0])
    assert not _resize.restart_needed(container, before, cpu)
    assert _resize.restart_needed(container, before, memory)
    assert _resize.changed({"pause": before}, {"pause": before}) == []
    assert (
        _resize.changed(
            {"pause": _resize.resources_of(_pod(cpu="0.7")["spec"]["containers"][0])},
            {"pause": before},
        )
        == []
    )  # noqa: E501
    assert _resize.changed({"pause": cpu}, {"pause": before}) == ["pause"]


def test_the_events_carry_the_spec_s_resources_as_json() -> None:
    spec = {
        "initContainers": [{"name": "i0", "restartPolicy": "Always"}],
        "containers": [{"name": "c0", "resources": {"limits": {"memory": "100", "cpu": "100m"}}}],
    }
    assert _resize.event_message("started", {"containers": spec["containers"]}, 1) == (
        'Pod resize started: {"containers":[{"name":"c0","resources":{"limits":'
        '{"cpu":"100m","memory":"100"}}}],"generation":1}'
    )
    message = _resize.event_message("Deferred", spec, 2, "no room")
    assert message.startswith(
        'Pod resize Deferred: {"initContainers":[{"name":"i0","resources":{}}],'
    )
    assert message.endswith('"generation":2,"error":"no room"}')


def test_a_memory_request_alone_restarts_nothing() -> None:
    container = _pod()["spec"]["containers"][0]
    before = _resize.resources_of(container)
    after = copy.deepcopy(before)
    after["requests"]["memory"] = "100Mi"
    assert not _resize.restart_needed(container, before, after)


def test_resize_policy_is_not_changed_by_a_resize() -> None:
    old = _pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["resizePolicy"][1]["restartPolicy"] = "NotRequired"
    assert _errors(new, old) == [
        "spec: FieldValueForbidden: Forbidden: only cpu and memory resources are mutable"
    ]  # noqa: E501


def test_a_plain_init_container_counts_by_the_max_rule() -> None:
    spec = {
        "initContainers": [{"name": "setup", "resources": {"requests": {"cpu": "3"}}}],
        "containers": [{"name": "app", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}],
    }
    assert _resize.requested(_resize.desired(spec), spec) == (3000, 1 << 30)


def test_the_scheduler_counts_the_most_of_spec_allocation_and_actual() -> None:
    pod = _pod(cpu="2")
    pod["status"]["containerStatuses"] = [
        {"name": "pause", "allocatedResources": {"cpu": "700m", "memory": "200Mi"},
         "resources": {"requests": {"cpu": "700m", "memory": "200Mi"}}},
    ]  # fmt: skip
    assert pod_requests(pod)["cpu"] == 2000
    pod["status"]["conditions"] = [{"type": "PodResizePending", "reason": "Infeasible"}]
    assert pod_requests(pod)["cpu"] == 700
