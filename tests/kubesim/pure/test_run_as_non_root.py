"""The kubelet's runAsNonRoot verification (`kubesim/kubelet/_securitycontext.py`), worded as
pkg/kubelet/kuberuntime/security_context_others.go's verifyRunAsNonRoot."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.kubelet._securitycontext import run_as_non_root_error

WHERE = '(pod: "web_lab(u-1)", container: c)'


def _pod(pod_sc: dict[str, Any] | None = None, **container_sc: Any) -> tuple[dict, dict]:
    container = {"name": "c", "image": "x", "securityContext": container_sc}
    pod = {
        "metadata": {"name": "web", "namespace": "lab", "uid": "u-1"},
        "spec": {"containers": [container], "securityContext": pod_sc or {}},
    }
    return pod, container


@pytest.mark.parametrize(
    "pod_sc, container_sc, image_user, want",
    [
        pytest.param(None, {}, "", None, id="not-asked"),
        pytest.param(None, {"runAsNonRoot": False}, "", None, id="asked-false"),
        pytest.param(
            None,
            {"runAsNonRoot": True},
            "",
            f"container has runAsNonRoot and image will run as root {WHERE}",
            id="root-image",
        ),
        pytest.param(
            None,
            {"runAsNonRoot": True},
            "0:0",
            f"container has runAsNonRoot and image will run as root {WHERE}",
            id="uid-0-image",
        ),
        pytest.param(None, {"runAsNonRoot": True}, "10001:10001", None, id="numeric-image-user"),
        pytest.param(
            None,
            {"runAsNonRoot": True},
            "app",
            f"container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root {WHERE}",
            id="named-image-user",
        ),
        pytest.param(
            None, {"runAsNonRoot": True, "runAsUser": 1000}, "", None, id="run-as-user-states-it"
        ),
        pytest.param(
            {"runAsNonRoot": True},
            {"runAsUser": 0},
            "10001",
            f"container's runAsUser breaks non-root policy {WHERE}",
            id="run-as-user-0",
        ),
        pytest.param(
            {"runAsNonRoot": True, "runAsUser": 1000}, {}, "", None, id="pod-level-fields"
        ),
        pytest.param(
            {"runAsNonRoot": True}, {"runAsNonRoot": False}, "", None, id="container-overrides-pod"
        ),
    ],
)
def test_run_as_non_root_as_the_kubelet_verifies_it(pod_sc, container_sc, image_user, want) -> None:
    pod, container = _pod(pod_sc, **container_sc)
    assert run_as_non_root_error(pod, container, image_user=image_user) == want
