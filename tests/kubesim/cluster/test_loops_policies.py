"""Live loops: HPA scaling, PDB refusals, garbage collection, node lifecycle, quota usage."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from _loops_helpers import deployment, pod, running_lab, settle

from kubesim.apiserver import subresources as _subresources
from kubesim.apiserver.api import DeleteOptions
from kubesim.core.clock import parse_time
from kubesim.core.errors import TooManyRequests

APPS = ("deployment", "replicaset", "garbagecollector")


async def _ready_pods(lab, n: int, *, since: str | None = None) -> list:
    pods = await settle(
        lambda: (
            lab.list("pods")
            if len(lab.list("pods")) == n
            and all(p["spec"].get("nodeName") for p in lab.list("pods"))
            else []
        )
    )
    for i, p in enumerate(pods):
        lab.set_pod_ready(p, f"10.244.1.{10 + i}", since=since)
    return pods


def _create_budget(lab) -> None:
    """web-pdb: minAvailable 2 over the app=web pods."""
    lab.create(
        "poddisruptionbudgets",
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web-pdb"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
        },
        group="policy",
    )


async def test_hpa_scales_a_deployment_up_from_measured_cpu(tmp_path: Path) -> None:
    async with running_lab(
        tmp_path, scale=50, controllers=(*APPS, "horizontalpodautoscaling")
    ) as lab:
        lab.create("deployments", deployment(replicas=2, cpu="200m"), group="apps")
        await _ready_pods(lab, 2, since=lab.api.clock.rfc3339(-600))
        lab.metrics.cpu = "400m"  # 200 % of the request against a 50 % target
        lab.create(
            "horizontalpodautoscalers",
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "web"},
                "spec": {
                    "scaleTargetRef": {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": "web",
                    },
                    "minReplicas": 1,
                    "maxReplicas": 5,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": 50},
                            },
                        }
                    ],
                },
            },
            group="autoscaling",
            version="v2",
        )
        scaled = await settle(
            lambda: (
                (lab.get("deployments", "web", "apps") or {}).get("spec", {}).get("replicas") == 5
            )
        )
        assert scaled
        events = await settle(lambda: lab.events("SuccessfulRescale"))
        # no `behavior`: the legacy limit max(2 x current, 4) allows 4 first, then max 5
        assert sorted(e["message"] for e in events) == [
            f"New size: {n}; reason: cpu resource utilization (percentage of request) above target"
            for n in (4, 5)
        ]
        first, second = sorted(parse_time(e["firstTimestamp"]) for e in events)
        assert (second - first).total_seconds() >= 15, "at most one rescale per sync period"
        hpa = lab.get("horizontalpodautoscalers", "web", "autoscaling", "v2")
        assert hpa["status"]["desiredReplicas"] == 5
        assert (
            hpa["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 200
        )


async def test_eviction_is_refused_with_429_when_the_budget_allows_no_disruption(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=(*APPS, "disruption")) as lab:
        lab.create("deployments", deployment(replicas=2), group="apps")
        pods = await _ready_pods(lab, 2)
        _create_budget(lab)
        await settle(
            lambda: (
                (lab.get("poddisruptionbudgets", "web-pdb", "policy") or {})
                .get("status", {})
                .get("currentHealthy")
                == 2
            )
        )
        name = pods[0]["metadata"]["name"]
        with pytest.raises(TooManyRequests) as refused:
            _subresources.evict(
                lab.api,
                "default",
                name,
                {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}},
            )
        status = refused.value.status
        assert status["code"] == 429
        assert status["message"] == (
            "Cannot evict pod as it would violate the pod's disruption budget."
        )
        assert status["details"]["causes"] == [
            {
                "reason": "DisruptionBudget",
                "message": "The disruption budget web-pdb needs 2 healthy pods and has 2 currently",
            }
        ]
        assert lab.get("pods", name) is not None


async def test_eviction_spends_the_one_allowed_disruption(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=(*APPS, "disruption")) as lab:
        lab.create("deployments", deployment(replicas=3), group="apps")
        pods = await _ready_pods(lab, 3)
        _create_budget(lab)
        await settle(
            lambda: (
                (lab.get("poddisruptionbudgets", "web-pdb", "policy") or {})
                .get("status", {})
                .get("disruptionsAllowed")
                == 1
            )
        )
        first, second = (p["metadata"]["name"] for p in pods[:2])
        _subresources.evict(lab.api, "default", first, {"metadata": {"name": first}})
        with pytest.raises(TooManyRequests):
            _subresources.evict(lab.api, "default", second, {"metadata": {"name": second}})


async def test_a_dry_run_eviction_is_judged_but_spends_nothing(tmp_path: Path) -> None:
    """`kubectl drain --dry-run=server`: checkAndDecrement returns before it decrements, so a
    real drain right after still has the budget's one disruption."""
    async with running_lab(tmp_path, controllers=(*APPS, "disruption")) as lab:
        lab.create("deployments", deployment(replicas=3), group="apps")
        pods = await _ready_pods(lab, 3)
        _create_budget(lab)

        def allowed() -> int | None:
            budget = lab.get("poddisruptionbudgets", "web-pdb", "policy") or {}
            return budget.get("status", {}).get("disruptionsAllowed")

        await settle(lambda: allowed() == 1)
        first, second = (p["metadata"]["name"] for p in pods[:2])
        body = {"metadata": {"name": first}, "deleteOptions": {"dryRun": ["All"]}}
        _subresources.evict(lab.api, "default", first, body)
        _subresources.evict(
            lab.api, "default", second, {"metadata": {"name": second}}, dry_run=True
        )
        assert allowed() == 1
        kept = lab.get("pods", first) or {}
        assert not kept["metadata"].get("deletionTimestamp")
        assert "DisruptionTarget" not in {c["type"] for c in kept["status"].get("conditions", [])}
        _subresources.evict(lab.api, "default", first, {"metadata": {"name": first}})
        assert allowed() == 0  # the real eviction spends it


async def test_deleting_a_deployment_cascades_to_its_replicaset_and_pods(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=APPS) as lab:
        lab.create("deployments", deployment(replicas=2), group="apps")
        await settle(lambda: len(lab.list("pods")) == 2)
        lab.api.delete(lab.res("deployments", "apps"), "default", "web")
        await settle(lambda: not lab.list("replicasets", "apps") and not lab.list("pods"))


async def test_foreground_deletion_keeps_the_owner_until_dependents_are_gone(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=("garbagecollector",)) as lab:
        owner = lab.create(
            "configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}}
        )
        ref = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "owner",
            "uid": owner["metadata"]["uid"],
            "blockOwnerDeletion": True,
        }
        lab.create(
            "configmaps",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "dep", "ownerReferences": [ref]},
            },
        )
        lab.api.delete(
            lab.res("configmaps"),
            "default",
            "owner",
            options=DeleteOptions(propagation_policy="Foreground"),
        )
        held = lab.get("configmaps", "owner")
        assert held is not None and "foregroundDeletion" in held["metadata"]["finalizers"]
        await settle(lambda: lab.get("configmaps", "owner") is None)
        assert lab.get("configmaps", "dep") is None


async def test_orphan_deletion_leaves_dependents_without_owner_references(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=APPS) as lab:
        lab.create("deployments", deployment(replicas=1), group="apps")
        await settle(lambda: len(lab.list("pods")) == 1)
        lab.api.delete(
            lab.res("deployments", "apps"),
            "default",
            "web",
            options=DeleteOptions(propagation_policy="Orphan"),
        )
        await settle(lambda: lab.get("deployments", "web", "apps") is None)
        rss = lab.list("replicasets", "apps")
        assert len(rss) == 1
        assert not rss[0]["metadata"].get("ownerReferences")
        assert len(lab.list("pods")) == 1


async def test_node_that_stops_heartbeating_goes_unknown_tainted_and_its_pods_are_evicted(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, scale=100, controllers=(*APPS, "nodelifecycle")) as lab:
        leases = lab.res("leases", "coordination.k8s.io")
        for n in ("kubelab-control-plane", "kubelab-worker", "kubelab-worker2"):
            lab.api.create(
                leases,
                "kube-node-lease",
                {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {"name": n},
                    "spec": {"holderIdentity": n, "renewTime": lab.api.clock.rfc3339_micro()},
                },
            )
        worker = "kubelab-worker"
        lab.create(
            "pods",
            {
                **pod("victim"),
                "spec": {
                    **pod("victim")["spec"],
                    "nodeName": worker,
                    "tolerations": [
                        {
                            "key": "node.kubernetes.io/unreachable",
                            "operator": "Exists",
                            "effect": "NoExecute",
                            "tolerationSeconds": 30,
                        }
                    ],
                },
            },
        )

        def renew_others() -> None:
            for n in ("kubelab-control-plane", "kubelab-worker2"):
                lease = copy.deepcopy(lab.api.get(leases, "kube-node-lease", n))
                lease["spec"]["renewTime"] = lab.api.clock.rfc3339_micro()
                lab.api.update(leases, "kube-node-lease", n, lease)
                node = copy.deepcopy(lab.api.get(lab.res("nodes"), None, n))
                node["status"]["conditions"][0]["lastHeartbeatTime"] = lab.api.clock.rfc3339()
                lab.api.update(lab.res("nodes"), None, n, node, subresource="status")

        def tainted() -> bool:
            renew_others()
            node = lab.get("nodes", worker, ns=None) or {}
            return any(
                t["key"] == "node.kubernetes.io/unreachable"
                for t in node.get("spec", {}).get("taints") or []
            )

        await settle(tainted, timeout=10)
        node = lab.get("nodes", worker, ns=None)
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert (ready["status"], ready["reason"], ready["message"]) == (
            "Unknown",
            "NodeStatusUnknown",
            "Kubelet stopped posting node status.",
        )
        assert lab.get("pods", "victim") is not None  # tolerated for 30 s first

        def evicted() -> bool:
            renew_others()
            return lab.get("pods", "victim") is None

        await settle(evicted, timeout=10)
        assert lab.events("TaintManagerEviction")[0]["message"] == (
            "Marking for deletion Pod default/victim"
        )
        other = lab.get("nodes", "kubelab-worker2", ns=None)
        assert not other["spec"].get("taints")


async def test_quota_status_counts_pod_requests(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=("resourcequota",)) as lab:
        lab.create(
            "resourcequotas",
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "compute-quota"},
                "spec": {"hard": {"pods": "10", "requests.cpu": "2", "count/configmaps": "5"}},
            },
        )
        lab.create(
            "configmaps",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}},
        )
        lab.create("pods", pod("a", cpu="500m"))
        lab.create("pods", pod("b", cpu="250m"))

        def used() -> dict:
            q = lab.get("resourcequotas", "compute-quota") or {}
            u = q.get("status", {}).get("used") or {}
            return u if u.get("pods") == "2" else {}

        got = await settle(used)
        assert got["requests.cpu"] == "750m"
        assert got["count/configmaps"] == "1"
