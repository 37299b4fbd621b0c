"""End to end on kubesim: a real API server process, the real client, the checker unchanged.

Skipped (with the reason) while kubesim cannot create the objects the test needs; it then
runs as soon as kubesim can, with nothing to change here or in the checker.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from checker_fakeapi import LABS

from checker import ReadOnlyClient, discover_labs, run_lab
from kubelab._simprocess import launch

pytestmark = pytest.mark.kubesim

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "inference-service"},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "inference"}},
        "template": {
            "metadata": {"labels": {"app": "inference"}},
            "spec": {"containers": [{"name": "inference", "image": "nginx:1.27"}]},
        },
    },
}


@pytest.fixture
def kubesim(tmp_path: Path) -> Iterator[Path]:
    served = launch(tmp_path / "state", tmp_path / "kubeconfig")
    try:
        yield served.kubeconfig
    finally:
        served.stop()


def _writer(kubeconfig: Path):
    """The test's own writing client (the checker never writes)."""
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(kubeconfig), persist_config=False)
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}}
    core.create_namespace(namespace)  # type: ignore[arg-type]
    apps.create_namespaced_deployment("lab", DEPLOYMENT)  # type: ignore[arg-type]
    return apps


def test_a_check_fails_before_and_passes_after_the_fix_on_kubesim(kubesim: Path):
    apps = _writer(kubesim)
    lab = discover_labs(LABS)["02-scale"]
    with ReadOnlyClient.from_kubeconfig(kubesim) as client:
        before = run_lab(client, lab)
        checks = before.exercises[0].checks
        assert checks[0].field_errors == ("spec.replicas: Invalid value: 3: Expected value: 5",)
        assert checks[1].passed
        apps.patch_namespaced_deployment_scale(
            "inference-service", "lab", {"spec": {"replicas": 5}}
        )
        started = time.perf_counter()
        after = run_lab(client, lab)
        elapsed = time.perf_counter() - started
        assert after.passed and after.points == 6
        assert elapsed < 1.0, f"a passing lab took {elapsed:.2f}s to grade"
        assert {method for method, _ in client.requests} == {"GET"}
