"""The kube-system a learner finds on kind: control-plane mirror pods, CoreDNS, kube-proxy,
kindnet, metrics-server, local-path-provisioner (data in kubesim/system.yaml)."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import TYPE_CHECKING, Any

from kubesim.core.data import read_data
from kubesim.core.errors import AlreadyExists, ApiError

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api

Obj = dict[str, Any]


@cache
def _data() -> Obj:
    return read_data("system.yaml")


def create_system_objects(api: Api) -> None:
    """Create the add-on objects once; a learner's later changes are theirs to keep."""
    for obj in _data()["objects"]:
        api_version, kind = obj["apiVersion"], obj["kind"]
        res = api.resource_for(api_version, kind)
        namespace = obj["metadata"].get("namespace")
        try:
            api.create(res, namespace, obj)
        except AlreadyExists:
            continue
        except ApiError:
            continue


def mirror_pods(node: Obj) -> list[Obj]:
    """The static pods of a control-plane node, as their mirror pods look in the API."""
    name = node["metadata"]["name"]
    pods = []
    for item in _data()["staticPods"]:
        digest = hashlib.md5(f"{name}/{item['component']}".encode()).hexdigest()
        pods.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{item['component']}-{name}",
                    "namespace": "kube-system",
                    "labels": {"component": item["component"], "tier": "control-plane"},
                    "annotations": {
                        "kubernetes.io/config.hash": digest,
                        "kubernetes.io/config.mirror": digest,
                        "kubernetes.io/config.seen": "2026-11-24T00:00:00.000000000Z",
                        "kubernetes.io/config.source": "file",
                    },
                    "ownerReferences": [
                        {
                            "apiVersion": "v1",
                            "kind": "Node",
                            "name": name,
                            "uid": node["metadata"].get("uid", ""),
                            "controller": True,
                        }
                    ],
                },
                "spec": {
                    "nodeName": name,
                    "hostNetwork": True,
                    "priorityClassName": "system-node-critical",
                    "priority": 2000001000,
                    "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
                    "containers": [
                        {
                            "name": item["component"],
                            "image": item["image"],
                            "command": item["command"],
                            "imagePullPolicy": "IfNotPresent",
                            "resources": {"requests": item["requests"]},
                            "volumeMounts": [
                                {"name": v, "mountPath": path, "readOnly": ro}
                                for v, path, _, ro in item["volumes"]
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": v, "hostPath": {"path": path, "type": kind}}
                        for v, path, kind, _ in item["volumes"]
                    ],
                },
            }
        )
    return pods
