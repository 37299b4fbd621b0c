"""The controller manager and scheduler running live over an in-process Api: Deployments,
scheduling, endpoints. Observable results only (objects, statuses, events)."""

from __future__ import annotations

from pathlib import Path

from _loops_helpers import WORKERS, deployment, pod, running_lab, settle

CORE = ("deployment", "replicaset", "endpoints", "garbagecollector")


async def test_deployment_of_three_creates_a_replicaset_and_three_pods_spread_on_workers(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=CORE) as lab:
        lab.create("deployments", deployment(replicas=3), group="apps")

        def bound() -> list:
            pods = lab.list("pods")
            return pods if len(pods) == 3 and all(p["spec"].get("nodeName") for p in pods) else []

        pods = await settle(bound)
        rss = lab.list("replicasets", "apps")
        assert len(rss) == 1
        rs = rss[0]
        assert rs["metadata"]["name"].startswith("web-")
        assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
        nodes = [p["spec"]["nodeName"] for p in pods]
        assert set(nodes) == WORKERS  # spread over both workers, never the control plane
        assert all(p["metadata"]["labels"]["pod-template-hash"] for p in pods)
        scheduled = lab.events("Scheduled")
        assert len(scheduled) == 3
        assert scheduled[0]["message"].startswith("Successfully assigned default/web-")
        created = lab.events("ScalingReplicaSet")
        # kube 1.37 words it "... from 0 to 3"; the pure decision's wording is reported upstream
        assert created[0]["message"].startswith(f"Scaled up replica set {rs['metadata']['name']}")
        assert len(lab.events("SuccessfulCreate")) == 3


async def test_deployment_revision_annotation_is_written(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=CORE) as lab:
        lab.create("deployments", deployment(replicas=1), group="apps")

        def done() -> dict | None:
            d = lab.get("deployments", "web", "apps") or {}
            annotations = d.get("metadata", {}).get("annotations", {})
            ok = (
                annotations.get("deployment.kubernetes.io/revision")
                and d.get("status", {}).get("replicas") == 1
            )
            return d if ok else None

        d = await settle(done)
        assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
        assert d["status"]["observedGeneration"] == 1
        assert d["status"]["replicas"] == 1


async def test_pod_that_fits_nowhere_stays_pending_with_the_real_failed_scheduling_event(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=()) as lab:
        lab.create("pods", pod("huge", cpu="64"))
        events = await settle(lambda: lab.events("FailedScheduling"))
        assert events[0]["type"] == "Warning"
        assert events[0]["message"] == (
            "0/3 nodes are available: 1 node(s) had untolerated taint "
            "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 "
            "nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption "
            "victims found for incoming pod."
        )
        huge = lab.get("pods", "huge")
        assert huge is not None and not huge["spec"].get("nodeName")
        cond = next(c for c in huge["status"]["conditions"] if c["type"] == "PodScheduled")
        assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")


async def test_pending_pod_is_scheduled_once_a_node_frees_up(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=()) as lab:
        lab.create("pods", pod("big-a", cpu="3"))
        lab.create("pods", pod("big-b", cpu="3"))
        await settle(
            lambda: all(
                (lab.get("pods", n) or {}).get("spec", {}).get("nodeName")
                for n in ("big-a", "big-b")
            )
        )
        lab.create("pods", pod("big-c", cpu="3"))
        await settle(lambda: lab.events("FailedScheduling"))
        lab.api.delete(lab.res("pods"), "default", "big-a")
        placed = await settle(
            lambda: (lab.get("pods", "big-c") or {}).get("spec", {}).get("nodeName")
        )
        assert placed in WORKERS


async def test_endpoints_and_slices_follow_pod_readiness(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=CORE) as lab:
        lab.create("deployments", deployment(replicas=2), group="apps")
        lab.create(
            "services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web"},
                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
            },
        )

        def both_bound() -> list:
            pods = [p for p in lab.list("pods") if p["spec"].get("nodeName")]
            return pods if len(pods) == 2 else []

        pods = await settle(both_bound)
        lab.set_pod_ready(pods[0], "10.244.1.5")
        lab.set_pod_ready(pods[1], "10.244.2.7", ready=False)

        def subsets() -> list:
            ep = lab.get("endpoints", "web") or {}
            return ep.get("subsets") or []

        got = await settle(
            lambda: subsets() if subsets() and subsets()[0].get("notReadyAddresses") else []
        )
        assert [a["ip"] for a in got[0]["addresses"]] == ["10.244.1.5"]
        assert [a["ip"] for a in got[0]["notReadyAddresses"]] == ["10.244.2.7"]
        assert got[0]["ports"] == [{"port": 8080, "protocol": "TCP"}]

        lab.set_pod_ready(lab.get("pods", pods[1]["metadata"]["name"]), "10.244.2.7")
        got = await settle(
            lambda: subsets() if len(subsets()[0].get("addresses") or []) == 2 else []
        )
        assert "notReadyAddresses" not in got[0]

        def web_slices() -> list[dict]:
            return [
                s
                for s in lab.list("endpointslices", "discovery.k8s.io")
                if s["metadata"]["labels"].get("kubernetes.io/service-name") == "web"
            ]

        assert len(web_slices()) == 1
        await settle(
            lambda: all(e["conditions"]["ready"] for e in (web_slices()[0].get("endpoints") or []))
        )
