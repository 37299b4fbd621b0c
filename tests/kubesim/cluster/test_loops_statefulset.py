"""Live loops: a StatefulSet creates, scales and updates its pods in ordinal order."""

from __future__ import annotations

from pathlib import Path

from _loops_helpers import running_lab, settle

CONTROLLERS = ("statefulset", "persistentvolume-binder", "garbagecollector")


def _web(replicas: int = 3, image: str = "nginx:1.27", **spec: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web"},
        "spec": {
            "serviceName": "nginx",
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": image}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "www"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
            **spec,
        },
    }


def _names(lab) -> list[str]:
    return sorted(p["metadata"]["name"] for p in lab.list("pods"))


async def _ready(lab, name: str, ip: str) -> None:
    pod = await settle(lambda: (p := lab.get("pods", name)) and p["spec"].get("nodeName") and p)
    lab.set_pod_ready(pod, ip)


async def test_pods_start_one_at_a_time_in_ordinal_order_with_their_claims(tmp_path: Path):
    async with running_lab(tmp_path, controllers=CONTROLLERS) as lab:
        lab.create("statefulsets", _web(), group="apps")
        await settle(lambda: _names(lab) == ["web-0"])
        pod = lab.get("pods", "web-0")
        assert pod["spec"]["hostname"] == "web-0"
        assert pod["spec"]["subdomain"] == "nginx"
        assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-0"
        assert pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "0"
        revision = pod["metadata"]["labels"]["controller-revision-hash"]
        assert revision.startswith("web-")
        # the claim's volume, then the ServiceAccount admission plugin's token volume
        www, token = pod["spec"]["volumes"]
        assert www == {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}
        assert token["name"].startswith("kube-api-access-")
        claim = lab.get("persistentvolumeclaims", "www-web-0")
        assert claim["metadata"]["labels"] == {"app": "nginx"}
        # web-1 waits for web-0 to be Running and Ready
        assert _names(lab) == ["web-0"]
        await _ready(lab, "web-0", "10.244.1.10")
        await settle(lambda: _names(lab) == ["web-0", "web-1"])
        await _ready(lab, "web-1", "10.244.2.10")
        await settle(lambda: _names(lab) == ["web-0", "web-1", "web-2"])
        await _ready(lab, "web-2", "10.244.1.11")
        sts = await settle(
            lambda: (
                (s := lab.get("statefulsets", "web", group="apps", version="v1"))
                and s.get("status", {}).get("readyReplicas") == 3
                and s
            )
        )
        status = sts["status"]
        assert status["replicas"] == 3
        assert status["currentRevision"] == status["updateRevision"] == revision
        messages = [e["message"] for e in lab.events("SuccessfulCreate")]
        assert "create Claim www-web-0 Pod web-0 in StatefulSet web success" in messages
        assert "create Pod web-2 in StatefulSet web successful" in messages
        # every claim was provisioned (the binder runs: local-path, WaitForFirstConsumer)
        await settle(
            lambda: all(
                c.get("status", {}).get("phase") == "Bound"
                for c in lab.list("persistentvolumeclaims")
            )
        )

        # scale down: the highest ordinal goes, its claim stays
        scaled = lab.get("statefulsets", "web", group="apps", version="v1")
        scaled["spec"]["replicas"] = 2
        lab.api.update(lab.res("statefulsets", "apps"), "default", "web", scaled)
        await settle(lambda: _names(lab) == ["web-0", "web-1"])
        assert lab.get("persistentvolumeclaims", "www-web-2") is not None
        assert "delete Pod web-2 in StatefulSet web successful" in [
            e["message"] for e in lab.events("SuccessfulDelete")
        ]


async def test_a_rolling_update_replaces_the_highest_ordinal_first(tmp_path: Path):
    async with running_lab(tmp_path, controllers=CONTROLLERS) as lab:
        lab.create("statefulsets", _web(replicas=2), group="apps")
        await settle(lambda: "web-0" in _names(lab))
        await _ready(lab, "web-0", "10.244.1.10")
        await settle(lambda: "web-1" in _names(lab))
        await _ready(lab, "web-1", "10.244.2.10")
        old = lab.get("pods", "web-1")["metadata"]["labels"]["controller-revision-hash"]
        sts = lab.get("statefulsets", "web", group="apps", version="v1")
        sts["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
        lab.api.update(lab.res("statefulsets", "apps"), "default", "web", sts)

        def revision_of(name: str) -> str:
            pod = lab.get("pods", name)
            return pod["metadata"]["labels"]["controller-revision-hash"] if pod else ""

        await settle(lambda: revision_of("web-1") not in ("", old))
        assert revision_of("web-0") == old  # web-0 waits until web-1 is Ready again
        await _ready(lab, "web-1", "10.244.2.11")
        await settle(lambda: revision_of("web-0") not in ("", old))
        await _ready(lab, "web-0", "10.244.1.12")
        done = await settle(
            lambda: (
                (s := lab.get("statefulsets", "web", group="apps", version="v1"))["status"].get(
                    "currentRevision"
                )
                == revision_of("web-0")
                and s
            )
        )
        assert done["status"]["updatedReplicas"] == 2
        revisions = lab.list("controllerrevisions", group="apps")
        assert sorted(r["revision"] for r in revisions) == [1, 2]
