"""The kubelet's runAsNonRoot check (upstream `verifyRunAsNonRoot`): the effective
securityContext (the container's over the pod's) against an explicit runAsUser or the
image's USER, refused with the kubelet's own words; and the catalog's image users."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.kubelet._env import ConfigError
from kubesim.kubelet._images import pull
from kubesim.kubelet._securitycontext import verify_run_as_non_root

WHERE = '(pod: "web-1_lab(u-1)", container: app)'


def _pod(pod_sc: dict[str, Any] | None, container_sc: dict[str, Any] | None):
    container: dict[str, Any] = {"name": "app", "image": "busybox:1.37"}
    if container_sc is not None:
        container["securityContext"] = container_sc
    spec: dict[str, Any] = {"containers": [container]}
    if pod_sc is not None:
        spec["securityContext"] = pod_sc
    pod = {"metadata": {"name": "web-1", "namespace": "lab", "uid": "u-1"}, "spec": spec}
    return pod, container


@pytest.mark.parametrize(
    "pod_sc, container_sc, image_user",
    [
        pytest.param(None, None, "", id="not-asked"),
        pytest.param({"runAsNonRoot": False}, None, "", id="asked-not"),
        pytest.param({"runAsNonRoot": True}, None, "10001:10001", id="image-user-numeric"),
        pytest.param({"runAsNonRoot": True, "runAsUser": 10001}, None, "", id="pod-user"),
        pytest.param({"runAsNonRoot": True}, {"runAsUser": 1000}, "", id="container-user"),
        pytest.param({"runAsNonRoot": True}, {"runAsNonRoot": False}, "", id="container-opts-out"),
    ],
)
def test_containers_that_may_start(pod_sc, container_sc, image_user):
    pod, container = _pod(pod_sc, container_sc)
    verify_run_as_non_root(pod, container, image_user)


@pytest.mark.parametrize(
    "pod_sc, container_sc, image_user, message",
    [
        pytest.param(
            {"runAsNonRoot": True}, None, "",
            f"container has runAsNonRoot and image will run as root {WHERE}",
            id="image-without-user",
        ),
        pytest.param(
            None, {"runAsNonRoot": True}, "0",
            f"container has runAsNonRoot and image will run as root {WHERE}",
            id="image-user-0",
        ),
        pytest.param(
            {"runAsNonRoot": True, "runAsUser": 0}, None, "10001",
            f"container's runAsUser breaks non-root policy {WHERE}",
            id="run-as-user-0",
        ),
        pytest.param(
            {"runAsNonRoot": True, "runAsUser": 10001}, {"runAsUser": 0}, "",
            f"container's runAsUser breaks non-root policy {WHERE}",
            id="container-user-0-over-pod",
        ),
        pytest.param(
            {"runAsNonRoot": True}, None, "nginx",
            "container has runAsNonRoot and image has non-numeric user (nginx), "
            f"cannot verify user is non-root {WHERE}",
            id="named-user",
        ),
    ],
)  # fmt: skip
def test_containers_the_kubelet_refuses(pod_sc, container_sc, image_user, message):
    pod, container = _pod(pod_sc, container_sc)
    with pytest.raises(ConfigError) as refused:
        verify_run_as_non_root(pod, container, image_user)
    assert str(refused.value) == message


def test_the_inference_image_runs_as_its_dockerfiles_user_and_busybox_as_root():
    assert pull("kubelab/inference:2.4.0").user == "10001:10001"  # inference/Dockerfile's USER
    assert pull("busybox:1.37").user == ""
