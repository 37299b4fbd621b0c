"""Lab 01's promises: the deployment runs three ready pods on the workers, and a deleted pod
comes back. Driven by the commands the notebook teaches, asserting what they print."""

from __future__ import annotations

from scenario_kubectl import WORKERS, Lab

DEPLOY = ("manifests/inference/deployment.yaml", "manifests/inference/service.yaml")


def test_deployment_runs_three_ready_pods_on_the_workers_only(lab: Lab) -> None:
    out = lab.apply(*DEPLOY)
    assert "deployment.apps/inference-service created" in out
    assert "service/inference-service created" in out

    rows = lab.wait_for(
        lambda: lab.ready_running(3), timeout=lab.wall(60), what="3 pods READY 1/1 Running"
    )

    assert {r["NODE"] for r in rows} <= set(WORKERS), "no pod may land on the control plane"
    assert all(r["RESTARTS"] == "0" for r in rows)
    status = lab.kubectl("rollout", "status", "deployment/inference-service", "--timeout=60s")
    assert 'deployment "inference-service" successfully rolled out' in status.stdout
    deploy = lab.table("deployment", "inference-service")[0]
    assert (deploy["READY"], deploy["UP-TO-DATE"], deploy["AVAILABLE"]) == ("3/3", "3", "3")


def test_a_deleted_pod_is_replaced_by_a_new_one(lab: Lab) -> None:
    lab.apply(*DEPLOY)
    before = lab.wait_for(
        lambda: lab.ready_running(3), timeout=lab.wall(60), what="3 pods READY 1/1 Running"
    )
    victim = before[0]["NAME"]

    out = lab.kubectl("delete", "pod", victim)

    assert f'pod "{victim}" deleted' in out.stdout
    after = lab.wait_for(
        lambda: lab.ready_running(3), timeout=lab.wall(60), what="3 pods READY 1/1 Running again"
    )
    names = {r["NAME"] for r in after}
    assert victim not in names
    assert len(names - {r["NAME"] for r in before}) == 1, "exactly one new pod replaces it"
    assert {r["NODE"] for r in after} <= set(WORKERS)
