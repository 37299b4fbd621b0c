"""A create the API refuses (here, a ResourceQuota) shows on the ReplicaSet and its
Deployment as the ReplicaFailure condition, as kube-controller-manager reports it, and goes
once the pods can be created."""

from __future__ import annotations

from pathlib import Path

from _loops_helpers import deployment, running_lab, settle

CONTROLLERS = ("deployment", "replicaset", "garbagecollector", "resourcequota")


def _condition(obj: dict | None) -> dict | None:
    conditions = ((obj or {}).get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == "ReplicaFailure"), None)


async def test_a_quota_refusal_is_the_replica_failure_condition_until_it_fits(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=CONTROLLERS) as lab:
        quota = lab.create(
            "resourcequotas",
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "compute-quota"},
                "spec": {"hard": {"limits.cpu": "2"}},
            },
        )
        lab.create("deployments", deployment(replicas=2), group="apps")

        def failing() -> dict | None:
            rs = next(iter(lab.list("replicasets", "apps")), None)
            deploy = lab.get("deployments", "web", "apps")
            if _condition(rs) and _condition(deploy):
                return rs
            return None

        rs = await settle(failing)
        condition = _condition(rs)
        assert condition is not None
        assert (condition["status"], condition["reason"]) == ("True", "FailedCreate")
        assert condition["message"].endswith(
            "is forbidden: failed quota: compute-quota: must specify limits.cpu for: app"
        )
        lab.api.delete(lab.res("resourcequotas"), "default", quota["metadata"]["name"])

        def cleared() -> bool:
            rs = next(iter(lab.list("replicasets", "apps")), None)
            deploy = lab.get("deployments", "web", "apps")
            return _condition(rs) is None and _condition(deploy) is None

        assert await settle(cleared, timeout=10)
