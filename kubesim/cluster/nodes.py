"""Node objects as kind registers them, and the kubelet's heartbeat (Lease + Ready).

The shape follows a kind node's: labels, the control-plane taint, podCIDR 10.244.N.0/24,
providerID kind://docker/<cluster>/<node>, InternalIP on the kind network, nodeInfo with the
pinned kubelet version. Capacity comes from kubesim/cluster.yaml.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass
from typing import Any

from kubesim.core.clusterconfig import cluster_config
from kubesim.kubelet._eviction import PRESSURE_TRUE

Obj = dict[str, Any]

READY = ("Ready", "KubeletReady", "kubelet is posting ready status")
PRESSURE = [
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
]
LEASE_DURATION = 40
HEARTBEAT_SECONDS = 10.0


@dataclass(frozen=True)
class NodeSpec:
    name: str
    role: str
    index: int
    ip: str


def node_specs() -> list[NodeSpec]:
    return [NodeSpec(**n) for n in cluster_config()["nodes"]]


def _uuid(seed: str) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def node_object(spec: NodeSpec, *, now: str) -> Obj:
    cfg = cluster_config()
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": spec.name,
        "kubernetes.io/os": "linux",
    }
    node_spec: Obj = {
        "podCIDR": f"10.244.{spec.index}.0/24",
        "podCIDRs": [f"10.244.{spec.index}.0/24"],
        "providerID": f"kind://docker/{cfg['name']}/{spec.name}",
    }
    if spec.role == "control-plane":
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        node_spec["taints"] = [
            {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
        ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": spec.name,
            "labels": labels,
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": node_spec,
        "status": node_status(spec, previous=None, now=now),
    }


def node_status(
    spec: NodeSpec, *, previous: Obj | None, now: str, memory_pressure: bool = False
) -> Obj:
    """The status a healthy kubelet posts; transition times survive when nothing changed.
    `memory_pressure`: the eviction manager's observation (nodestatus.MemoryPressureCondition)."""
    cfg = cluster_config()
    old = {c["type"]: c for c in (previous or {}).get("conditions", [])}

    def cond(kind: str, status: str, reason: str, message: str) -> Obj:
        before = old.get(kind)
        moved = before is None or before.get("status") != status
        return {
            "type": kind,
            "status": status,
            "lastHeartbeatTime": now,
            "lastTransitionTime": now if moved or before is None else before["lastTransitionTime"],
            "reason": reason,
            "message": message,
        }

    conditions = [
        cond(k, "True", *PRESSURE_TRUE)
        if k == "MemoryPressure" and memory_pressure
        else cond(k, "False", r, m)
        for k, r, m in PRESSURE
    ]
    conditions.append(cond(READY[0], "True", READY[1], READY[2]))
    capacity = dict(cfg["capacity"])
    return {
        "capacity": capacity,
        "allocatable": dict(capacity),
        "conditions": conditions,
        "addresses": [
            {"type": "InternalIP", "address": spec.ip},
            {"type": "Hostname", "address": spec.name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": "amd64",
            "bootID": _uuid(f"boot/{spec.name}"),
            "containerRuntimeVersion": cfg["containerRuntimeVersion"],
            "kernelVersion": platform.release(),
            "kubeProxyVersion": "",
            "kubeletVersion": cfg["kubernetesVersion"],
            "machineID": hashlib.sha256(f"machine/{spec.name}".encode()).hexdigest()[:32],
            "operatingSystem": "linux",
            "osImage": cfg["osImage"],
            "systemUUID": _uuid(f"system/{spec.name}"),
        },
        "images": (previous or {}).get("images", []),
    }


# kubelet nodestatus setters: the event each condition's transition records, by new status
CONDITION_EVENTS = {
    ("MemoryPressure", "False"): "NodeHasSufficientMemory",
    ("MemoryPressure", "True"): "NodeHasInsufficientMemory",
    ("DiskPressure", "False"): "NodeHasNoDiskPressure",
    ("DiskPressure", "True"): "NodeHasDiskPressure",
    ("PIDPressure", "False"): "NodeHasSufficientPID",
    ("PIDPressure", "True"): "NodeHasInsufficientPID",
    ("Ready", "True"): "NodeReady",
    ("Ready", "False"): "NodeNotReady",
}
# kubelet.go initializeModules / containerManager: what a starting kubelet says first
STARTUP_EVENTS = (
    ("Starting", "Starting kubelet."),
    ("NodeAllocatableEnforced", "Updated Node Allocatable limit across pods"),
)


def condition_events(previous: Obj | None, current: Obj) -> list[str]:
    """The reasons of the events a kubelet records posting ``current`` over ``previous``
    (node statuses): one per condition whose status changed, or that is new, in the
    setters' order; each event says `Node <name> status is now: <reason>`."""
    old = {c["type"]: c.get("status") for c in (previous or {}).get("conditions") or []}
    out = []
    for c in current.get("conditions") or []:
        reason = CONDITION_EVENTS.get((c["type"], c.get("status")))
        if reason is not None and old.get(c["type"]) != c.get("status"):
            out.append(reason)
    return out


def lease_object(node: Obj, *, now_micro: str) -> Obj:
    meta = node["metadata"]
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": meta["name"],
            "namespace": "kube-node-lease",
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "name": meta["name"],
                    "uid": meta.get("uid", ""),
                }
            ],
        },
        "spec": {
            "holderIdentity": meta["name"],
            "leaseDurationSeconds": LEASE_DURATION,
            "renewTime": now_micro,
        },
    }


def needs_status_update(node: Obj, *, memory_pressure: bool = False) -> bool:
    """True when the Ready condition is not the kubelet's own True (e.g. after the node
    lifecycle controller marked it Unknown), the pressure conditions are missing, or
    MemoryPressure is not what the eviction manager observes."""
    conds = {c["type"]: c for c in (node.get("status") or {}).get("conditions", [])}
    ready = conds.get("Ready")
    memory = (conds.get("MemoryPressure") or {}).get("status")
    return (
        ready is None
        or ready.get("status") != "True"
        or len(conds) < 4
        or memory != ("True" if memory_pressure else "False")
    )
