"""Live loops: claims bind as on kind (local-path, WaitForFirstConsumer) or to a static PV."""

from __future__ import annotations

from pathlib import Path

from _loops_helpers import running_lab, settle

from kubesim.apiserver.api import DeleteOptions

STORAGE = ("persistentvolume-binder",)


def _claim(name: str, **spec: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
            **spec,
        },
    }


def _consumer(claim: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "writer"},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "busybox:1.37",
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                }
            ],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        },
    }


async def test_a_claim_waits_for_its_pod_then_local_path_provisions_on_that_node(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=STORAGE) as lab:
        lab.create(  # kind's, where local-path-provisioner runs its helper pods
            "namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "local-path-storage"}},
            ns=None,
        )
        lab.create("persistentvolumeclaims", _claim("data"))
        waiting = await settle(lambda: lab.events("WaitForFirstConsumer"))
        assert waiting[0]["message"] == "waiting for first consumer to be created before binding"
        assert lab.get("persistentvolumeclaims", "data")["status"]["phase"] == "Pending"

        lab.create("pods", _consumer("data"))
        claim = await settle(
            lambda: (
                (c := lab.get("persistentvolumeclaims", "data"))["status"].get("phase") == "Bound"
                and c
            )
        )
        node = lab.get("pods", "writer")["spec"]["nodeName"]
        volume_name = f"pvc-{claim['metadata']['uid']}"
        assert claim["spec"]["volumeName"] == volume_name
        assert claim["spec"]["storageClassName"] == "standard"
        assert claim["status"] == {
            "phase": "Bound",
            "accessModes": ["ReadWriteOnce"],
            "capacity": {"storage": "1Gi"},
        }
        notes = claim["metadata"]["annotations"]
        assert notes["volume.kubernetes.io/selected-node"] == node
        assert notes["volume.kubernetes.io/storage-provisioner"] == "rancher.io/local-path"
        assert notes["pv.kubernetes.io/bind-completed"] == "yes"
        assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
        volume = await settle(
            lambda: (
                (v := lab.get("persistentvolumes", volume_name, ns=None))
                and v.get("status", {}).get("phase") == "Bound"
                and v
            )
        )
        assert volume["spec"]["hostPath"]["path"] == (
            f"/var/local-path-provisioner/{volume_name}_default_data"
        )
        terms = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"]
        assert terms[0]["matchExpressions"][0]["values"] == [node]
        assert volume["spec"]["claimRef"]["uid"] == claim["metadata"]["uid"]
        reasons = [e["reason"] for e in lab.list("events")]
        assert {"ExternalProvisioning", "Provisioning", "ProvisioningSucceeded"} <= set(reasons)
        provisioner = lab.events("ProvisioningSucceeded")[0]["source"]["component"]
        assert provisioner.startswith("rancher.io/local-path_")

        # pvc-protection: deleting the claim while its pod exists leaves it Terminating
        lab.api.delete(lab.res("persistentvolumeclaims"), "default", "data")
        held = lab.get("persistentvolumeclaims", "data")
        assert held is not None and held["metadata"].get("deletionTimestamp")
        lab.api.delete(
            lab.res("pods"), "default", "writer", options=DeleteOptions(grace_period_seconds=0)
        )
        # then the claim goes; under Delete the volume is Released and local-path's helper pod
        # deletes its folder on the node
        helper_name = f"helper-pod-delete-{volume_name}"
        helper = await settle(lambda: lab.get("pods", helper_name, ns="local-path-storage"))
        assert lab.get("persistentvolumeclaims", "data") is None
        assert lab.get("persistentvolumes", volume_name, ns=None)["status"]["phase"] == "Released"
        assert helper["spec"]["nodeName"] == node
        container = helper["spec"]["containers"][0]
        assert container["command"] == ["/bin/sh", "-c", 'set -eu; rm -rf "$VOL_DIR"']
        assert {"name": "VOL_DIR", "value": volume["spec"]["hostPath"]["path"]} in container["env"]
        assert helper["spec"]["volumes"][0]["hostPath"]["path"] == "/var/local-path-provisioner"
        # no kubelet here: the helper pod's success is written as the kubelet would
        helper["status"] = {"phase": "Succeeded"}
        lab.api.update(
            lab.res("pods"), "local-path-storage", helper_name, helper, subresource="status"
        )
        await settle(
            lambda: (
                lab.get("persistentvolumes", volume_name, ns=None) is None
                and lab.get("pods", helper_name, ns="local-path-storage") is None
            )
        )


async def test_a_claim_with_a_class_name_no_provisioner_serves_binds_a_fitting_static_pv(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=STORAGE) as lab:
        for name, size in (("big", "10Gi"), ("small", "2Gi")):
            lab.create(
                "persistentvolumes",
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {"name": name},
                    "spec": {
                        "storageClassName": "manual",
                        "capacity": {"storage": size},
                        "accessModes": ["ReadWriteOnce"],
                        "hostPath": {"path": f"/mnt/{name}"},
                    },
                },
                ns=None,
            )
        await settle(
            lambda: (
                lab.get("persistentvolumes", "big", ns=None).get("status", {}).get("phase")
                == "Available"
            )
        )
        lab.create("persistentvolumeclaims", _claim("task-pv-claim", storageClassName="manual"))
        claim = await settle(
            lambda: (
                (c := lab.get("persistentvolumeclaims", "task-pv-claim"))["status"].get("phase")
                == "Bound"
                and c
            )
        )
        assert claim["spec"]["volumeName"] == "small"  # the smallest that fits
        assert claim["status"]["capacity"] == {"storage": "2Gi"}
        await settle(
            lambda: lab.get("persistentvolumes", "small", ns=None)["status"]["phase"] == "Bound"
        )
        assert lab.get("persistentvolumes", "big", ns=None)["status"]["phase"] == "Available"


async def test_a_classless_claim_with_nothing_to_bind_says_so(tmp_path: Path) -> None:
    async with running_lab(tmp_path, controllers=STORAGE) as lab:
        lab.create("persistentvolumeclaims", _claim("orphan", storageClassName=""))
        failed = await settle(lambda: lab.events("FailedBinding"))
        assert failed[0]["message"] == (
            "no persistent volumes available for this claim and no storage class is set"
        )
        assert failed[0]["type"] == "Normal"  # pv_controller's syncUnboundClaim: EventTypeNormal


async def test_a_claim_naming_a_class_that_does_not_exist_fails_to_provision(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=STORAGE) as lab:
        lab.create("persistentvolumeclaims", _claim("fast", storageClassName="ssd"))
        failed = await settle(lambda: lab.events("ProvisioningFailed"))
        assert failed[0]["type"] == "Warning"
        assert failed[0]["message"] == 'storageclass.storage.k8s.io "ssd" not found'
        assert failed[0]["source"]["component"] == "persistentvolume-controller"
        assert lab.get("persistentvolumeclaims", "fast")["status"]["phase"] == "Pending"


async def test_a_retain_class_provisions_a_retained_volume_that_is_released_with_its_claim(
    tmp_path: Path,
) -> None:
    async with running_lab(tmp_path, controllers=STORAGE) as lab:
        lab.create(
            "storageclasses",
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": "ssd-retain"},
                "provisioner": "rancher.io/local-path",
                "reclaimPolicy": "Retain",
                "volumeBindingMode": "WaitForFirstConsumer",
            },
            group="storage.k8s.io",
            ns=None,
        )
        lab.create("persistentvolumeclaims", _claim("kept", storageClassName="ssd-retain"))
        lab.create("pods", _consumer("kept"))
        claim = await settle(
            lambda: (
                (c := lab.get("persistentvolumeclaims", "kept"))["status"].get("phase") == "Bound"
                and c
            )
        )
        volume_name = claim["spec"]["volumeName"]
        volume = lab.get("persistentvolumes", volume_name, ns=None)
        assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"

        lab.api.delete(
            lab.res("pods"), "default", "writer", options=DeleteOptions(grace_period_seconds=0)
        )
        lab.api.delete(lab.res("persistentvolumeclaims"), "default", "kept")
        released = await settle(
            lambda: (
                (v := lab.get("persistentvolumes", volume_name, ns=None))
                and v.get("status", {}).get("phase") == "Released"
                and v
            )
        )
        assert released["spec"]["claimRef"]["name"] == "kept"
        assert lab.get("persistentvolumeclaims", "kept") is None
