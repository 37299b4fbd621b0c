"""The persistent-volume controller and kind's local-path provisioner, as pure decisions.

A claim binds in steps, one write per pass, each pass triggered by the previous write (as
the real binder does, so a stale decision loses with 409 and is recomputed):

    dynamic (class with provisioner rancher.io/local-path, WaitForFirstConsumer)
      no consumer pod yet        -> event WaitForFirstConsumer
      a consumer is scheduled    -> claim annotated with the selected node and provisioner
      annotated, no volume       -> the provisioner creates PV pvc-<claim uid> on that node
    static (a class name no provisioner serves, or "")
      an Available PV fits       -> its claimRef is set (the smallest that fits)
      none fits                  -> event FailedBinding (no class), ProvisioningFailed (a
                                    class that does not exist)
    then, either way
      PV claims it, claim has no volumeName -> claim gets volumeName and the bind annotations
      claim status not Bound                -> status Bound with the PV's capacity and modes

A volume's own pass: Available while unclaimed, Bound once its claim points at it, and when
its claim is gone Released (Retain) or deleted (Delete). A local-path volume under Delete is
Released first, then its provisioner deletes the data as local-path-provisioner does: a
helper pod `helper-pod-delete-<pv>` in local-path-storage, on the volume's node, with the
volume's parent folder mounted, runs the teardown script of kind's local-path-config
(`rm -rf "$VOL_DIR"`, inlined here); once it Succeeded the helper pod and the PV are deleted. A deleted claim keeps its
kubernetes.io/pvc-protection finalizer while a pod that is not finished uses it, and a
deleted volume its kubernetes.io/pv-protection finalizer while a claim is bound to it (the
StorageObjectInUseProtection admission plugin puts both on at creation).
Wording of events and annotations: pkg/controller/volume/persistentvolume and
rancher/local-path-provisioner.
"""

from __future__ import annotations

from typing import Any

from kubesim.core.objects import (
    Obj,
    deepcopy,
    deleting,
    meta,
    name,
    parse_quantity,
    without_finalizer,
)

from ._actions import (
    Create,
    Decision,
    Emit,
    Event,
    EventType,
    Update,
    UpdateStatus,
    delete_of,
    object_ref,
)

LOCAL_PATH = "rancher.io/local-path"
LOCAL_PATH_NAMESPACE = "local-path-storage"
LOCAL_PATH_BASE = "/var/local-path-provisioner"  # kind's local-path-config nodePathMap
HELPER_IMAGE = "docker.io/kindest/local-path-helper:v20251120-bc2bfd3a"  # kind's --helper-image
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
PROVISIONER_ANNOTATIONS = (
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/storage-provisioner",
)


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _phase(obj: Obj) -> str:
    return str((obj.get("status") or {}).get("phase") or "")


def _request(claim: Obj) -> Any:
    raw = ((_spec(claim).get("resources") or {}).get("requests") or {}).get("storage", "0")
    return parse_quantity(str(raw)).value


def _capacity(volume: Obj) -> Any:
    return parse_quantity(str((_spec(volume).get("capacity") or {}).get("storage", "0"))).value


def _consumers(claim: Obj, pods: list[Obj]) -> list[Obj]:
    """Pods of the claim's namespace that mount it."""
    ns, claim_name = meta(claim).get("namespace"), name(claim)
    return [
        p
        for p in pods
        if meta(p).get("namespace") == ns
        and any(
            (v.get("persistentVolumeClaim") or {}).get("claimName") == claim_name
            for v in _spec(p).get("volumes") or []
        )
    ]


def _claim_ref(claim: Obj) -> Obj:
    m = meta(claim)
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "name": m["name"],
        "namespace": m.get("namespace"),
        "uid": m.get("uid"),
        "resourceVersion": m.get("resourceVersion"),
    }


def _claims(volume: Obj, claim: Obj) -> bool:
    ref = _spec(volume).get("claimRef") or {}
    m = meta(claim)
    return (
        ref.get("name") == m.get("name")
        and ref.get("namespace") == m.get("namespace")
        and ref.get("uid") in (None, m.get("uid"))
    )


def _event(obj: Obj, type_: EventType, reason: str, message: str) -> Emit:
    return Emit(Event(object_ref(obj), type_, reason, message))


def _fits(volume: Obj, claim: Obj) -> bool:
    vspec, cspec = _spec(volume), _spec(claim)
    return (
        not vspec.get("claimRef")
        and _phase(volume) in ("", "Pending", "Available")
        and not deleting(volume)
        and (vspec.get("storageClassName") or "") == (cspec.get("storageClassName") or "")
        and set(cspec.get("accessModes") or []) <= set(vspec.get("accessModes") or [])
        and (vspec.get("volumeMode") or "Filesystem") == (cspec.get("volumeMode") or "Filesystem")
        and _capacity(volume) >= _request(claim)
    )


def provisioned_volume(claim: Obj, node: str, *, reclaim_policy: str = "Delete") -> Obj:
    """The PersistentVolume local-path-provisioner creates for `claim` on `node`, with its
    class's reclaimPolicy (the external provisioner library copies `class.ReclaimPolicy`)."""
    m, spec = meta(claim), _spec(claim)
    volume_name = f"pvc-{m['uid']}"
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": volume_name,
            "annotations": {
                "local.path.provisioner/selected-node": node,
                "pv.kubernetes.io/provisioned-by": LOCAL_PATH,
            },
        },
        "spec": {
            "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
            "capacity": {"storage": (spec.get("resources") or {})["requests"]["storage"]},
            "claimRef": _claim_ref(claim),
            "hostPath": {
                "path": f"{LOCAL_PATH_BASE}/{volume_name}_{m['namespace']}_{m['name']}",
                "type": "DirectoryOrCreate",
            },
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/hostname",
                                    "operator": "In",
                                    "values": [node],
                                }
                            ]
                        }
                    ]
                }
            },
            "persistentVolumeReclaimPolicy": reclaim_policy,
            "storageClassName": spec.get("storageClassName"),
            "volumeMode": spec.get("volumeMode") or "Filesystem",
        },
    }


def reconcile_claim(
    claim: Obj, volumes: list[Obj], classes: dict[str, Obj], pods: list[Obj]
) -> tuple[Decision, Decision]:
    """One pass over a claim: (the persistent-volume controller's actions, the
    provisioner's)."""
    none = Decision([])
    m, spec = meta(claim), _spec(claim)
    if deleting(claim):
        in_use = [p for p in _consumers(claim, pods) if _phase(p) not in ("Succeeded", "Failed")]
        if PVC_PROTECTION in (m.get("finalizers") or []) and not in_use:
            return Decision([Update(without_finalizer(claim, PVC_PROTECTION))]), none
        return none, none
    bound = next((v for v in volumes if _claims(v, claim)), None)
    if bound is not None:
        if not spec.get("volumeName"):
            updated = deepcopy(claim)
            updated["spec"]["volumeName"] = name(bound)
            notes = updated["metadata"].setdefault("annotations", {})
            notes["pv.kubernetes.io/bind-completed"] = "yes"
            notes["pv.kubernetes.io/bound-by-controller"] = "yes"
            return Decision([Update(updated)]), none
        if _phase(claim) != "Bound":
            updated = deepcopy(claim)
            updated["status"] = {
                "phase": "Bound",
                "accessModes": list(_spec(bound).get("accessModes") or []),
                "capacity": dict(_spec(bound).get("capacity") or {}),
            }
            return Decision([UpdateStatus(updated)]), none
        return none, none
    if spec.get("volumeName"):
        return none, none  # pre-bound to a volume that does not exist (yet)
    class_name = spec.get("storageClassName") or ""
    storage_class = classes.get(class_name) if class_name else None
    if storage_class is None or storage_class.get("provisioner") == "kubernetes.io/no-provisioner":
        candidates = sorted((v for v in volumes if _fits(v, claim)), key=_capacity)
        if candidates:
            chosen = deepcopy(candidates[0])
            chosen["spec"]["claimRef"] = _claim_ref(claim)
            return Decision([Update(chosen)]), none
        if not class_name:  # syncUnboundClaim's default case, a Normal event
            message = "no persistent volumes available for this claim and no storage class is set"
            return Decision([_event(claim, "Normal", "FailedBinding", message)]), none
        if storage_class is None:  # provisionClaim: findProvisionablePlugin's lister error
            message = f'storageclass.storage.k8s.io "{class_name}" not found'
            return Decision([_event(claim, "Warning", "ProvisioningFailed", message)]), none
        message = f'storageclass.storage.k8s.io "{class_name}" not found'
        return Decision([_event(claim, "Warning", "FailedBinding", message)]), none
    provisioner = storage_class.get("provisioner", "")
    node = (m.get("annotations") or {}).get(SELECTED_NODE)
    if storage_class.get("volumeBindingMode") == "WaitForFirstConsumer" and not node:
        scheduled = [p for p in _consumers(claim, pods) if _spec(p).get("nodeName")]
        if not scheduled:
            return Decision(
                [
                    _event(
                        claim,
                        "Normal",
                        "WaitForFirstConsumer",
                        "waiting for first consumer to be created before binding",
                    )
                ]
            ), none
        updated = deepcopy(claim)
        notes = updated["metadata"].setdefault("annotations", {})
        notes[SELECTED_NODE] = _spec(scheduled[0])["nodeName"]
        for key in PROVISIONER_ANNOTATIONS:
            notes[key] = provisioner
        waiting = (
            f"Waiting for a volume to be created either by the external provisioner "
            f"'{provisioner}' or manually by the system administrator. If volume creation is "
            "delayed, please verify that the provisioner is running and correctly registered."
        )
        return Decision(
            [Update(updated), _event(claim, "Normal", "ExternalProvisioning", waiting)]
        ), none
    if provisioner != LOCAL_PATH or not node:
        return none, none  # no provisioner of that name runs in this cluster
    volume = provisioned_volume(
        claim, node, reclaim_policy=str(storage_class.get("reclaimPolicy") or "Delete")
    )
    claim_key = f"{m['namespace']}/{m['name']}"
    return none, Decision(
        [
            _event(
                claim,
                "Normal",
                "Provisioning",
                f'External provisioner is provisioning volume for claim "{claim_key}"',
            ),
            Create(volume),
            _event(
                claim,
                "Normal",
                "ProvisioningSucceeded",
                f"Successfully provisioned volume {name(volume)}",
            ),
        ]
    )


def _local_path_node(volume: Obj) -> str:
    """The node of a volume local-path provisioned (its selected-node annotation), else ""."""
    notes = meta(volume).get("annotations") or {}
    if notes.get("pv.kubernetes.io/provisioned-by") != LOCAL_PATH:
        return ""
    return str(notes.get("local.path.provisioner/selected-node") or "")


def _provisioners_own_folder(volume: Obj) -> bool:
    """Whether the volume's path is the folder local-path made for it (its base folder, the
    volume's own name first), the only kind of folder its teardown may delete. A volume
    written by hand with local-path's annotations and another hostPath (`/`, a home folder)
    is deleted without touching its folder: in process mode a pod's paths are the host's."""
    path = str((_spec(volume).get("hostPath") or {}).get("path") or "")
    return path.startswith(f"{LOCAL_PATH_BASE}/{name(volume)}_") and "/.." not in path


def helper_pod_name(volume: Obj) -> str:
    return f"helper-pod-delete-{name(volume)}"


def teardown_pod(volume: Obj) -> Obj:
    """local-path-provisioner's helper pod that deletes the volume's folder on its node."""
    path = str((_spec(volume).get("hostPath") or {}).get("path") or "")
    parent = path.rsplit("/", 1)[0] or "/"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": helper_pod_name(volume), "namespace": LOCAL_PATH_NAMESPACE},
        "spec": {
            "nodeName": _local_path_node(volume),
            "restartPolicy": "Never",
            "priorityClassName": "system-node-critical",
            "tolerations": [{"operator": "Exists"}],
            "containers": [
                {
                    "name": "helper-pod",
                    "image": HELPER_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["/bin/sh", "-c", 'set -eu; rm -rf "$VOL_DIR"'],
                    "env": [
                        {"name": "VOL_DIR", "value": path},
                        {"name": "VOL_MODE", "value": "Filesystem"},
                    ],
                    "volumeMounts": [{"name": "data", "mountPath": parent}],
                }
            ],
            "volumes": [
                {"name": "data", "hostPath": {"path": parent, "type": "DirectoryOrCreate"}}
            ],
        },
    }


def reconcile_volume(
    volume: Obj, claims: list[Obj], helpers: dict[str, Obj] | None = None
) -> Decision:
    """One pass over a volume: its phase, and its reclaim once its claim is gone.

    `helpers` are the pods of local-path-storage by name (the teardown helper pods)."""
    ref = _spec(volume).get("claimRef")
    claim = next((c for c in claims if _claims(volume, c)), None) if ref else None
    if deleting(volume):
        if PV_PROTECTION in (meta(volume).get("finalizers") or []) and claim is None:
            return Decision([Update(without_finalizer(volume, PV_PROTECTION))])
        return Decision([])
    if not ref:
        want = "Available"
    elif claim is not None:
        want = "Bound"
    elif _spec(volume).get("persistentVolumeReclaimPolicy") == "Delete":
        if not _local_path_node(volume) or not _provisioners_own_folder(volume):
            return Decision([delete_of(volume)])
        if _phase(volume) != "Released":
            want = "Released"
        else:
            helper = (helpers or {}).get(helper_pod_name(volume))
            if helper is None:
                return Decision([Create(teardown_pod(volume))])
            if _phase(helper) == "Succeeded" and not deleting(helper):
                return Decision([delete_of(helper), delete_of(volume)])
            return Decision([])
    else:
        want = "Released"
    if _phase(volume) == want:
        return Decision([])
    updated = deepcopy(volume)
    updated["status"] = {**(volume.get("status") or {}), "phase": want}
    return Decision([UpdateStatus(updated)])
