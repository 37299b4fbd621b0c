"""local-path's teardown helper pod deletes only the folder the provisioner made for the
volume: a volume written by hand with local-path's annotations and another path is deleted
without a helper pod (in process mode a pod's paths are the host's)."""

from __future__ import annotations

from typing import Any

import pytest

from kubesim.controllers._actions import Create, Delete
from kubesim.controllers._volumes import reconcile_volume


def _released(path: str, name: str = "pvc-1234") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": name,
            "uid": "u-1",
            "annotations": {
                "pv.kubernetes.io/provisioned-by": "rancher.io/local-path",
                "local.path.provisioner/selected-node": "kubelab-worker",
            },
        },
        "spec": {
            "persistentVolumeReclaimPolicy": "Delete",
            "hostPath": {"path": path},
            "claimRef": {"namespace": "lab-09", "name": "gone", "uid": "c-1"},
        },
        "status": {"phase": "Released"},
    }


def test_the_provisioners_own_folder_is_torn_down_by_a_helper_pod() -> None:
    volume = _released("/var/local-path-provisioner/pvc-1234_lab-09_gone")
    actions = reconcile_volume(volume, claims=[], helpers={}).actions
    assert [type(a) for a in actions] == [Create]
    pod = actions[0].obj
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["VOL_DIR"] == "/var/local-path-provisioner/pvc-1234_lab-09_gone"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/root",
        "/var/local-path-provisioner",
        "/var/local-path-provisioner/other-volume_lab-09_x",
        "/var/local-path-provisioner/pvc-1234_x/../../../etc",
    ],
)
def test_any_other_path_is_never_given_to_a_teardown_pod(path: str) -> None:
    actions = reconcile_volume(_released(path), claims=[], helpers={}).actions
    assert all(not isinstance(a, Create) for a in actions)
    assert any(isinstance(a, Delete) and a.name == "pvc-1234" for a in actions)
