"""Pod-level resources, purely: ComputePodQOS's pod-level branch, defaultPodRequests and
defaultPodLimits, the aggregate of containers (sidecars and init containers included), and
what PodRequests and ResourceQuota count for such a pod."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.apiserver.defaulting.pod import pod_qos_class
from kubesim.controllers._placement import pod_requests
from kubesim.core import podlevel
from kubesim.core.quota import pod_usage

Obj = dict[str, Any]


def _c(name: str, requests: Obj | None = None, limits: Obj | None = None, **extra: Any) -> Obj:
    resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    return {"name": name, "image": "busybox", "resources": resources, **extra}


@pytest.mark.parametrize(
    ("pod_resources", "qos"),
    [
        ({"requests": {"memory": "100Mi"}, "limits": {"memory": "200Mi"}}, "Burstable"),
        ({"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed"),
        ({"limits": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed"),
        ({"limits": {"cpu": "1"}}, "Burstable"),  # no memory limit: not Guaranteed
        ({"requests": {"ephemeral-storage": "1Gi"}}, None),  # nothing the pod level supports
    ],
)  # fmt: skip
def test_the_pod_level_resources_alone_decide_the_qos_class(
    pod_resources: Obj, qos: str | None
) -> None:  # noqa: E501
    spec = {"resources": pod_resources, "containers": [_c("app", {"cpu": "100m"})]}
    assert podlevel.qos_class(spec) == qos
    assert pod_qos_class(spec) == (qos or "Burstable")


def test_pod_requests_default_to_the_aggregate_then_to_the_limits() -> None:
    spec = {
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"}},
        "initContainers": [_c("sidecar", {"cpu": "250m"}, restartPolicy="Always")],
        "containers": [_c("app", {"cpu": "500m"}), _c("other")],
    }
    podlevel.default_pod_resources(spec)
    assert spec["resources"]["requests"] == {"cpu": "750m", "memory": "1Gi"}
    assert spec["containers"][1]["resources"] == {}  # never from the pod's


def test_pod_limits_default_only_where_every_container_has_one() -> None:
    spec = {
        "resources": {"requests": {"cpu": "1", "memory": "100Mi"}},
        "containers": [
            _c("a", limits={"cpu": "1", "memory": "64Mi"}),
            _c("b", limits={"cpu": "2"}),
        ],
    }
    podlevel.default_pod_resources(spec)
    assert spec["resources"]["limits"] == {"cpu": "3"}


def test_a_plain_init_container_counts_when_it_alone_is_larger() -> None:
    spec = {
        "initContainers": [_c("setup", {"cpu": "2"})],
        "containers": [_c("app", {"cpu": "500m"})],
    }
    assert podlevel.text("cpu", podlevel.aggregate(spec, "requests")["cpu"]) == "2"


def test_the_scheduler_and_the_quota_count_the_pod_s_own_requests() -> None:
    pod = {
        "metadata": {"name": "p"},
        "spec": {
            "resources": {
                "requests": {"cpu": "1", "memory": "100Mi"},
                "limits": {"memory": "200Mi"},
            },
            "containers": [_c("a", {"cpu": "250m", "ephemeral-storage": "1Gi"})],
            "overhead": {"cpu": "10m"},
        },
    }
    assert pod_requests(pod) == {"cpu": 1010, "memory": 100 << 20, "ephemeral-storage": 1 << 30}
    usage = pod_usage(pod)
    assert (usage["requests.cpu"], usage["requests.memory"], usage["limits.memory"]) == (
        "1",
        "100Mi",
        "200Mi",
    )  # noqa: E501
