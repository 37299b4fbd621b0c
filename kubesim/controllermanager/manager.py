"""kube-controller-manager as asyncio tasks: informers, work queues, workers, and wiring.

A controller here is what it is in client-go: shared informers (one per resource, shared
by every controller of the manager), a work queue of keys that dedupes, and a worker that
reads the current objects from the informer caches, calls the pure ``kubesim.controllers``
decision and applies the actions (``_apply_actions.apply``). The queue, the caches and the
worker loop are in ``_workqueue``; the eviction subresource's PDB check in ``_eviction``.

Controllers (names as ``kube-controller-manager --controllers`` spells them):
  deployment, replicaset, replicationcontroller, daemonset and statefulset (with their ControllerRevisions), job (with the
  ttl-after-finished deletion folded in), cronjob, endpoints (Endpoints + EndpointSlices),
  horizontalpodautoscaling, disruption (PDB status), nodelifecycle (lease health, taints,
  taint eviction), garbagecollector, namespace, resourcequota, persistentvolume-binder
  (with pvc- and pv-protection and kind's local-path provisioner folded in),
  clusterrole-aggregation (admin/edit/view's rules from the aggregate-to-* roles),
  serviceaccount-token (the tokens of `kubernetes.io/service-account-token` Secrets),
  csrsigning (kube-apiserver-client certificates from the cluster CA) and csrcleaner.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import Callable, Collection, Hashable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kubesim.apiserver.signer import SigningError, certificate_not_after
from kubesim.client import timers
from kubesim.client.actuator import (
    CONTROLLER_MANAGER,
    PartialWrite,
    Written,
    apply,
    apply_async,
)
from kubesim.client.informer import key_of
from kubesim.client.recorder import EventRecorder
from kubesim.client.workqueue import GR, Caches, Controller
from kubesim.controllermanager.eviction import check_eviction
from kubesim.controllers import (
    LOCAL_PATH_NAMESPACE,
    Decision,
    HpaHistory,
    UpdateStatus,
    cleanup_csr,
    collect_pods,
    cronjob_key_of_job,
    fail_csr,
    hpa_without_target,
    issue_csr,
    missing_nodes,
    needs_token,
    next_sync_after_schedule_change,
    node_lifecycle,
    pods_to_evict,
    reconcile_claim,
    reconcile_clusterrole_aggregation,
    reconcile_cronjob,
    reconcile_daemonset,
    reconcile_deployment,
    reconcile_endpoints,
    reconcile_endpointslices,
    reconcile_gc,
    reconcile_hpa,
    reconcile_job,
    reconcile_namespace,
    reconcile_pdb,
    reconcile_replicaset,
    reconcile_replicationcontroller,
    reconcile_statefulset,
    reconcile_token_secret,
    reconcile_volume,
    release_pods,
    replica_failure_status,
    schedule_changed,
    signing_plan,
    token_secret_account,
)
from kubesim.core.errors import ApiError, Conflict, NotFound
from kubesim.core.objects import (
    controller_ref,
    deleting,
    labels,
    map_selector_matches,
    selector_matches,
)
from kubesim.core.quota import quota_status, recount_after

if TYPE_CHECKING:
    from kubesim.apiserver.api import Api
    from kubesim.apiserver.hooks import MetricsSource

Obj = dict[str, Any]
ALL_CONTROLLERS = (
    "deployment",
    "replicaset",
    "replicationcontroller",
    "daemonset",
    "statefulset",
    "job",
    "cronjob",
    "endpoints",
    "horizontalpodautoscaling",
    "disruption",
    "nodelifecycle",
    "garbagecollector",
    "podgc",
    "namespace",
    "resourcequota",
    "persistentvolume-binder",
    "clusterrole-aggregation",
    "serviceaccount-token",
    "csrsigning",
    "csrcleaner",
)
# Resources the manager keeps informers for: (group, version, plural).
WATCHED: tuple[tuple[str, str, str], ...] = (
    ("", "v1", "pods"),
    ("", "v1", "nodes"),
    ("", "v1", "persistentvolumeclaims"),
    ("", "v1", "persistentvolumes"),
    ("storage.k8s.io", "v1", "storageclasses"),
    ("", "v1", "services"),
    ("", "v1", "endpoints"),
    ("", "v1", "namespaces"),
    ("", "v1", "resourcequotas"),
    ("", "v1", "configmaps"),
    ("", "v1", "secrets"),
    ("apps", "v1", "deployments"),
    ("apps", "v1", "replicasets"),
    ("", "v1", "replicationcontrollers"),
    ("apps", "v1", "daemonsets"),
    ("apps", "v1", "statefulsets"),
    ("apps", "v1", "controllerrevisions"),
    ("batch", "v1", "jobs"),
    ("batch", "v1", "cronjobs"),
    ("discovery.k8s.io", "v1", "endpointslices"),
    ("autoscaling", "v2", "horizontalpodautoscalers"),
    ("policy", "v1", "poddisruptionbudgets"),
    ("coordination.k8s.io", "v1", "leases"),
    ("rbac.authorization.k8s.io", "v1", "clusterroles"),
    ("", "v1", "serviceaccounts"),
    ("certificates.k8s.io", "v1", "certificatesigningrequests"),
)
# Kinds whose ownerReferences the garbage collector follows.
GC_KINDS: tuple[GR, ...] = (
    ("", "pods"),
    ("", "persistentvolumeclaims"),  # a StatefulSet's retention policy owns its claims
    ("", "services"),
    ("", "configmaps"),
    ("", "secrets"),
    ("", "endpoints"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("", "replicationcontrollers"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "controllerrevisions"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("discovery.k8s.io", "endpointslices"),
)
NODE_MONITOR_PERIOD = 5.0  # --node-monitor-period
NODE_GRACE = 50.0  # --node-monitor-grace-period (50 s since Kubernetes 1.32)
NODE_STARTUP_GRACE = 60.0  # nodeStartupGracePeriod: a node that never reported yet
HPA_SYNC_PERIOD = 15.0  # --horizontal-pod-autoscaler-sync-period


# --- the manager --------------------------------------------------------------------------


def _ns_name(obj: Obj) -> tuple[str, str]:
    return key_of(obj)


def _ns(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("namespace") or ""


def _uid(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("uid") or ""


# the controllers whose scale a PodDisruptionBudget counts, by kind: (group, plural)
_SCALABLE = {
    "ReplicaSet": ("apps", "replicasets"),
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "ReplicationController": ("", "replicationcontrollers"),
}


class ControllerManager:
    """Builds the controllers over shared caches and wires informer events to queues."""

    def __init__(
        self, api: Api, *, metrics: MetricsSource, controllers: Collection[str] | None = None
    ) -> None:
        self.api = api
        self.metrics = metrics
        self.enabled = set(ALL_CONTROLLERS if controllers is None else controllers)
        # node name -> ((lease renewTime, Ready heartbeat) last seen, when this manager saw it)
        self._node_probes: dict[str, tuple[tuple[Any, Any], datetime]] = {}
        # node names pods are bound to that have no Node, since when (the pod GC's quarantine)
        self._missing_nodes: dict[str, datetime] = {}
        unknown = self.enabled - set(ALL_CONTROLLERS)
        if unknown:
            raise ValueError(
                f"unknown controllers {sorted(unknown)}: choose from {', '.join(ALL_CONTROLLERS)}"
            )
        self.caches = Caches(api, WATCHED)
        self.controllers: dict[str, Controller] = {}
        self.hpa_history: dict[tuple[str, str], HpaHistory] = {}
        self._provisioner_id = str(uuid.uuid4())
        self._recorders: dict[str, EventRecorder] = {}
        self._uid_index: dict[str, tuple[GR, str, str]] = {}
        self._dependents_index: dict[str, set[tuple[GR, str, str]]] = {}
        for name, sync in (
            ("deployment", self._sync_deployment),
            ("replicaset", self._sync_replicaset),
            ("replicationcontroller", self._sync_replicationcontroller),
            ("daemonset", self._sync_daemonset),
            ("statefulset", self._sync_statefulset),
            ("job", self._sync_job),
            ("cronjob", self._sync_cronjob),
            ("endpoints", self._sync_endpoints),
            ("horizontalpodautoscaling", self._sync_hpa),
            ("disruption", self._sync_pdb),
            ("nodelifecycle", self._sync_node),
            ("garbagecollector", self._sync_gc),
            ("podgc", self._sync_podgc),
            ("namespace", self._sync_namespace),
            ("resourcequota", self._sync_quota),
            ("persistentvolume-binder", self._sync_storage),
            ("clusterrole-aggregation", self._sync_clusterrole_aggregation),
            ("serviceaccount-token", self._sync_token_secret),
            ("csrsigning", self._sync_csr_signing),
            ("csrcleaner", self._sync_csr_cleaner),
        ):
            if name in self.enabled:
                self.controllers[name] = Controller(name, sync, self.caches)
        self._wire()

    # -- plumbing --

    def recorder(self, component: str) -> EventRecorder:
        if component not in self._recorders:
            self._recorders[component] = EventRecorder(self.api, component=component)
        return self._recorders[component]

    def now(self) -> datetime:
        return self.api.clock.now()

    def _apply(self, decision: Decision, component: str) -> tuple[list[Written], float | None]:
        written = apply(
            self.api, decision.actions, self.recorder(component), field_manager=CONTROLLER_MANAGER
        )
        return written, decision.requeue_after

    async def _apply_async(
        self, decision: Decision, component: str
    ) -> tuple[list[Written], float | None]:
        """`_apply` for the controllers that create pods in slow-start batches: it yields
        to the loop after each write, so the API server keeps answering meanwhile."""
        written = await apply_async(
            self.api, decision.actions, self.recorder(component), field_manager=CONTROLLER_MANAGER
        )
        return written, decision.requeue_after

    def _add(self, controller: str, key: Hashable) -> None:
        c = self.controllers.get(controller)
        if c is not None:
            c.enqueue(key)

    def _on(self, group: str, plural: str, handler: Callable[[str, Obj, Obj | None], None]) -> None:
        self.caches.informer(group, plural).on_change(handler)

    async def run(self) -> None:
        tasks = [asyncio.create_task(self.caches.run(), name="informers")]
        try:
            await self.caches.synced()
            tasks += [
                asyncio.create_task(c.run(), name=f"controller-{c.name}")
                for c in self.controllers.values()
            ]
            if "nodelifecycle" in self.controllers:
                tasks.append(asyncio.create_task(self._node_ticker(), name="node-monitor"))
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- event wiring: which keys a change makes dirty --

    def _wire(self) -> None:
        self._on("apps", "deployments", lambda k, o, p: self._add("deployment", _ns_name(o)))
        self._on("apps", "replicasets", self._replicaset_changed)
        self._on(
            "",
            "replicationcontrollers",
            lambda k, o, p: self._add("replicationcontroller", _ns_name(o)),
        )
        self._on("apps", "daemonsets", lambda k, o, p: self._add("daemonset", _ns_name(o)))
        self._on("apps", "statefulsets", lambda k, o, p: self._add("statefulset", _ns_name(o)))
        self._on("apps", "controllerrevisions", self._revision_changed)
        self._on("batch", "jobs", lambda k, o, p: self._add("job", _ns_name(o)))
        self._on("batch", "jobs", self._job_changed)
        self._on("batch", "cronjobs", self._cronjob_changed)
        self._on("", "nodes", lambda k, o, p: self._all_daemonsets())
        self._on("", "pods", self._pod_changed)
        self._on("", "services", lambda k, o, p: self._add("endpoints", _ns_name(o)))
        self._on("", "endpoints", lambda k, o, p: self._add("endpoints", _ns_name(o)))
        self._on("discovery.k8s.io", "endpointslices", self._slice_changed)
        self._on("autoscaling", "horizontalpodautoscalers", self._hpa_changed)
        self._on(
            "policy", "poddisruptionbudgets", lambda k, o, p: self._add("disruption", _ns_name(o))
        )
        self._on("", "nodes", lambda k, o, p: self._add("nodelifecycle", _ns_name(o)))
        self._on("", "nodes", lambda k, o, p: self._add("podgc", ""))
        self._on("", "namespaces", lambda k, o, p: self._add("namespace", _ns_name(o)))
        self._on("", "resourcequotas", lambda k, o, p: self._add("resourcequota", _ns_name(o)))
        for gr in GC_KINDS:
            self._on(*gr, self._gc_changed(gr))
        for plural in ("services", "configmaps", "secrets"):
            self._on("", plural, self._quota_dirty)
        self._on("", "persistentvolumeclaims", self._claim_changed)
        self._on("", "persistentvolumes", self._volume_changed)
        self._on("storage.k8s.io", "storageclasses", lambda k, o, p: self._all_claims())
        self._on(
            "rbac.authorization.k8s.io", "clusterroles", lambda k, o, p: self._aggregated_roles()
        )
        self._on("", "secrets", self._secret_changed)
        self._on("", "serviceaccounts", self._account_changed)
        self._on("certificates.k8s.io", "certificatesigningrequests", self._csr_changed)

    def _add_claim(self, key: tuple[str, str]) -> None:
        self._add("persistentvolume-binder", ("claim", *key))

    def _claim_changed(self, kind: str, claim: Obj, previous: Obj | None) -> None:
        self._add_claim(_ns_name(claim))
        volume = (claim.get("spec") or {}).get("volumeName")
        if volume:  # a claim bound, or gone: its volume's phase and reclaim follow
            self._add("persistentvolume-binder", ("volume", "", volume))

    def _all_claims(self) -> None:
        for claim in self.caches.items("", "persistentvolumeclaims"):
            self._add_claim(_ns_name(claim))

    def _volume_changed(self, kind: str, pv: Obj, previous: Obj | None) -> None:
        self._add("persistentvolume-binder", ("volume", "", _ns_name(pv)[1]))
        for volume in (pv, previous) if previous else (pv,):
            ref = (volume.get("spec") or {}).get("claimRef") or {}
            if ref.get("name"):
                self._add_claim((ref.get("namespace") or "", ref["name"]))
        if kind == "ADDED":  # a new volume may fit a claim that waits for one
            for claim in self.caches.items("", "persistentvolumeclaims"):
                if not (claim.get("spec") or {}).get("volumeName"):
                    self._add_claim(_ns_name(claim))

    def _deployments_of_rs(self, rs: Obj) -> list[tuple[str, str]]:
        ref = controller_ref(rs)
        if ref is not None:
            return [(_ns(rs), ref["name"])] if ref.get("kind") == "Deployment" else []
        return [
            _ns_name(d)
            for d in self.caches.items("apps", "deployments", _ns(rs))
            if selector_matches((d.get("spec") or {}).get("selector"), labels(rs))
        ]

    def _replicaset_changed(self, kind: str, rs: Obj, previous: Obj | None) -> None:
        self._add("replicaset", _ns_name(rs))
        for key in self._deployments_of_rs(rs) + (
            self._deployments_of_rs(previous) if previous else []
        ):
            self._add("deployment", key)

    def _pod_changed(self, kind: str, pod: Obj, previous: Obj | None) -> None:
        ns = _ns(pod)
        node = (pod.get("spec") or {}).get("nodeName")
        if kind != "DELETED" and (
            deleting(pod) or (node and self.caches.get("", "nodes", "", node) is None)
        ):
            self._add("podgc", "")  # a pod no kubelet may finish
        helper = _ns_name(pod)[1]
        if ns == LOCAL_PATH_NAMESPACE and helper.startswith("helper-pod-delete-"):
            self._add(
                "persistentvolume-binder", ("volume", "", helper[len("helper-pod-delete-") :])
            )
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                self._add_claim((ns, claim))
        for p in (pod, previous) if previous else (pod,):
            ref = controller_ref(p)
            if ref is not None and ref.get("kind") == "ReplicaSet":
                self._add("replicaset", (ns, ref["name"]))
                rs = self.caches.get("apps", "replicasets", ns, ref["name"])
                if rs is not None:
                    for key in self._deployments_of_rs(rs):
                        self._add("deployment", key)
            elif ref is not None and ref.get("kind") in ("Job", "DaemonSet", "StatefulSet"):
                self._add(ref["kind"].lower(), (ns, ref["name"]))
            elif ref is not None and ref.get("kind") == "ReplicationController":
                self._add("replicationcontroller", (ns, ref["name"]))
            elif ref is None and not deleting(p):
                for rs in self.caches.items("apps", "replicasets", ns):
                    if selector_matches((rs.get("spec") or {}).get("selector"), labels(p)):
                        self._add("replicaset", _ns_name(rs))
                for rc in self.caches.items("", "replicationcontrollers", ns):
                    if map_selector_matches((rc.get("spec") or {}).get("selector"), labels(p)):
                        self._add("replicationcontroller", _ns_name(rc))
                for controller, (group, plural) in (
                    ("job", ("batch", "jobs")),
                    ("daemonset", ("apps", "daemonsets")),
                    ("statefulset", ("apps", "statefulsets")),
                ):
                    for owner in self.caches.items(group, plural, ns):
                        if selector_matches((owner.get("spec") or {}).get("selector"), labels(p)):
                            self._add(controller, _ns_name(owner))
            for svc in self.caches.items("", "services", ns):
                if map_selector_matches((svc.get("spec") or {}).get("selector"), labels(p)):
                    self._add("endpoints", _ns_name(svc))
            for pdb in self.caches.items("policy", "poddisruptionbudgets", ns):
                if selector_matches((pdb.get("spec") or {}).get("selector"), labels(p)):
                    self._add("disruption", _ns_name(pdb))
        self._quota_dirty(kind, pod, previous)

    def _cronjob_changed(self, kind: str, cj: Obj, previous: Obj | None) -> None:
        """updateCronJob: a changed schedule or zone syncs at its next time, anything else now."""
        c = self.controllers.get("cronjob")
        if c is None:
            return
        if kind == "MODIFIED" and previous is not None and schedule_changed(previous, cj):
            delay = next_sync_after_schedule_change(cj, now=self.now())
            if delay is not None:
                c.queue.add_after(_ns_name(cj), delay)
                return
        c.enqueue(_ns_name(cj))

    def _job_changed(self, kind: str, job: Obj, previous: Obj | None) -> None:
        """addJob / updateJob / deleteJob: the CronJob that controls the Job (or did)."""
        for j in (job, previous) if previous else (job,):
            key = cronjob_key_of_job(j)
            if key is not None:
                self._add("cronjob", key)

    def _hpa_changed(self, kind: str, hpa: Obj, previous: Obj | None) -> None:
        """enqueueHPA: every request waits out the sync period (the queue's fixed-interval
        rate limiter), and one already waiting absorbs the next, so an HPA, whatever
        writes it (its own status, a learner's edit), is processed at most once per
        --horizontal-pod-autoscaler-sync-period and rescales at most once per period."""
        c = self.controllers.get("horizontalpodautoscaling")
        if c is not None:
            c.queue.add_after(_ns_name(hpa), HPA_SYNC_PERIOD)

    def _revision_changed(self, kind: str, rev: Obj, previous: Obj | None) -> None:
        ref = controller_ref(rev)
        if ref is not None and ref.get("kind") in ("DaemonSet", "StatefulSet"):
            self._add(ref["kind"].lower(), (_ns(rev), ref["name"]))

    def _all_daemonsets(self) -> None:
        """A node added, relabelled, tainted or cordoned may change where daemons run."""
        if "daemonset" not in self.controllers:
            return
        for ds in self.caches.items("apps", "daemonsets"):
            self._add("daemonset", _ns_name(ds))

    def _slice_changed(self, kind: str, es: Obj, previous: Obj | None) -> None:
        svc = labels(es).get("kubernetes.io/service-name")
        if svc:
            self._add("endpoints", (_ns(es), svc))

    def _quota_dirty(self, kind: str, obj: Obj, previous: Obj | None) -> None:
        if "resourcequota" not in self.controllers:
            return
        for quota in self.caches.items("", "resourcequotas", _ns(obj)):
            self._add("resourcequota", _ns_name(quota))

    def _gc_changed(self, gr: GR) -> Callable[[str, Obj, Obj | None], None]:
        def handler(kind: str, obj: Obj, previous: Obj | None) -> None:
            self._index(gr, kind, obj, previous)
            if "garbagecollector" not in self.controllers:
                return
            meta = obj.get("metadata") or {}
            if meta.get("ownerReferences") or meta.get("finalizers"):
                self._add("garbagecollector", (*gr, *_ns_name(obj)))
            if kind == "DELETED" or deleting(obj):
                # owners gone or going: their dependents may be garbage now
                for dep_gr, dep in self._dependents(_uid(obj)):
                    self._add("garbagecollector", (*dep_gr, *_ns_name(dep)))
            if kind == "DELETED":
                # a dependent gone: a foreground owner may be able to finish
                for ref in meta.get("ownerReferences") or []:
                    owner = self._find_uid(ref.get("uid", ""))
                    if owner is not None:
                        self._add("garbagecollector", (*owner[0], *_ns_name(owner[1])))

        return handler

    async def _node_ticker(self) -> None:
        while True:
            for node in self.caches.items("", "nodes"):
                self._add("nodelifecycle", _ns_name(node))
            await timers.sleep(self.api.clock, NODE_MONITOR_PERIOD)

    # -- deployment / replicaset --

    def _sync_deployment(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        d = self.caches.get("apps", "deployments", ns, name)
        if d is None:
            return [], None
        decision = reconcile_deployment(
            d,
            self.caches.items("apps", "replicasets", ns),
            self.caches.items("", "pods", ns),
            now=self.now(),
        )
        return self._apply(decision, "deployment-controller")

    async def _sync_replicaset(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        rs = self.caches.get("apps", "replicasets", ns, name)
        if rs is None:
            return [], None
        pods = self.caches.items("", "pods", ns)
        related = None
        owner = controller_ref(rs)
        if owner is not None:
            siblings = {
                _uid(o)
                for o in self.caches.items("apps", "replicasets", ns)
                if (controller_ref(o) or {}).get("uid") == owner.get("uid")
            }
            related = [p for p in pods if (controller_ref(p) or {}).get("uid") in siblings]
        decision = reconcile_replicaset(rs, pods, now=self.now(), related_pods=related)
        try:
            return await self._apply_async(decision, "replicaset-controller")
        except PartialWrite as exc:
            if not isinstance(exc.cause, Conflict):
                self._replica_failure(ns, name, exc.cause.message)
            raise

    def _replica_failure(self, ns: str, name: str, error: str) -> None:
        """A refused create (a quota, an admission plugin) as the ReplicaSet's ReplicaFailure
        condition, beside the FailedCreate event the actuator recorded."""
        res = self.api.resource("apps", "v1", "replicasets")
        try:
            # read from the API, not the cache: the pass that failed has just written the
            # ReplicaSet's status, which the informer may not have delivered yet
            rs = self.api.get(res, ns, name)
            status = replica_failure_status(rs, error, now=self.now())
            if status is not None:
                self._apply(
                    Decision([UpdateStatus({**rs, "status": status})]), "replicaset-controller"
                )
        except ApiError:  # gone or changed meanwhile: the retry will see it again
            return

    async def _sync_replicationcontroller(
        self, key: tuple[str, str]
    ) -> tuple[list[Written], float | None]:
        ns, name = key
        rc = self.caches.get("", "replicationcontrollers", ns, name)
        if rc is None:
            return [], None
        decision = reconcile_replicationcontroller(
            rc, self.caches.items("", "pods", ns), now=self.now()
        )
        return await self._apply_async(decision, "replication-controller")

    # -- daemonset / job --

    async def _sync_daemonset(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        ds = self.caches.get("apps", "daemonsets", ns, name)
        if ds is None:
            return [], None
        decision = reconcile_daemonset(
            ds,
            self.caches.items("", "nodes"),
            self.caches.items("", "pods", ns),
            self.caches.items("apps", "controllerrevisions", ns),
            now=self.now(),
        )
        return await self._apply_async(decision, "daemonset-controller")

    async def _sync_job(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        job = self.caches.get("batch", "jobs", ns, name)
        pods = self.caches.items("", "pods", ns)
        if job is None:
            # the Job is gone: its pods must not stay blocked by the tracking finalizer
            orphans = [
                p
                for p in pods
                if (controller_ref(p) or {}).get("kind") == "Job"
                and (controller_ref(p) or {}).get("name") == name
            ]
            return self._apply(Decision(release_pods(orphans)), "job-controller")
        decision = reconcile_job(job, pods, now=self.now())
        return await self._apply_async(decision, "job-controller")

    def _sync_cronjob(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        cronjob = self.caches.get("batch", "cronjobs", ns, name)
        if cronjob is None:
            return [], None
        jobs = self.caches.items("batch", "jobs", ns)
        seen = {_uid(j) for j in jobs}
        jobs_resource = self.api.resource("batch", "v1", "jobs")
        for entry in (cronjob.get("status") or {}).get("active") or []:
            if entry.get("uid") not in seen:  # upstream asks the API server before it says
                with contextlib.suppress(NotFound):  # "MissingJob": not in the informer yet
                    jobs.append(self.api.get(jobs_resource, ns, entry.get("name", "")))
        return self._apply(reconcile_cronjob(cronjob, jobs, now=self.now()), "cronjob-controller")

    # -- endpoints and endpoint slices --

    def _sync_endpoints(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        svc = self.caches.get("", "services", ns, name)
        existing = self.caches.get("", "endpoints", ns, name)
        pods = self.caches.items("", "pods", ns)
        written, _ = self._apply(reconcile_endpoints(svc, pods, existing), "endpoint-controller")
        if svc is not None:
            slices = self.caches.items("discovery.k8s.io", "endpointslices", ns)
            more, _ = self._apply(
                reconcile_endpointslices(svc, pods, slices), "endpointslice-controller"
            )
            written += more
        return written, None

    # -- statefulsets --

    def _sync_statefulset(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        sts = self.caches.get("apps", "statefulsets", ns, name)
        if sts is None:
            return [], None
        decision = reconcile_statefulset(
            sts,
            self.caches.items("", "pods", ns),
            self.caches.items("", "persistentvolumeclaims", ns),
            self.caches.items("apps", "controllerrevisions", ns),
            now=self.now(),
        )
        return self._apply(decision, "statefulset-controller")

    # -- persistent volumes --

    def _sync_storage(self, key: tuple[str, str, str]) -> tuple[list[Written], float | None]:
        kind, ns, name = key
        if kind == "volume":
            volume = self.caches.get("", "persistentvolumes", "", name)
            if volume is None:
                return [], None
            claims = self.caches.items("", "persistentvolumeclaims")
            helpers = {
                p["metadata"]["name"]: p
                for p in self.caches.items("", "pods", LOCAL_PATH_NAMESPACE)
            }
            return self._apply(
                reconcile_volume(volume, claims, helpers), "persistentvolume-controller"
            )
        claim = self.caches.get("", "persistentvolumeclaims", ns, name)
        if claim is None:
            return [], None
        classes = {
            c["metadata"]["name"]: c for c in self.caches.items("storage.k8s.io", "storageclasses")
        }
        controller, provisioner = reconcile_claim(
            claim,
            self.caches.items("", "persistentvolumes"),
            classes,
            self.caches.items("", "pods", ns),
        )
        written, _ = self._apply(controller, "persistentvolume-controller")
        more, _ = self._apply(provisioner, self._provisioner_identity())
        return written + more, None

    def _provisioner_identity(self) -> str:
        """local-path-provisioner signs its events `<provisioner>_<its pod>_<its id>`."""
        pod = next(
            (
                p["metadata"]["name"]
                for p in self.caches.items("", "pods", "kube-system")
                if p["metadata"]["name"].startswith("local-path-provisioner-")
            ),
            "local-path-provisioner",
        )
        return f"rancher.io/local-path_{pod}_{self._provisioner_id}"

    # -- horizontal pod autoscaler --

    def _sync_hpa(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        hpa = self.caches.get("autoscaling", "horizontalpodautoscalers", ns, name)
        if hpa is None:
            self.hpa_history.pop(key, None)
            return [], None
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        try:
            res = self.api.resource_for(ref.get("apiVersion", ""), ref.get("kind", ""))
            target = self.api.get(res, ns, ref.get("name", ""))
        except ApiError as exc:
            return self._hpa_no_target(hpa, exc), HPA_SYNC_PERIOD
        pod_metrics = {m["metadata"]["name"]: m for m in self.metrics.pods(ns)}
        decision, history = reconcile_hpa(
            hpa,
            target,
            self.caches.items("", "pods", ns),
            pod_metrics,
            self.hpa_history.get(key, HpaHistory()),
            now=self.now(),
        )
        self.hpa_history[key] = history
        written, _ = self._apply(decision, "horizontal-pod-autoscaler")
        return written, HPA_SYNC_PERIOD

    def _hpa_no_target(self, hpa: Obj, exc: ApiError) -> list[Written]:
        """No scale to read: the pure decision's status and warning, applied."""
        decision = hpa_without_target(hpa, exc.message, now=self.now())
        return apply(self.api, decision.actions, self.recorder("horizontal-pod-autoscaler"))

    # -- disruption budgets --

    def _sync_pdb(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        pdb = self.caches.get("policy", "poddisruptionbudgets", ns, name)
        if pdb is None:
            return [], None
        pods = self.caches.items("", "pods", ns)
        decision = reconcile_pdb(
            pdb, pods, now=self.now(), owners=lambda kind, name: self._scalable(ns, kind, name)
        )
        return self._apply(decision, "controllermanager")

    def _scalable(self, ns: str, kind: str, name: str) -> Obj | None:
        """A controller with a scale the disruption controller reads, from the caches."""
        where = _SCALABLE.get(kind)
        return self.caches.get(*where, ns, name) if where else None

    # -- pod garbage collector --

    def _sync_podgc(self, key: str) -> tuple[list[Written], float | None]:
        now = self.now()
        pods, nodes = self.caches.items("", "pods"), self.caches.items("", "nodes")
        self._missing_nodes = missing_nodes(pods, nodes, known=self._missing_nodes, now=now)
        decision = collect_pods(pods, nodes, missing=self._missing_nodes, now=now)
        return self._apply(decision, "pod-garbage-collector")

    # -- node lifecycle --

    def _sync_node(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        _, name = key
        node = self.caches.get("", "nodes", "", name)
        if node is None:
            return [], None
        now = self.now()
        lease = self.caches.get("coordination.k8s.io", "leases", "kube-node-lease", name)
        pods = self.caches.items("", "pods")
        lifecycle = node_lifecycle(
            node,
            lease,
            pods,
            now=now,
            grace=NODE_GRACE,
            startup_grace=NODE_STARTUP_GRACE,
            probed=self._probed(name, node, lease, now),
        )
        if lifecycle.actions:  # the node changes first; the next pass sees it
            return self._apply(lifecycle, "node-controller")
        return self._apply(pods_to_evict(node, pods, now=now), "taint-eviction-controller")

    def _probed(self, name: str, node: Obj, lease: Obj | None, now: datetime) -> datetime:
        """When this controller manager saw the node's lease renewal or heartbeat change (upstream's
        probeTimestamp): now on the first look, so a restarted control plane does not judge a
        lease by how long it was itself away."""
        conditions = (node.get("status") or {}).get("conditions") or []
        ready: Obj = next((c for c in conditions if c.get("type") == "Ready"), {})
        seen = (((lease or {}).get("spec") or {}).get("renewTime"), ready.get("lastHeartbeatTime"))
        known = self._node_probes.get(name)
        if known is None or known[0] != seen:
            self._node_probes[name] = (seen, now)
            return now
        return known[1]

    # -- garbage collector --

    def _index(self, gr: GR, kind: str, obj: Obj, previous: Obj | None) -> None:
        """The collector's graph (uidToNode and each owner's dependents), kept from the
        informers' events so that a lookup is a dict access, not a scan of every object."""
        me = (gr, *_ns_name(obj))
        uid = _uid(obj)

        def owners(o: Obj | None) -> set[str]:
            refs = ((o or {}).get("metadata") or {}).get("ownerReferences") or []
            return {r.get("uid", "") for r in refs}

        now = set() if kind == "DELETED" else owners(obj)
        for gone in (owners(previous) | (owners(obj) if kind == "DELETED" else set())) - now:
            deps = self._dependents_index.get(gone)
            if deps is not None:
                deps.discard(me)
                if not deps:
                    del self._dependents_index[gone]
        for owner in now:
            self._dependents_index.setdefault(owner, set()).add(me)
        if kind == "DELETED":
            if self._uid_index.get(uid) == me:
                del self._uid_index[uid]
        elif uid:
            self._uid_index[uid] = me

    def _find_uid(self, uid: str) -> tuple[GR, Obj] | None:
        entry = self._uid_index.get(uid) if uid else None
        if entry is None:
            return None
        gr, ns, name = entry
        obj = self.caches.get(gr[0], gr[1], ns, name)
        return (gr, obj) if obj is not None and _uid(obj) == uid else None

    def _dependents(self, uid: str) -> list[tuple[GR, Obj]]:
        out = []
        for gr, ns, name in sorted(self._dependents_index.get(uid, ())) if uid else ():
            obj = self.caches.get(gr[0], gr[1], ns, name)
            refs = (obj or {}).get("metadata", {}).get("ownerReferences") or []
            if obj is not None and any(r.get("uid") == uid for r in refs):
                out.append((gr, obj))
        return out

    def _owner_state(self, obj: Obj) -> dict[str, Obj | None]:
        """Each owner by uid: the live object, None when verified gone (a live GET, as the
        real collector does before deleting), missing when its kind is not followed."""
        known = {(g, p) for g, p in GC_KINDS}
        out: dict[str, Obj | None] = {}
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
            uid = ref.get("uid", "")
            found = self._find_uid(uid)
            if found is not None:
                out[uid] = found[1]
                continue
            try:
                res = self.api.resource_for(ref.get("apiVersion", ""), ref.get("kind", ""))
            except ApiError:
                out[uid] = None  # the owner's kind does not exist: it cannot be there
                continue
            if (res.group, res.plural) not in known:
                continue
            try:
                live = self.api.get(res, _ns(obj) if res.namespaced else None, ref.get("name", ""))
            except NotFound:
                out[uid] = None
                continue
            out[uid] = live if _uid(live) == uid else None
        return out

    def _sync_gc(self, key: tuple[str, str, str, str]) -> tuple[list[Written], float | None]:
        group, plural, ns, name = key
        obj = self.caches.get(group, plural, ns, name)
        if obj is None:
            return [], None
        dependents = [d for _, d in self._dependents(_uid(obj))]
        decision = reconcile_gc(obj, owners=self._owner_state(obj), dependents=dependents)
        return self._apply(decision, "garbage-collector-controller")

    # -- namespace --

    def _sync_namespace(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        _, name = key
        ns = self.caches.get("", "namespaces", "", name)
        if ns is None or not deleting(ns):
            return [], None
        contents: dict[str, list[Obj]] = {}
        for res in self.api.registry.resources:
            if not res.namespaced or res.virtual or res.shared_storage or not res.storage_version:
                continue
            if "list" not in res.verbs:
                continue
            objs = self.api.list(res, name).objects()
            if objs:
                contents[f"{res.plural}.{res.group}"] = objs
        decision = reconcile_namespace(ns, contents, now=self.now())
        return self._apply(decision, "namespace-controller")

    # -- clusterrole aggregation --

    def _aggregated_roles(self) -> None:
        """Any ClusterRole change may change what an aggregated one selects: requeue them."""
        for role in self.caches.items("rbac.authorization.k8s.io", "clusterroles"):
            if role.get("aggregationRule"):
                self._add("clusterrole-aggregation", _ns_name(role))

    def _sync_clusterrole_aggregation(
        self, key: tuple[str, str]
    ) -> tuple[list[Written], float | None]:
        role = self.caches.get("rbac.authorization.k8s.io", "clusterroles", "", key[1])
        if role is None:
            return [], None
        decision = reconcile_clusterrole_aggregation(
            role, self.caches.items("rbac.authorization.k8s.io", "clusterroles")
        )
        return self._apply(decision, "clusterrole-aggregation-controller")

    # -- service-account token secrets --

    def _secret_changed(self, kind: str, secret: Obj, previous: Obj | None) -> None:
        if token_secret_account(secret) is not None:
            self._add("serviceaccount-token", _ns_name(secret))

    def _account_changed(self, kind: str, account: Obj, previous: Obj | None) -> None:
        namespace, name = _ns_name(account)
        for secret in self.caches.items("", "secrets", namespace):
            found = token_secret_account(secret)
            if found is not None and found[0] == name:
                self._add("serviceaccount-token", _ns_name(secret))

    def _sync_token_secret(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        secret = self.caches.get("", "secrets", *key)
        found = token_secret_account(secret) if secret is not None else None
        if secret is None or found is None:
            return [], None
        account = self.caches.get("", "serviceaccounts", key[0], found[0])
        token = None
        if account is not None and needs_token(secret):
            token = self.api.tokens.issue_legacy(
                service_account=account, secret_name=secret["metadata"]["name"]
            )
        decision = reconcile_token_secret(secret, account, token=token, ca_crt=self.api.root_ca)
        return self._apply(decision, "tokens-controller")

    # -- certificate signing requests --

    def _csr_changed(self, kind: str, csr: Obj, previous: Obj | None) -> None:
        self._add("csrsigning", _ns_name(csr))
        self._add("csrcleaner", _ns_name(csr))

    def _sync_csr_signing(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        csr = self.caches.get("certificates.k8s.io", "certificatesigningrequests", *key)
        if csr is None or self.api.signer is None:
            return [], None
        now = self.now()
        plan = signing_plan(csr, now=now, host_now=datetime.now(UTC))
        if plan is None:
            return [], None
        if isinstance(plan, str):
            return self._apply(fail_csr(csr, plan, now), "csrsigning-controller")
        try:
            request = base64.b64decode(csr["spec"]["request"])
            pem = self.api.signer.sign(
                request,
                usages=list(plan.usages),
                not_before=plan.not_before,
                not_after=plan.not_after,
            )
        except SigningError as exc:
            return self._apply(fail_csr(csr, str(exc), now), "csrsigning-controller")
        return self._apply(issue_csr(csr, pem), "csrsigning-controller")

    def _sync_csr_cleaner(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        csr = self.caches.get("certificates.k8s.io", "certificatesigningrequests", *key)
        if csr is None:
            return [], None
        issued = (csr.get("status") or {}).get("certificate")
        expires = certificate_not_after(issued) if issued else None
        decision = cleanup_csr(csr, now=self.now(), certificate_expires=expires)
        return self._apply(decision, "csrcleaner-controller")

    # -- resource quota --

    def _sync_quota(self, key: tuple[str, str]) -> tuple[list[Written], float | None]:
        ns, name = key
        quota = self.caches.get("", "resourcequotas", ns, name)
        if quota is None:
            return [], None
        counted: dict[str, list[Obj]] = {}
        for res in self.api.registry.resources:
            if (
                res.namespaced
                and not res.virtual
                and res.storage_version
                and (not res.shared_storage)
                and "list" in res.verbs
            ):
                resource_name = res.plural if not res.group else f"{res.plural}.{res.group}"
                counted[resource_name] = self.api.list(res, ns).objects()
        now = self.now()
        status = quota_status(quota, counted, now)
        again = recount_after(counted.get("pods", []), now)
        if status == (quota.get("status") or {}):
            return [], again
        return self._apply(
            Decision([UpdateStatus({**quota, "status": status})], requeue_after=again),
            "resourcequota-controller",
        )


# --- entry points ------------------------------------------------------------------------------


async def run_controller_manager(
    api: Api, *, metrics: MetricsSource, controllers: Collection[str] | None = None
) -> None:
    """Run the controllers until cancelled. `controllers` picks a subset by name (like
    `--controllers`); default all."""
    await ControllerManager(api, metrics=metrics, controllers=controllers).run()


def install(api: Api) -> None:
    """Plug the controller manager into a server's `Api`: its background task, the PDB
    eviction check, and foreground/orphan deletion handed to the GC."""

    async def controller_manager(a: Api) -> None:
        await run_controller_manager(a, metrics=a.hooks.metrics)

    api.hooks.tasks.append(controller_manager)
    api.hooks.eviction_check = check_eviction
    api.hooks.garbage_collector_running = True
