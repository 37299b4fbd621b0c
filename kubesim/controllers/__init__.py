"""kubesim's controllers as pure decisions: plain dicts in, intended changes out.

Each ``reconcile_*`` / ``schedule`` function reads stored-shape objects and ``now`` and
returns actions (``_actions``); an asyncio loop elsewhere applies them through the API.
"""

from ._actions import (
    Action,
    Bind,
    Create,
    Decision,
    Delete,
    Emit,
    Event,
    Scale,
    Update,
    UpdateStatus,
    object_ref,
    slow_start_batches,
)
from ._clusterroleaggregation import aggregated_rules, reconcile_clusterrole_aggregation
from ._cronjob import (
    cronjob_key_of_job,
    next_sync_after_schedule_change,
    reconcile_cronjob,
    schedule_changed,
)
from ._csrsigning import SigningPlan, cleanup_csr, fail_csr, issue_csr, signing_plan
from ._daemonset import daemon_tolerations, node_should_run, reconcile_daemonset
from ._deployment import reconcile_deployment
from ._endpoints import (
    endpoints_for,
    endpointslices_for,
    reconcile_endpoints,
    reconcile_endpointslices,
)
from ._gc import reconcile_gc
from ._hash import template_hash
from ._hpa import HpaHistory, hpa_without_target, reconcile_hpa
from ._job import backoff_delay, job_finished, reconcile_job, release_pods, ttl_remaining
from ._namespace import namespace_conditions, reconcile_namespace
from ._nodes import NodeHealth, node_health, node_lifecycle, pods_to_evict
from ._pdb import (
    EvictionVerdict,
    eviction_cause,
    eviction_decision,
    eviction_verdict,
    pdb_status,
    reconcile_pdb,
    spent_status,
)
from ._placement import NodePods, Placement, required_anti_affinity
from ._podgc import collect_pods, missing_nodes
from ._replicaset import (
    pods_to_delete,
    reconcile_replicaset,
    reconcile_replicationcontroller,
    replica_failure_status,
)
from ._scheduler import FailedScheduling, Storage, schedule, schedule_actions
from ._statefulset import reconcile_statefulset
from ._tokens import needs_token, reconcile_token_secret, token_secret_account
from ._volumes import LOCAL_PATH_NAMESPACE, reconcile_claim, reconcile_volume

__all__ = [
    "Action",
    "cronjob_key_of_job",
    "next_sync_after_schedule_change",
    "reconcile_cronjob",
    "schedule_changed",
    "needs_token",
    "SigningPlan",
    "cleanup_csr",
    "fail_csr",
    "issue_csr",
    "signing_plan",
    "reconcile_token_secret",
    "token_secret_account",
    "aggregated_rules",
    "reconcile_clusterrole_aggregation",
    "Bind",
    "Create",
    "Decision",
    "Delete",
    "Emit",
    "FailedScheduling",
    "HpaHistory",
    "NodeHealth",
    "NodePods",
    "Placement",
    "required_anti_affinity",
    "node_health",
    "node_lifecycle",
    "pods_to_evict",
    "eviction_cause",
    "eviction_decision",
    "eviction_verdict",
    "EvictionVerdict",
    "spent_status",
    "pdb_status",
    "reconcile_pdb",
    "hpa_without_target",
    "endpoints_for",
    "endpointslices_for",
    "reconcile_endpoints",
    "reconcile_endpointslices",
    "reconcile_hpa",
    "schedule",
    "schedule_actions",
    "Storage",
    "reconcile_claim",
    "reconcile_statefulset",
    "reconcile_volume",
    "LOCAL_PATH_NAMESPACE",
    "Event",
    "Scale",
    "Update",
    "UpdateStatus",
    "collect_pods",
    "missing_nodes",
    "object_ref",
    "slow_start_batches",
    "pods_to_delete",
    "reconcile_deployment",
    "reconcile_replicaset",
    "replica_failure_status",
    "reconcile_replicationcontroller",
    "reconcile_gc",
    "reconcile_namespace",
    "namespace_conditions",
    "template_hash",
    "reconcile_job",
    "release_pods",
    "ttl_remaining",
    "job_finished",
    "backoff_delay",
    "reconcile_daemonset",
    "node_should_run",
    "daemon_tolerations",
]
